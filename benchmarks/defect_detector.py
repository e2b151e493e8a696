"""Defect detector: mAP50 per class on val and on the unseen-texture test split, and latency of both serving backends.

Accuracy is the shipped `models/weights/kefu-defects.pt` evaluated by `training.detector.evaluate` on the generated
data (`python -m training.defect_data --out var/defects/data`, the recipe in the model card). Latency is
`detect()` of kefu's wrapper — ultralytics' PyTorch predictor and kefu's onnxruntime path — on the same test photos,
at the serving size (`DetectorConfig.imgsz`) and 640 px, batch 1 and 8, interleaved in one run so both see the same machine. Run from the repository root:
    .venv/bin/python benchmarks/defect_detector.py            (about 10 minutes on 2 cores; --skip-accuracy: 3)
Writes benchmarks/results/defect_detector.json and defect_detector.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.detector.yolo import DetectorConfig  # noqa: E402

logger = logging.getLogger("kefu.benchmarks")
DATA = ROOT / "var" / "defects" / "data" / "data.yaml"
WEIGHTS = ROOT / "models" / "weights" / "kefu-defects.pt"
SERVING_SIZE = DetectorConfig().imgsz
GOAL_SPEEDUP = 1.5  # onnxruntime over PyTorch at batch 1 on this CPU, at the serving size


def photos(data: Path, count: int) -> list:
    from PIL import Image

    folder = data.parent / "images" / "test"
    paths = sorted(folder.glob("*.jpg"))[:count]
    if not paths:
        raise SystemExit(f"no test photos under {folder}: generate them with python -m training.defect_data")
    return [Image.open(p).convert("RGB") for p in paths]


def accuracy(weights: Path, data: Path) -> dict:
    """The evaluation the model card quotes when `weights` are the shipped ones (same sha256), else a fresh one."""
    from models.registry import sha256_file
    from training.detector import card_facts, evaluate_for_serving

    card = card_facts()
    if card.get("sha256") == sha256_file(weights) and card.get("evaluation"):
        return {**card["evaluation"], "source": "models/weights/kefu-defects.json (same sha256)"}
    return evaluate_for_serving(weights, data, imgsz=card.get("evaluation", {}).get("imgsz", SERVING_SIZE)).summary()


def latency(weights: Path, images: list, sizes: tuple[int, ...], batches: tuple[int, ...], repeats: int,
            threads: int) -> dict:
    """p50/p95 ms per detect() call for each backend, size and batch; calls interleave the backends."""
    from models import load_detector
    from models.detector.yolo import DetectorConfig

    rows: dict[str, dict] = {}
    for size in sizes:
        detectors = {backend: load_detector(DetectorConfig(model=str(weights), imgsz=size, backend=backend,
                                                           device="cpu", threads=threads))
                     for backend in ("torch", "onnx")}
        for batch in batches:
            chunks = [images[(i * batch) % len(images):(i * batch) % len(images) + batch] for i in range(repeats)]
            chunks = [c if len(c) == batch else images[:batch] for c in chunks]
            times: dict[str, list[float]] = {b: [] for b in detectors}
            for detector in detectors.values():
                detector.detect(chunks[0])  # warm-up, not measured
            for chunk in chunks:
                for backend, detector in detectors.items():
                    started = time.perf_counter()
                    detector.detect(chunk)
                    times[backend].append((time.perf_counter() - started) * 1000)
            key = f"{size}px_batch{batch}"
            rows[key] = {backend: {"p50_ms": round(float(np.percentile(t, 50)), 1),
                                   "p95_ms": round(float(np.percentile(t, 95)), 1),
                                   "per_image_ms": round(float(np.percentile(t, 50)) / batch, 1)}
                         for backend, t in times.items()}
            rows[key]["speedup_p50"] = round(rows[key]["torch"]["p50_ms"] / rows[key]["onnx"]["p50_ms"], 2)
            logger.info("%s: torch p50 %.0f ms, onnx p50 %.0f ms (%.2fx)", key, rows[key]["torch"]["p50_ms"],
                        rows[key]["onnx"]["p50_ms"], rows[key]["speedup_p50"])
    return rows


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from aftersales.policy.decisions import DEFECT_TAXONOMY

    fig, (acc_ax, lat_ax) = plt.subplots(1, 2, figsize=(14, 4.5))
    accuracy = result.get("accuracy")
    if accuracy:
        x = np.arange(len(DEFECT_TAXONOMY))
        for k, (split, colour) in enumerate((("val", "#4c72b0"), ("test", "#dd8452"))):
            values = [accuracy["per_class_map50"].get(split, {}).get(label, 0.0) for label in DEFECT_TAXONOMY]
            bars = acc_ax.bar(x + (k - 0.5) * 0.4, values, 0.4, color=colour,
                              label=f"{split} (mAP50 {accuracy['map50'].get(split, 0):.2f})")
            acc_ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=6)
        acc_ax.set_xticks(x, DEFECT_TAXONOMY, rotation=30, fontsize=8)
        acc_ax.axhline(0.6, color="grey", linestyle=":", linewidth=1)
        acc_ax.set_ylim(0, 1.05)
        acc_ax.set_ylabel("AP50")
        clean = accuracy["clean_no_defect"].get("test")
        acc_ax.set_title(f"AP50 per class; test = unseen textures; clean test photos with no report at conf "
                         f"{accuracy['conf']}: {clean:.0%}", fontsize=9)
        acc_ax.legend(fontsize=8)
    rows = result["latency"]
    keys = list(rows)
    x = np.arange(len(keys))
    for k, (backend, colour) in enumerate((("torch", "#dd8452"), ("onnx", "#4c72b0"))):
        p50 = [rows[key][backend]["p50_ms"] for key in keys]
        p95 = [rows[key][backend]["p95_ms"] for key in keys]
        label = "ultralytics PyTorch" if backend == "torch" else "kefu onnxruntime"
        bars = lat_ax.bar(x + (k - 0.5) * 0.4, p50, 0.4, color=colour, label=f"{label} p50")
        lat_ax.errorbar(x + (k - 0.5) * 0.4, p50, yerr=[[0] * len(p50), [b - a for a, b in zip(p50, p95)]],
                        fmt="none", ecolor="black", capsize=2, linewidth=0.8)
        lat_ax.bar_label(bars, labels=[f"{v:.0f}" for v in p50], fontsize=7)
    lat_ax.set_xticks(x, [f"{k.replace('_', ', ')}\n{rows[k]['speedup_p50']:.2f}x" for k in keys], fontsize=8)
    lat_ax.set_ylabel("ms per detect() call (bar p50, whisker p95)")
    lat_ax.set_title("Latency on the 2-core CPU, same photos, interleaved", fontsize=9)
    lat_ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per backend, size and batch")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads of each backend")
    parser.add_argument("--skip-accuracy", action="store_true", help="latency only (keeps the saved accuracy)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    path = args.out / "defect_detector.json"
    if args.plot_only:
        return plot(json.loads(path.read_text()), path.with_suffix(".png"))
    previous = json.loads(path.read_text()) if path.exists() else {}
    result: dict = {
        "what": "kefu-defects (YOLOv8s fine-tuned on generated photos): mAP50 per class on val and on the test split "
                "of unseen textures; detect() latency, ultralytics PyTorch vs kefu's onnxruntime path",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "threads": args.threads},
        "weights": str(args.weights.relative_to(ROOT) if args.weights.is_relative_to(ROOT) else args.weights),
    }
    if args.skip_accuracy:
        result["accuracy"] = previous.get("accuracy")
    else:
        result["accuracy"] = accuracy(args.weights, args.data)
    images = photos(args.data, 32)
    result["latency"] = latency(args.weights, images, (SERVING_SIZE, 640), (1, 8), args.repeats, args.threads)
    speedup = result["latency"][f"{SERVING_SIZE}px_batch1"]["speedup_p50"]
    result["goal"] = {f"onnx_over_torch_at_batch1_{SERVING_SIZE}px": speedup, "goal": f">= {GOAL_SPEEDUP}x",
                      "met": speedup >= GOAL_SPEEDUP}
    if result["accuracy"]:
        test = result["accuracy"]
        result["goal"].update({"test_map50": test["map50"].get("test"), "test_map50_goal": ">= 0.6",
                               "clean_no_defect_test": test["clean_no_defect"].get("test"),
                               "clean_goal": ">= 0.9"})
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    plot(result, path.with_suffix(".png"))
    logger.info("wrote %s: %s", path, result["goal"])


if __name__ == "__main__":
    main()
