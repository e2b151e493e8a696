"""What a customer sees of the detector: per-class recall at IoU 0.3, precision, and clean photos left silent.

mAP (what ultralytics' val reports) ranks boxes over every threshold; serving reports only what clears one `conf`.
These are the serving numbers: a labelled box is *found* when a detection of its class at the serving threshold
overlaps it with IoU >= 0.3 (a customer's photo needs the defect named and roughly placed, not a tight box); a
detection is *right* when it finds a labelled box of its class; a clean photo is *silent* when nothing is reported.

    table = score(detector, load_set(Path("var/defects/second")))
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from aftersales.policy.decisions import DEFECT_TAXONOMY

if TYPE_CHECKING:
    from models.types import DefectDetector, Detection

MATCH_IOU = 0.3
# The bars of issue 15 on photos of unseen looks and from the second renderer.
RECALL_BAR = 0.8
PRECISION_BAR = 0.8
SILENT_BAR = 0.9


@dataclass(frozen=True)
class Labelled:
    """One photo of a set, its (width, height) and its boxes: (class name, x0, y0, x1, y1) in the photo's pixels."""

    path: Path
    size: tuple[int, int]
    boxes: tuple[tuple[str, float, float, float, float], ...]


@dataclass
class Table:
    """Counts behind the serving numbers of one set."""

    found: Counter = field(default_factory=Counter)
    labelled: Counter = field(default_factory=Counter)
    right: Counter = field(default_factory=Counter)
    reported: Counter = field(default_factory=Counter)
    clean: int = 0
    silent: int = 0
    photos: int = 0

    def add(self, truth: Sequence[tuple[str, float, float, float, float]], found: Sequence["Detection"]) -> None:
        self.photos += 1
        if not truth:
            self.clean += 1
            self.silent += not found
        hits = match(truth, found)
        for k, (label, *_rest) in enumerate(truth):
            self.labelled[label] += 1
            self.found[label] += k in hits.values()
        for j, detection in enumerate(found):
            self.reported[detection.label] += 1
            self.right[detection.label] += j in hits

    def summary(self) -> dict:
        recall = {label: round(self.found[label] / self.labelled[label], 3) if self.labelled[label] else None
                  for label in DEFECT_TAXONOMY}
        precision = {label: round(self.right[label] / self.reported[label], 3) if self.reported[label] else None
                     for label in DEFECT_TAXONOMY}
        total_reported = sum(self.reported.values())
        total_labelled = sum(self.labelled.values())
        overall_precision = round(sum(self.right.values()) / total_reported, 3) if total_reported else None
        silent = round(self.silent / self.clean, 3) if self.clean else None
        present = [v for v in recall.values() if v is not None]
        return {
            "photos": self.photos, "clean_photos": self.clean, "boxes": total_labelled,
            "recall": recall, "labelled": dict(self.labelled),
            "recall_all": round(sum(self.found.values()) / total_labelled, 3) if total_labelled else None,
            "min_recall": min(present) if present else None,
            "precision": overall_precision, "precision_per_class": precision,
            "clean_silent": silent,
            "bars_met": bool(present) and min(present) >= RECALL_BAR and (overall_precision or 0) >= PRECISION_BAR
                        and (silent is None or silent >= SILENT_BAR),
        }


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def match(truth: Sequence[tuple[str, float, float, float, float]], found: Sequence["Detection"],
          threshold: float = MATCH_IOU) -> dict[int, int]:
    """Detection index -> labelled box index, greedily by confidence: each box is found at most once."""
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for j in sorted(range(len(found)), key=lambda j: -found[j].confidence):
        best, best_iou = None, threshold
        for k, (label, *box) in enumerate(truth):
            if k in taken or label != found[j].label:
                continue
            overlap = iou(box, found[j].box)
            if overlap >= best_iou:
                best, best_iou = k, overlap
        if best is not None:
            pairs[j] = best
            taken.add(best)
    return pairs


def load_set(folder: Path, images: str = "images", labels: str = "labels") -> list[Labelled]:
    """The photos of a YOLO-layout folder (folder/images/*.jpg, folder/labels/*.txt) with their boxes in pixels.

    `images` and `labels` name the sub-folders (e.g. "images/test" and "labels/test" for a training dataset)."""
    from PIL import Image

    pictures = sorted((folder / images).glob("*.jpg"))
    if not pictures:
        raise FileNotFoundError(f"no photos under {folder / images}")
    out = []
    for path in pictures:
        with Image.open(path) as image:
            width, height = image.size
        rows = (folder / labels / f"{path.stem}.txt").read_text().split("\n")
        boxes = []
        for row in filter(None, (r.strip() for r in rows)):
            cls, cx, cy, w, h = row.split()
            cx, cy, w, h = float(cx) * width, float(cy) * height, float(w) * width, float(h) * height
            boxes.append((DEFECT_TAXONOMY[int(cls)], cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
        out.append(Labelled(path, (width, height), tuple(boxes)))
    return out


def score(detector: "DefectDetector", photos: Iterable[Labelled], batch: int = 8) -> Table:
    """Run `detector` over `photos` in batches and count what it found."""
    from PIL import Image

    table = Table()
    chunk: list[Labelled] = []

    def flush() -> None:
        pictures = []
        for item in chunk:
            with Image.open(item.path) as image:
                pictures.append(image.convert("RGB"))
        for item, found in zip(chunk, detector.detect(pictures)):
            table.add(item.boxes, found)
        chunk.clear()

    for item in photos:
        chunk.append(item)
        if len(chunk) == batch:
            flush()
    if chunk:
        flush()
    return table


def boxes_per_class(photos: Iterable[Labelled]) -> dict[str, int]:
    counts = Counter(label for item in photos for label, *_ in item.boxes)
    return {label: counts[label] for label in DEFECT_TAXONOMY}


def median_extent(photos: Iterable[Labelled]) -> dict[str, float]:
    """Median longer box side per class, as a share of the photo's short side (how big the defects are)."""
    sides: dict[str, list[float]] = {}
    for item in photos:
        short = min(item.size)
        for label, x0, y0, x1, y1 in item.boxes:
            sides.setdefault(label, []).append(max(x1 - x0, y1 - y0) / short)
    return {label: round(float(np.median(v)), 3) for label, v in sides.items()}
