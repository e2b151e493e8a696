"""Defect detector as served: per-class recall at IoU 0.3, precision and clean photos silent, on two renderers.

Sets (both never trained on):
  unseen-looks  the test split of kefu's training renderer (`python -m training.defect_data`): materials, palettes,
                light and parameter ranges the train split never saw;
  second        `benchmarks/defects_second.py`, a renderer written separately from the training one (its own drawing
                code for every defect, its own textures), rendered on first use into var/defects/second.
Each configuration is kefu's detector (`models.load_detector`, onnxruntime on CPU) at the serving threshold
(`--conf` to try another); `--configs` picks the input sizes. Run from the repository root:
    .venv/bin/python benchmarks/defect_recall.py                      (about 5 minutes on 2 cores)
    .venv/bin/python benchmarks/defect_recall.py --weights var/defects/runs/train/weights/best.pt --configs 320 416
Writes benchmarks/results/defect_recall.json and defect_recall.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

logger = logging.getLogger("kefu.benchmarks")
UNSEEN = ROOT / "var" / "defects" / "data"
SECOND = ROOT / "var" / "defects" / "second"


def sets(count: int) -> dict[str, list]:
    from training.defect_recall import load_set

    if not (UNSEEN / "images" / "test").is_dir():
        raise SystemExit(f"no test split under {UNSEEN}: python -m training.defect_data --out {UNSEEN} --seed 0 "
                         "(--train 0 --val 0 renders the test split alone)")
    if not (SECOND / "manifest.json").is_file() or json.loads((SECOND / "manifest.json").read_text())["count"] < count:
        from benchmarks.defects_second import write_set

        logger.info("rendering %d photos of the second renderer into %s", count, SECOND)
        write_set(SECOND, count)
    return {"unseen-looks": load_set(UNSEEN, "images/test", "labels/test"),
            "second": load_set(SECOND)[:count]}


def run(weights: str, imgsz: int, conf: float | None, photos: dict[str, list], threads: int) -> dict:
    from models import load_detector
    from models.detector.yolo import DetectorConfig
    from training.defect_recall import score

    config = DetectorConfig(model=weights, imgsz=imgsz, backend="onnx", device="cpu", threads=threads,
                            **({} if conf is None else {"conf": conf}))
    detector = load_detector(config)
    out = {"imgsz": imgsz, "conf": config.conf}
    for name, items in photos.items():
        started = time.perf_counter()
        table = score(detector, items)
        out[name] = {**table.summary(), "ms_per_photo": round((time.perf_counter() - started) * 1000 / len(items), 1)}
        logger.info("%s imgsz %d conf %.2f: recall %s, precision %s, clean silent %s, %.0f ms/photo", name, imgsz,
                    config.conf, out[name]["recall"], out[name]["precision"], out[name]["clean_silent"], out[name]["ms_per_photo"])
    return out


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from aftersales.policy.decisions import DEFECT_TAXONOMY
    from training.defect_recall import RECALL_BAR

    names = [n for n in ("unseen-looks", "second") if any(n in c for c in result["configs"].values())]
    fig, axes = plt.subplots(1, len(names), figsize=(7 * len(names), 6), squeeze=False)
    x = np.arange(len(DEFECT_TAXONOMY))
    configs = result["configs"]
    width = 0.8 / max(1, len(configs))
    for ax, name in zip(axes[0], names):
        for k, (label, config) in enumerate(configs.items()):
            table = config[name]
            values = [table["recall"].get(c) or 0.0 for c in DEFECT_TAXONOMY]
            ax.bar(x + (k - (len(configs) - 1) / 2) * width, values, width,
                   label=f"{label}: precision {table['precision']}, clean silent {table['clean_silent']}, "
                         f"{table['ms_per_photo']:.0f} ms")
        ax.axhline(RECALL_BAR, color="grey", linestyle=":", linewidth=1)
        ax.set_xticks(x, DEFECT_TAXONOMY, rotation=30, fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("recall at IoU 0.3, serving threshold")
        ax.set_title(f"{name}: {configs[next(iter(configs))][name]['photos']} photos", fontsize=9)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", nargs="+", default=["kefu-defects"],
                        help="registry names or .pt/.onnx paths, each measured at every --configs size")
    parser.add_argument("--configs", nargs="+", type=int, default=[320], help="input sizes to measure")
    parser.add_argument("--conf", type=float, help="threshold instead of the serving one (DetectorConfig.conf)")
    parser.add_argument("--count", type=int, default=400, help="photos of the second renderer")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    path = args.out / "defect_recall.json"
    if args.plot_only:
        return plot(json.loads(path.read_text()), path.with_suffix(".png"))
    from training.defect_recall import boxes_per_class, median_extent

    photos = sets(args.count)
    result: dict = {
        "what": "kefu-defects as served: per-class recall at IoU 0.3, precision and clean photos silent at the "
                "serving threshold, on unseen looks of the training renderer and on a second renderer",
        "weights": args.weights, "cpus": os.cpu_count(),
        "command": "python benchmarks/defect_recall.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "sets": {name: {"photos": len(items), "boxes": boxes_per_class(items), "median_extent": median_extent(items)}
                 for name, items in photos.items()},
        "configs": {},
    }
    for weights in args.weights:
        for imgsz in args.configs:
            key = f"{Path(weights).stem}@{imgsz}" if len(args.weights) > 1 else str(imgsz)
            result["configs"][key] = {"weights": weights, **run(weights, imgsz, args.conf, photos, args.threads)}
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    plot(result, path.with_suffix(".png"))
    logger.info("wrote %s", path)


if __name__ == "__main__":
    main()
