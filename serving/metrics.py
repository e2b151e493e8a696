"""kefu's Prometheus metrics, recorded with Ray's metrics API in whichever replica sees the event.

Ray aggregates them per node with its own Serve metrics (requests, latencies and queues per deployment, replicas) and
exports them, prefixed `ray_`, on the node's metrics export port (`ray start --metrics-export-port`); `GET /metrics`
on the Ingress answers that page for the node it runs on. On a cluster Prometheus scrapes every node's port (Ray
writes their list to /tmp/ray/prom_metrics_service_discovery.json on the head); configs/monitoring/ has the
dashboard and the alert rules over these names.

    ray_kefu_http_requests_total{route, method, status}    requests answered, by route template and status
    ray_kefu_http_request_seconds{route}                   their latency
    ray_kefu_turn_seconds{stage, kind}                     a turn's stages: transcribe, vision (its read, detect,
                                                           embed), identify, dialogue, and the total
    ray_kefu_turns_over_slo_total{kind}                    turns answered after the 2-s target
    ray_kefu_batch_size{model}                             batch sizes of the batched models
    ray_kefu_handoff_queue_depth                           conversations waiting for a person
    ray_kefu_automation_rate                               share of the last 24 h's turns the bot settled
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

# A turn answered after this many seconds loses customers (the article's 2-s target); counted apart.
SLO_S = 2.0
_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0]
_BATCH_BUCKETS = [1, 2, 4, 8, 16, 32]
# What Prometheus sees of kefu's own metrics (Ray adds the ray_ prefix; histograms add _bucket, _count and _sum).
NAMES = ("ray_kefu_http_requests_total", "ray_kefu_http_request_seconds", "ray_kefu_turn_seconds",
         "ray_kefu_turns_over_slo_total", "ray_kefu_batch_size", "ray_kefu_handoff_queue_depth",
         "ray_kefu_automation_rate")
# The Stopwatch names of a turn's stages that are exported (the rest are sub-steps of these or bookkeeping).
STAGES = ("transcribe", "vision", "read", "detect", "embed", "identify", "dialogue", "replay", "total")


@functools.cache
def _metrics() -> dict:
    """The metric objects of this process, made on first use (Ray metrics belong to the worker that makes them);
    outside Ray (unit tests of the app on its own) they record nothing."""
    import ray

    if not ray.is_initialized():
        return _NOWHERE
    from ray.util.metrics import Counter, Gauge, Histogram

    return {
        "requests": Counter("kefu_http_requests_total", description="HTTP requests answered",
                            tag_keys=("route", "method", "status")),
        "latency": Histogram("kefu_http_request_seconds", description="HTTP request latency",
                             boundaries=_LATENCY_BUCKETS, tag_keys=("route",)),
        "stages": Histogram("kefu_turn_seconds", description="Time a conversation turn spent per stage",
                            boundaries=_LATENCY_BUCKETS, tag_keys=("stage", "kind")),
        "over_slo": Counter("kefu_turns_over_slo_total", description=f"Turns answered after {SLO_S:g} s",
                            tag_keys=("kind",)),
        "batch": Histogram("kefu_batch_size", description="Items per model batch", boundaries=_BATCH_BUCKETS,
                           tag_keys=("model",)),
        "queue": Gauge("kefu_handoff_queue_depth", description="Conversations waiting for a person"),
        "automation": Gauge("kefu_automation_rate",
                            description="Share of the last 24 h's turns answered without a person"),
    }


class _Nowhere:
    def inc(self, *args, **kwargs) -> None: ...

    observe = set = inc


_NOWHERE = {name: _Nowhere() for name in ("requests", "latency", "stages", "over_slo", "batch", "queue", "automation")}


def request(route: str, method: str, status: int, seconds: float) -> None:
    metrics = _metrics()
    metrics["requests"].inc(1, tags={"route": route, "method": method, "status": str(status)})
    metrics["latency"].observe(seconds, tags={"route": route})


def turn(kind: str, stages_ms: Mapping[str, float]) -> None:
    """A turn's stage timings (`timings_ms` of its answer) under the kind of turn it was."""
    metrics = _metrics()
    for stage in STAGES:
        if stage in stages_ms:
            metrics["stages"].observe(stages_ms[stage] / 1000, tags={"stage": stage, "kind": kind})
    if stages_ms.get("total", 0.0) > SLO_S * 1000:
        metrics["over_slo"].inc(1, tags={"kind": kind})


def batch(model: str, size: int) -> None:
    _metrics()["batch"].observe(size, tags={"model": model})


def desk(queue_depth: int, automation_rate: float | None) -> None:
    metrics = _metrics()
    metrics["queue"].set(queue_depth)
    if automation_rate is not None:
        metrics["automation"].set(automation_rate)


class RequestMetrics:
    """ASGI middleware: every HTTP request counted and timed under its route template (`/v1/orders/{order_id}`,
    never the raw path, so ids do not make new series), with the status it was answered with."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import time

        started = time.perf_counter()
        status = [500]

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            request(route, scope["method"], status[0], time.perf_counter() - started)
