"""Replicas killed under load: no acknowledged turn lost, at most 1 % of requests failed, the app heals itself.

On this box (loopback only, bounded): kefu from the Serve YAML with two replicas of Ingress, Vision and Dialogue,
driven at a steady rate by a chat backend that behaves as the README asks one to: every message carries an
Idempotency-Key, and a 503 (honouring Retry-After), a 5xx or a dropped connection is retried with the same key for
up to `--retry-budget` seconds. While it drives, one replica each of Dialogue, Ingress and Vision is killed
(`ray.kill`, no restart: the Serve controller must replace it). Afterwards every acknowledged (2xx) turn must be in
its customer's timeline exactly once, and every deployment must be healthy again.

    .venv/bin/python benchmarks/chaos.py            # writes benchmarks/results/chaos.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load import traffic  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
HOST = "127.0.0.1"
KILLS = ("Dialogue", "Ingress", "Vision")


def start(config: Path, port: int) -> None:
    import ray
    from ray import serve

    from serving.app import build_app
    from serving.config import load_serve_yaml

    _, args = load_serve_yaml(config)
    folder = Path(tempfile.mkdtemp(prefix="chaos-", dir=ROOT / "var"))
    args.dialogue.store_url = f"sqlite:///{folder / 'kefu.db'}"
    # Two of each replica that is killed, on the same two cores (fractions of a CPU each).
    for name, cpus in (("Ingress", 0.1), ("Dialogue", 0.15), ("Vision", 0.4)):
        options = args.options_for(name).model_copy(update={"num_replicas": 2, "num_cpus": cpus})
        args.deployments[name] = options
    ray.init(include_dashboard=False, log_to_driver=False)
    serve.start(http_options={"host": HOST, "port": port})
    serve.run(build_app(args), name="kefu", route_prefix="/")
    while httpx.get(f"http://{HOST}:{port}/healthz", timeout=30).status_code != 200:
        time.sleep(0.5)


def replica_actors(deployment: str) -> list:
    import ray
    from ray.util import list_named_actors

    names = [a["name"] for a in list_named_actors(all_namespaces=True)
             if a["namespace"] == "serve" and f"#{deployment}#" in a["name"]]
    return [ray.get_actor(name, namespace="serve") for name in sorted(names)]


def healthy() -> bool:
    from ray import serve

    app = serve.status().applications.get("kefu")
    return app is not None and all(d.status == "HEALTHY" for d in app.deployments.values())


async def drive(url: str, rate: float, seconds: float, retry_budget_s: float, kill_at: dict[float, str],
                media: traffic.Media) -> dict:
    rng = random.Random(7)
    messages = traffic.texts()
    outcomes, kills = [], []
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:

        async def one(i: int) -> None:
            customer, conversation, key = f"chaos-{i}", f"chaos-{i}", f"chaos-key-{i}"
            photo = rng.choice(media.photos) if rng.random() < 0.1 else None
            message = rng.choice(messages)["text"]  # a retry sends the same message, photo and key
            first = time.perf_counter()
            tries, status = 0, None
            while True:
                tries += 1
                try:
                    if photo is not None:
                        response = await client.post(
                            f"/v1/conversations/{conversation}/messages", headers={"Idempotency-Key": key},
                            data={"customer_id": customer, "channel": "app", "text": message},
                            files=[("image", ("p.jpg", photo, "image/jpeg"))])
                    else:
                        response = await client.post(
                            f"/v1/conversations/{conversation}/messages", headers={"Idempotency-Key": key},
                            json={"customer_id": customer, "channel": "app", "text": message})
                    status = response.status_code
                    wait = float(response.headers.get("retry-after", "0.5")) if status == 503 else 0.5
                except httpx.HTTPError:
                    status, wait = 0, 0.5
                if 200 <= status < 300 or (400 <= status < 500 and status != 429):
                    break
                if time.perf_counter() - first + wait > retry_budget_s:
                    break
                await asyncio.sleep(wait)
            outcomes.append({"i": i, "customer": customer, "status": status, "tries": tries, "photo": photo is not None,
                             "seconds": round(time.perf_counter() - first, 3)})

        async def killer() -> None:
            import ray

            start = time.perf_counter()
            for at, deployment in sorted(kill_at.items()):
                await asyncio.sleep(max(0.0, at - (time.perf_counter() - start)))
                victim = (await asyncio.to_thread(replica_actors, deployment))[0]
                await asyncio.to_thread(ray.kill, victim, no_restart=True)
                kills.append({"deployment": deployment, "at_s": round(time.perf_counter() - start, 1)})

        tasks, start = [], time.perf_counter()
        kill_task = asyncio.ensure_future(killer())
        due, i = start, 0
        while due - start < seconds:
            due += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.ensure_future(one(i)))
            i += 1
        await asyncio.gather(*tasks, kill_task)

        # Every acknowledged turn is in its customer's timeline, once.
        lost, doubled = [], []
        for outcome in outcomes:
            if not 200 <= outcome["status"] < 300:
                continue
            timeline = (await client.get(f"/v1/customers/{outcome['customer']}/timeline")).json()
            said = [e for e in timeline["entries"] if e["role"] == "customer"]
            (lost if not said else doubled if len(said) > 1 else []).append(outcome["i"])
    return {"outcomes": outcomes, "kills": kills, "lost": lost, "doubled": doubled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "serve.dev.yaml")
    parser.add_argument("--port", type=int, default=8014)
    parser.add_argument("--rate", type=float, default=15.0, help="turns per second (about a third of capacity)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--retry-budget", type=float, default=30.0, help="how long the backend keeps retrying")
    opts = parser.parse_args()

    start(opts.config, opts.port)
    url = f"http://{HOST}:{opts.port}"
    kill_at = {opts.seconds * (k + 1) / (len(KILLS) + 1): name for k, name in enumerate(KILLS)}
    run = asyncio.run(drive(url, opts.rate, opts.seconds, opts.retry_budget, kill_at, traffic.Media.make()))
    deadline = time.monotonic() + 120
    while not healthy() and time.monotonic() < deadline:
        time.sleep(1)
    outcomes = run["outcomes"]
    ok = [o for o in outcomes if 200 <= o["status"] < 300]
    retried = [o for o in ok if o["tries"] > 1]
    report = {
        "command": "benchmarks/chaos.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "rate": opts.rate,
        "seconds": opts.seconds,
        "retry_budget_s": opts.retry_budget,
        "kills": run["kills"],
        "sent": len(outcomes),
        "acknowledged": len(ok),
        "failed": len(outcomes) - len(ok),
        "failed_share": round((len(outcomes) - len(ok)) / max(1, len(outcomes)), 4),
        "answered_after_a_retry": len(retried),
        "max_seconds_to_answer": max((o["seconds"] for o in ok), default=None),
        "lost_acknowledged": len(run["lost"]),
        "stored_twice": len(run["doubled"]),
        "healthy_again": healthy(),
        "failed_statuses": sorted({o["status"] for o in outcomes if o not in ok}),
    }
    report["verdict"] = ("PASS" if report["failed_share"] <= 0.01 and not report["lost_acknowledged"]
                         and not report["stored_twice"] and report["healthy_again"] else "FAIL")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "chaos.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
