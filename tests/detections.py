"""Comparing two detectors' answers: box overlap and one-to-one matching of detections."""

from __future__ import annotations

from models.types import Detection


def iou(a: tuple, b: tuple) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - width * height
    return width * height / union if union > 0 else 1.0


def unmatched(first: list[Detection], second: list[Detection], min_iou: float, max_dconf: float) -> int:
    """Detections of either list with no partner of the same label, IoU >= min_iou and |Δconf| <= max_dconf."""
    left = list(second)
    missing = 0
    for detection in first:
        partners = [
            other
            for other in left
            if other.label == detection.label
            and iou(detection.box, other.box) >= min_iou
            and abs(other.confidence - detection.confidence) <= max_dconf
        ]
        if not partners:
            missing += 1
            continue
        left.remove(max(partners, key=lambda other: iou(detection.box, other.box)))
    return missing + len(left)
