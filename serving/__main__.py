"""`python -m serving [config.yaml]`: run kefu in the foreground from a Serve YAML; Ctrl-C stops it cleanly."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path

logger = logging.getLogger("kefu.serving")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__)
    parser.add_argument("config", nargs="?", default="configs/serve.dev.yaml", type=Path)
    opts = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from serving.config import load_serve_yaml

    try:
        config, args = load_serve_yaml(opts.config)
    except (OSError, ValueError) as exc:
        # Fail before Ray starts: a typo in the YAML should cost a second, not a cluster start-up.
        raise SystemExit(f"{opts.config}: {exc}") from exc

    import httpx
    import ray
    from ray import serve

    from serving.app import build_app

    http = config.get("http_options", {})
    host, port = http.get("host", "127.0.0.1"), int(http.get("port", 8000))
    started = time.perf_counter()
    ray.init(include_dashboard=False)
    serve.start(http_options={"host": host, "port": port})

    def stop(*_):
        logger.info("shutting down")
        serve.shutdown()
        ray.shutdown()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        serve.run(build_app(args), name="kefu", route_prefix="/")
        url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"
        while httpx.get(f"{url}/healthz", timeout=10).status_code != 200:
            time.sleep(0.5)
        logger.info("kefu is ready at %s (docs at %s/docs) after %.1f s; Ctrl-C stops it",
                    url, url, time.perf_counter() - started)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stop()


if __name__ == "__main__":
    main()
