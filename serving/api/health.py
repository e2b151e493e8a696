"""`/healthz`: 200 once every deployment has a running replica, 503 before (public: no key needed); `/metrics`: the
Prometheus page of the node the answering Ingress replica runs on (a monitor key)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from serving import errors
from serving.access import needs
from serving.api.base import Routes

router = APIRouter()


class HealthRoutes(Routes):
    handles: dict[str, Any]
    _ready: bool
    _metrics_url: str | None = None

    @router.get("/healthz", responses={503: {"model": errors.ErrorResponse}})
    async def healthz(self) -> JSONResponse:
        """200 once every deployment has a running replica, 503 before."""
        if not self._ready:
            names = list(self.handles)
            probes = [asyncio.wait_for(h.ready.remote(), timeout=2.0) for h in self.handles.values()]
            results = await asyncio.gather(*probes, return_exceptions=True)
            waiting = [n for n, r in zip(names, results) if r is not True]
            if waiting:
                return errors.envelope(503, f"not ready: {', '.join(waiting)}", "service_unavailable", "starting")
            self._ready = True
        return JSONResponse({"status": "ok", "deployments": list(self.handles)})

    @router.get("/metrics", response_class=PlainTextResponse, openapi_extra=needs("metrics"),
                responses={503: {"model": errors.ErrorResponse}})
    async def metrics(self) -> Response:
        """Prometheus text exposition: kefu's metrics (serving/metrics.py) and Ray Serve's, of this node's replicas.
        On a cluster, scrape every node's Ray metrics port instead (the dashboard sums over nodes)."""
        try:
            url = self._metrics_url or await asyncio.to_thread(_node_metrics_url)
            async with httpx.AsyncClient() as client:
                page = await client.get(url, timeout=5.0)
            page.raise_for_status()
        except (httpx.HTTPError, LookupError) as exc:
            return errors.envelope(503, f"this node's Ray metrics are unavailable: {exc}", "service_unavailable",
                                   "metrics_unavailable")
        self._metrics_url = url
        return PlainTextResponse(page.text, media_type="text/plain; version=0.0.4; charset=utf-8")


def _node_metrics_url() -> str:
    """Where the Ray metrics agent of this replica's node serves its page."""
    import ray

    node_id = ray.get_runtime_context().get_node_id()
    for node in ray.nodes():
        if node["NodeID"] == node_id and node.get("MetricsExportPort"):
            return f"http://{node['NodeManagerAddress']}:{node['MetricsExportPort']}/metrics"
    raise LookupError("no metrics export port is known for this node")
