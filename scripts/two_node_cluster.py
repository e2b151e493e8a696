"""kefu on a real two-node Ray cluster on this one machine, with PostgreSQL as the store both nodes share.

A head and a worker are started with `ray start` (one CPU each, so the six deployments cannot all fit on one node),
kefu is `serve deploy`ed from configs/serve.dev.yaml with the store on PostgreSQL (scripts/test_postgres.sh's
server, a schema of its own), and the script proves that replicas on the worker node answer: it lists where every
replica runs, sends text, photo and voice note + photo turns, and reads them back from the customers' timelines
(written by Dialogue, read by Desk, wherever each runs). Everything is stopped at the end.

    .venv/bin/python scripts/two_node_cluster.py      # writes benchmarks/results/two_node.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
GCS_PORT, DASHBOARD_PORT, HTTP_PORT = 6390, 8266, 8016
SCHEMA = "kefu_cluster"


def sh(*args: str, **kw) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def store_url() -> str:
    from sqlalchemy import create_engine, text

    url = sh("bash", str(ROOT / "scripts" / "test_postgres.sh"), "start").strip()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine.dispose()
    return f"{url}?options=-csearch_path%3D{SCHEMA}"


def serve_config(url: str, work: Path) -> Path:
    config = yaml.safe_load((ROOT / "configs" / "serve.dev.yaml").read_text())
    config["http_options"] = {"host": "127.0.0.1", "port": HTTP_PORT}
    config["proxy_location"] = "EveryNode"
    args = config["applications"][0]["args"]
    args["dialogue"].update(store_url=url, keys_file=str(work / "data-keys.json"))
    # The app is built and its replicas run in the workers' own directories: every path absolute.
    args["catalog"]["index_dir"] = str(ROOT / args["catalog"]["index_dir"])
    args["dialogue"]["policies_dir"] = str(ROOT / args["dialogue"].get("policies_dir", "configs/policies"))
    args["dialogue"]["demo_catalog"] = str(ROOT / args["dialogue"].get("demo_catalog", "catalog_index/demo/catalog.csv"))
    args["defect_taxonomy"] = str(ROOT / args.get("defect_taxonomy", "configs/defects.yaml"))
    # The code reaches the worker through the runtime env (both nodes are this machine, but a worker starts in its
    # own session directory).
    config["applications"][0]["runtime_env"] = {"env_vars": {"PYTHONPATH": str(ROOT), "KEFU_HOME": os.environ["KEFU_HOME"],
                                                             "HF_HUB_OFFLINE": "1", "YOLO_OFFLINE": "1"}}
    path = work / "serve.cluster.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    return path


def replicas_by_node() -> dict[str, list[str]]:
    import ray
    from ray.util.state import list_actors

    head = ray.get_runtime_context().get_node_id()
    out: dict[str, list[str]] = {"head": [], "worker": []}
    for actor in list_actors(filters=[("state", "=", "ALIVE")], limit=1000):
        if actor.class_name.startswith("ServeReplica:kefu:"):
            out["head" if actor.node_id == head else "worker"].append(actor.class_name.split(":")[-1])
    return {k: sorted(v) for k, v in out.items()}


def turns(url: str) -> dict:
    from tests.media import espeak_wav

    photo = (ROOT / "catalog_index" / "demo" / "images" / "KF-SW-002.jpg").read_bytes()
    note = espeak_wav("Hello. The sweater I got has a hole. Can I return it?")
    sent = {
        "text": lambda c: c.post("/v1/conversations/cl-text/messages",
                                 json={"customer_id": "C1001", "channel": "tmall", "text": "我买的开衫降价了，能保价吗？"}),
        "photo": lambda c: c.post("/v1/conversations/cl-photo/messages",
                                  data={"customer_id": "C1003", "text": "看看这件毛衣"},
                                  files=[("image", ("p.jpg", photo, "image/jpeg"))]),
        "voice_photo": lambda c: c.post("/v1/conversations/cl-voice/messages",
                                        data={"customer_id": "C1002", "language": "en"},
                                        files=[("audio", ("n.wav", note, "audio/wav")),
                                               ("image", ("p.jpg", photo, "image/jpeg"))]),
    }
    out = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        for kind, send in sent.items():
            answer = send(client)
            body = answer.json()
            out[kind] = {"status": answer.status_code, "rule": body.get("decision", {}).get("rule"),
                         "timings_ms": body.get("timings_ms")}
        for kind, customer, conversation in (("text", "C1001", "cl-text"), ("photo", "C1003", "cl-photo"),
                                             ("voice_photo", "C1002", "cl-voice")):
            timeline = client.get(f"/v1/customers/{customer}/timeline").json()
            out[kind]["in_timeline"] = any(e["conversation_id"] == conversation for e in timeline["entries"])
    return out


def main() -> None:
    # Ray 2.60 starts a cluster with token authentication (the token in ~/.ray/auth_token); the worker, `serve
    # deploy` and this script's own client present it (Ray reads the mode when it is imported).
    os.environ["RAY_AUTH_MODE"] = "token"
    import ray

    os.environ.setdefault("KEFU_HOME", str(ROOT / "var"))
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "HF_HUB_OFFLINE": "1", "YOLO_OFFLINE": "1"}
    work = Path(tempfile.mkdtemp(prefix="cluster-", dir=ROOT / "var"))
    url = store_url()
    sh(str(BIN / "ray"), "stop", "--force", env=env)
    try:
        sh(str(BIN / "ray"), "start", "--head", "--port", str(GCS_PORT), "--num-cpus", "1",
           "--include-dashboard", "true", "--dashboard-port", str(DASHBOARD_PORT), env=env)
        sh(str(BIN / "ray"), "start", "--address", f"127.0.0.1:{GCS_PORT}", "--num-cpus", "1", env=env)
        started = time.perf_counter()
        sh(str(BIN / "serve"), "deploy", str(serve_config(url, work)), "-a", f"http://127.0.0.1:{DASHBOARD_PORT}",
           env=env)
        base = f"http://127.0.0.1:{HTTP_PORT}"
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        else:
            raise SystemExit("kefu did not become healthy on the two-node cluster")
        ready_s = time.perf_counter() - started
        ray.init(address=f"127.0.0.1:{GCS_PORT}", log_to_driver=False)
        nodes = [n for n in ray.nodes() if n["Alive"]]
        placed = replicas_by_node()
        answered = turns(base)
        report = {
            "command": "scripts/two_node_cluster.py",
            "date": time.strftime("%Y-%m-%d"),
            "nodes": len(nodes),
            "cpus_per_node": [n["Resources"].get("CPU") for n in nodes],
            "store": "postgresql (schema kefu_cluster)",
            "ready_s": round(ready_s, 1),
            "replicas": placed,
            "turns": answered,
            "verdict": "PASS" if len(nodes) == 2 and placed["worker"] and all(
                t["status"] == 200 and t["in_timeline"] for t in answered.values()) else "FAIL",
        }
        out = ROOT / "benchmarks" / "results" / "two_node.json"
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps(report, indent=2, ensure_ascii=False))
    finally:
        ray.shutdown()
        sh(str(BIN / "ray"), "stop", "--force", env=env)


if __name__ == "__main__":
    main()
