"""Starts the real kefu Serve app on tiny models, once per module, and hands tests its base URL."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_CATALOG, ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_kefu(args, port: int, timeout_s: float = 240.0) -> str:
    """serve.run the app built from `args` on 127.0.0.1:port and wait for /healthz to say 200."""
    import ray
    from ray import serve

    from serving.app import build_app

    # Metrics reach the node's Prometheus page within a second (Ray's default is several), for the tests that scrape it.
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
             _system_config={"metrics_report_interval_ms": 1000})
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(build_app(args), name="kefu", route_prefix="/")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("kefu did not become healthy in time")


def stop_kefu() -> None:
    import ray
    from ray import serve

    serve.shutdown()
    ray.shutdown()


def dev_args(**sections):
    """AppArgs like configs/serve.dev.yaml, overridden per section."""
    from serving.config import DEPLOYMENT_NAMES, AppArgs

    base = {
        "dialogue": {"policies_dir": str(ROOT / "configs" / "policies"), "demo_catalog": str(DEMO_CATALOG)},
        "deployments": {name: {"num_cpus": 0.1} for name in DEPLOYMENT_NAMES},
    }
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value}
    return AppArgs.model_validate(base)


def tiny_args(work: Path, tiny_whisper, tiny_clip, tiny_yolo, **sections):
    """AppArgs for kefu on the tiny models, with a catalog index of the demo catalog built into `work`."""
    from catalog_index.build import build_index
    from models import load_embedder
    from models.embedder.base import EmbedderConfig

    checkpoint, arch_config = tiny_clip
    embedder = EmbedderConfig(backend="open_clip", model=str(checkpoint), arch=arch_config.stem,
                              arch_config=str(arch_config), threads=1)
    build_index(DEMO_CATALOG, work / "index", load_embedder(embedder), progress=False)
    base = {
        "transcriber": {"model": str(tiny_whisper), "cpu_threads": 1, "beam_size": 1,
                        "temperature_fallback": False, "max_new_tokens": 24},
        "embedder": vars(embedder),
        "detector": {"model": str(tiny_yolo), "imgsz": 160, "export_dir": str(work / "onnx")},
        "catalog": {"index_dir": str(work / "index"), "min_score": 0.0, "keyword_weight": 1.0},
        "dialogue": {"store_url": f"sqlite:///{work / 'kefu.db'}", "keys_file": str(work / "data-keys.json"),
                     "create_keys": True},
        "limits": {"max_upload_bytes": 2_000_000, "max_audio_seconds": 30, "max_image_pixels": 4_000_000},
    }
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value}
    return dev_args(**base)


@pytest.fixture(scope="module")
def tiny_app(tmp_path_factory, tiny_whisper, tiny_clip, tiny_yolo) -> str:
    args = tiny_args(tmp_path_factory.mktemp("serving"), tiny_whisper, tiny_clip, tiny_yolo)
    url = start_kefu(args, free_port())
    yield url
    stop_kefu()
