"""Cold start of the Serve app and one request's latency per route, on the real weights of configs/serve.dev.yaml.

Run from the repository root after `make index`:
    .venv/bin/python benchmarks/route_latency.py --repeats 10
Writes benchmarks/results/route_latency.json and route_latency.png.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.media import espeak_wav  # noqa: E402  (test media helpers double as benchmark inputs)

RESULTS = ROOT / "benchmarks" / "results"


def start(port: int) -> tuple[str, float]:
    import ray
    from ray import serve

    from serving.app import build_app
    from serving.config import AppArgs

    config = yaml.safe_load((ROOT / "configs" / "serve.dev.yaml").read_text())
    args = AppArgs.model_validate(config["applications"][0]["args"])
    args.dialogue.store_url = "sqlite:///" + str(ROOT / "var" / "bench.db")
    t0 = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False)
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(build_app(args), name="kefu", route_prefix="/")
    url = f"http://127.0.0.1:{port}"
    while httpx.get(f"{url}/healthz", timeout=10).status_code != 200:
        time.sleep(0.2)
    return url, time.perf_counter() - t0


def measure(client: httpx.Client, repeats: int, send) -> dict:
    send()  # the first call warms caches and lazy paths; it is not counted
    times, stages = [], {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        response = send()
        times.append((time.perf_counter() - t0) * 1000)
        response.raise_for_status()
        if response.headers.get("content-type", "").startswith("application/json"):
            for stage, ms in response.json().get("timings_ms", {}).items():
                stages.setdefault(stage, []).append(ms)
    times.sort()
    result = {
        "n": repeats,
        "min_ms": round(times[0], 1),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
    }
    if stages:
        # Where a conversation turn spends its time (stages run concurrently, so they do not add up).
        result["stage_p50_ms"] = {stage: round(statistics.median(ms), 1) for stage, ms in stages.items()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from the committed JSON")
    opts = parser.parse_args()
    if opts.plot_only:
        saved = json.loads((RESULTS / "route_latency.json").read_text())
        return plot(saved["routes"], saved["cold_start_s"])

    url, cold_start_s = start(opts.port)
    photo = (ROOT / "catalog_index" / "demo" / "images" / "KF-SW-002.jpg").read_bytes()
    note = espeak_wav("Hello. I bought this sweater last week and it already has a snag. Can I exchange it?")
    routes = {
        "GET /healthz": lambda c: c.get("/healthz"),
        "POST /v1/audio/transcriptions (5.5 s note)": lambda c: c.post(
            "/v1/audio/transcriptions", files={"file": ("n.wav", note, "audio/wav")}, data={"language": "en"}),
        "POST /v1/defects": lambda c: c.post("/v1/defects", files={"image": ("p.jpg", photo, "image/jpeg")}),
        "POST /v1/catalog/search (photo)": lambda c: c.post(
            "/v1/catalog/search", files={"image": ("p.jpg", photo, "image/jpeg")}),
        "POST /v1/screenshots (a photo of goods)": lambda c: c.post(
            "/v1/screenshots", files={"image": ("p.jpg", photo, "image/jpeg")}),
        "POST /v1/catalog/search (text)": lambda c: c.post("/v1/catalog/search", json={"text": "牛仔外套"}),
        "POST /v1/conversations/{id}/messages (text)": lambda c: c.post(
            "/v1/conversations/bench-text/messages", json={"customer_id": "C1001", "text": "我买的开衫降价了，能保价吗"}),
        "POST /v1/conversations/{id}/messages (photo)": lambda c: c.post(
            "/v1/conversations/bench-photo/messages", data={"customer_id": "C1003", "text": "看看这件"},
            files=[("image", ("p.jpg", photo, "image/jpeg"))]),
        "POST /v1/conversations/{id}/messages (voice + photo)": lambda c: c.post(
            "/v1/conversations/bench-mm/messages", data={"customer_id": "C1003"},
            files=[("audio", ("n.wav", note, "audio/wav")), ("image", ("p.jpg", photo, "image/jpeg"))]),
    }
    results = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        for name, send in routes.items():
            results[name] = measure(client, opts.repeats, lambda: send(client))
            print(f"{name:55s} p50 {results[name]['p50_ms']:8.1f} ms  p95 {results[name]['p95_ms']:8.1f} ms  "
                  f"{results[name].get('stage_p50_ms', '')}")
    print(f"cold start (ray.init + serve.run → /healthz 200): {cold_start_s:.1f} s")
    # A photo turn reads, detects and embeds one decoded picture in one Vision call; the three single-photo routes
    # each decode it again. Same run, same photo: the ratio says what the one decode and one call save.
    apart = sum(results[name]["p50_ms"] for name in ("POST /v1/screenshots (a photo of goods)", "POST /v1/defects",
                                                      "POST /v1/catalog/search (photo)"))
    turn = results["POST /v1/conversations/{id}/messages (photo)"]["p50_ms"]
    print(f"photo turn p50 {turn:.1f} ms vs the three photo routes one after another {apart:.1f} ms "
          f"({turn / apart:.2f}x)")

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "what": "one request at a time per route, real weights, configs/serve.dev.yaml, client on the same box",
        "machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform()},
        "cold_start_s": round(cold_start_s, 2),
        "routes": results,
        "photo_turn_vs_photo_routes": {"turn_p50_ms": turn, "routes_p50_sum_ms": round(apart, 1),
                                       "ratio": round(turn / apart, 3)},
    }
    (RESULTS / "route_latency.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    plot(results, cold_start_s)


def plot(results: dict, cold_start_s: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.barh(names, [results[n]["p50_ms"] for n in names], color="#4c78a8", label="p50")
    ax.errorbar([results[n]["p95_ms"] for n in names], names, fmt="|", color="#e45756", markersize=14, label="p95")
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("ms per request, one at a time (log scale)")
    ax.set_title(f"kefu routes on a 2-core CPU, real weights; cold start {cold_start_s:.1f} s", fontsize=10)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(RESULTS / "route_latency.png", dpi=110)


if __name__ == "__main__":
    main()
