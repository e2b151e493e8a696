"""Catalog build throughput: the embedder alone on pre-decoded photos vs the whole build pipeline, real weights.

The pipeline (`catalog_index.build.build_index`: plan, decode threads, embed, checkpoint shards, index, publish)
should reach at least 70 % of the embedder's own rate on the same photos. Also times the CLI on a 10k-image
catalog. Run from the repository root:
    .venv/bin/python benchmarks/build_pipeline.py            # 2000 images, then the 10k CLI build
    .venv/bin/python benchmarks/build_pipeline.py --quick --skip-10k
Writes benchmarks/results/build_pipeline.json and build_pipeline.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.make_catalog import make_catalog  # noqa: E402
from catalog_index.build import build_index, image_jobs, load_image  # noqa: E402
from catalog_index.catalog import read_catalog  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
GOAL = 0.70
logger = logging.getLogger("kefu.benchmarks")


def catalog_of(n: int) -> Path:
    """The generated n-image catalog under var/bench/, made once."""
    folder = ROOT / "var" / "bench" / f"catalog{n}"
    if not (folder / "catalog.csv").is_file():
        make_catalog(n, folder)
    return folder / "catalog.csv"


def embedder_alone(embedder, catalog: Path, batch_size: int) -> dict:
    """Images/s of `embed_images` on photos decoded beforehand (decoding not timed)."""
    images = [load_image(job.path) for job in image_jobs(read_catalog(catalog))]
    embedder.embed_images(images[:batch_size])  # warm-up: first-call allocations and kernel selection
    started = time.perf_counter()
    for start in range(0, len(images), batch_size):
        embedder.embed_images(images[start:start + batch_size])
    seconds = time.perf_counter() - started
    return {"images": len(images), "seconds": round(seconds, 3), "images_per_second": round(len(images) / seconds, 2)}


def pipeline(embedder, catalog: Path, batch_size: int, workers: int) -> dict:
    """Images/s of the whole `build_index` call, from the catalog file to the published version."""
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as tmp:
        started = time.perf_counter()
        report = build_index(catalog, Path(tmp) / "index", embedder, batch_size=batch_size, workers=workers,
                             progress=False)
        seconds = time.perf_counter() - started
    return {"images": report.images, "seconds": round(seconds, 3),
            "images_per_second": round(report.images / seconds, 2), "shards": report.shards}


def cli_build(n: int) -> dict:
    """Wall time of `python -m catalog_index build` on an n-image catalog (process start and model load included)."""
    folder = ROOT / "var" / f"catalog{n // 1000}k"
    started = time.perf_counter()
    if not (folder / "catalog.csv").is_file():
        make_catalog(n, folder)
    generate = time.perf_counter() - started
    out = ROOT / "var" / "index" / folder.name
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "catalog_index", "build", "--catalog", str(folder / "catalog.csv"),
               "--out", str(out), "--no-progress"]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    seconds = time.perf_counter() - started
    report = json.loads((out / "versions" / (out / "CURRENT").read_text().strip() / "build_report.json").read_text())
    return {"command": " ".join(["python", "-m", "catalog_index", "build", "--catalog",
                                 str((folder / "catalog.csv").relative_to(ROOT)), "--out", str(out.relative_to(ROOT)),
                                 "--no-progress"]),
            "images": report["images"], "generate_seconds": round(generate, 1), "seconds": round(seconds, 1),
            "images_per_second": round(report["images"] / seconds, 2),
            "images_per_second_in_job": report["images_per_second"]}


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["embedder alone\n(pre-decoded)", "build pipeline\n(decode+embed+shards+write)"]
    rates = [results["embedder"]["images_per_second"], results["pipeline"]["images_per_second"]]
    if "cli_10k" in results:
        labels.append(f"CLI build\n{results['cli_10k']['images']} images")
        rates.append(results["cli_10k"]["images_per_second"])
    fig, ax = plt.subplots(figsize=(7, 4))
    bars = ax.bar(labels, rates, color=["#888888", "#3060c0", "#60a060"][:len(rates)])
    ax.axhline(GOAL * rates[0], color="#c03030", linestyle="--", label=f"goal: {GOAL:.0%} of the embedder")
    for bar, rate in zip(bars, rates):
        ax.text(bar.get_x() + bar.get_width() / 2, rate, f"{rate:.1f}", ha="center", va="bottom")
    ax.set_ylabel("images / s")
    ax.set_title(f"catalog build, efficientnet-lite0, {results['n']} images, {results['machine']['cpus']} CPUs")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="images in the compared runs")
    parser.add_argument("--quick", action="store_true", help="200 images (a smoke run)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="decode threads of the pipeline")
    parser.add_argument("--skip-10k", action="store_true", help="do not time the CLI on the 10k catalog")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    n = 200 if args.quick else args.n

    from models import load_embedder
    from models.embedder.base import EmbedderConfig
    from models.registry import prepare

    prepare(["efficientnet-lite0"])
    embedder = load_embedder(EmbedderConfig(batch_size=args.batch_size))
    catalog = catalog_of(n)
    results: dict = {"n": n, "batch_size": args.batch_size, "workers": args.workers, "embedder_name": embedder.name,
                     "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                 "python": platform.python_version(),
                                 # Other work on the machine skews both rates; a 1-min load above the CPU count
                                 # means the numbers are not a quiet-machine measurement.
                                 "load_average_at_start": [round(v, 2) for v in os.getloadavg()]}}
    results["embedder"] = embedder_alone(embedder, catalog, args.batch_size)
    logger.info("embedder alone: %s", results["embedder"])
    results["pipeline"] = pipeline(embedder, catalog, args.batch_size, args.workers)
    logger.info("pipeline: %s", results["pipeline"])
    ratio = results["pipeline"]["images_per_second"] / results["embedder"]["images_per_second"]
    results["pipeline_over_embedder"] = round(ratio, 3)
    results["goal"] = GOAL
    results["goal_met"] = ratio >= GOAL
    if not args.skip_10k:
        results["cli_10k"] = cli_build(10000)
        logger.info("CLI 10k: %s", results["cli_10k"])
    results["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "build_pipeline.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    plot(results, args.out / "build_pipeline.png")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
