"""Detections in customer photos → after-sales issues: taxonomy names, severity from size and count, location."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from aftersales.errors import InvalidInput, PolicyConfigError
from aftersales.policy.config import validated
from aftersales.policy.decisions import DEFECT_TAXONOMY, SEVERITIES

DEFAULT_TAXONOMY = Path(__file__).resolve().parents[1] / "configs" / "defects.yaml"
# A photo in thirds: where the defect's centre lies ("upper left").
_ROWS = ("upper", "middle", "lower")
_COLUMNS = ("left", "centre", "right")

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class LabelInfo:
    """One taxonomy label.

    Attributes:
        id: The API label (DEFECT_TAXONOMY).
        zh: Chinese display name.
        en: English display name.
        group: "fabric" or "hard_goods".
        base: Least severity of any finding of this label (a hole is never minor).
    """

    id: str
    zh: str
    en: str
    group: str
    base: str

    @property
    def names(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _LabelEntry(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    group: Literal["fabric", "hard_goods"]
    base: Literal[SEVERITIES]  # type: ignore[valid-type]  (the tuple spreads into the three values)


class _Area(_Strict):
    moderate: float = Field(0.04, ge=0, le=1)
    severe: float = Field(0.15, ge=0, le=1)


class _Count(_Strict):
    moderate: int = Field(2, ge=1)
    severe: int = Field(4, ge=1)


class _Severity(_Strict):
    area: _Area = _Area()
    count: _Count = _Count()

    @model_validator(mode="after")
    def _ordered(self) -> "_Severity":
        if self.area.moderate > self.area.severe or self.count.moderate > self.count.severe:
            raise ValueError("moderate thresholds must not exceed severe ones")
        return self


class _TaxonomyFile(_Strict):
    """configs/defects.yaml as written."""

    labels: dict[str, _LabelEntry]
    severity: _Severity = _Severity()

    @model_validator(mode="after")
    def _every_label_in_order(self) -> "_TaxonomyFile":
        if list(self.labels) != list(DEFECT_TAXONOMY):
            raise ValueError(f"labels must list exactly {list(DEFECT_TAXONOMY)} in that order (the detector's class "
                             f"ids), got {list(self.labels)}")
        return self


@dataclass(frozen=True)
class DefectTaxonomy:
    """Display names and severity thresholds, read from configs/defects.yaml (its schema: `_TaxonomyFile`, where
    the thresholds' defaults are).

    Attributes:
        labels: Label id → its info, in taxonomy order.
        area_moderate, area_severe: Share of the photo the largest box must cover to be moderate / severe.
        count_moderate, count_severe: Boxes of one label that make it moderate / severe.
    """

    labels: dict[str, LabelInfo]
    area_moderate: float
    area_severe: float
    count_moderate: int
    count_severe: int

    @classmethod
    def load(cls, path: Path = DEFAULT_TAXONOMY) -> "DefectTaxonomy":
        """Raises PolicyConfigError naming the file and the key of the first mistake."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PolicyConfigError(Path(path), "(file)", f"cannot read the defect taxonomy: {exc}") from exc
        read = validated(_TaxonomyFile, data, Path(path))
        labels = {name: LabelInfo(name, entry.zh, entry.en, entry.group, entry.base)
                  for name, entry in read.labels.items()}
        area, count = read.severity.area, read.severity.count
        return cls(labels, area.moderate, area.severe, count.moderate, count.severe)


@dataclass(frozen=True)
class DefectIssue:
    """One defect label as the policy sees it, over all photos of a turn.

    Attributes:
        label: Taxonomy id.
        confidence: Best detector score among its boxes.
        count: Boxes of this label.
        severity: "minor", "moderate" or "severe".
        area: Largest box's share of its photo, in [0, 1].
        location: Where the largest-scoring box lies in its photo ("upper left", ..., "middle centre").
        box: That box in the photo's pixels.
    """

    label: str
    confidence: float
    count: int
    severity: str
    area: float
    location: str
    box: Box

    def to_dict(self, taxonomy: DefectTaxonomy | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "confidence": round(self.confidence, 4), "count": self.count,
                               "severity": self.severity, "area": round(self.area, 4), "location": self.location,
                               "box": [round(v, 1) for v in self.box]}
        if taxonomy is not None:
            out["name"] = taxonomy.labels[self.label].names
            out["group"] = taxonomy.labels[self.label].group
        return out


def location(box: Box, width: int, height: int) -> str:
    """The photo third the box's centre falls in, as "row column" ("upper left", "middle centre")."""
    cx, cy = (box[0] + box[2]) / 2 / max(width, 1), (box[1] + box[3]) / 2 / max(height, 1)
    row = _ROWS[min(int(cy * 3), 2)]
    column = _COLUMNS[min(int(cx * 3), 2)]
    return f"{row} {column}"


@dataclass(frozen=True)
class PhotoDetections:
    """The detector's boxes for one photo and the photo's size.

    Attributes:
        width, height: Photo size in pixels.
        detections: (label, confidence, (x1, y1, x2, y2)) per box, in the photo's pixels.
    """

    width: int
    height: int
    detections: Sequence[tuple[str, float, Box]]


def assess(photos: Iterable[PhotoDetections], taxonomy: DefectTaxonomy, *, min_confidence: float = 0.0
           ) -> list[DefectIssue]:
    """Group the boxes of all photos by label and judge each label's severity; most severe, then surest, first.

    Labels outside the taxonomy (a placeholder or foreign checkpoint) are ignored, as are boxes under
    `min_confidence`.
    """
    grouped: dict[str, list[tuple[float, Box, float, str]]] = {}
    for photo in photos:
        if photo.width <= 0 or photo.height <= 0:
            raise InvalidInput(f"photo size must be positive, got {photo.width}x{photo.height}")
        for label, confidence, box in photo.detections:
            if label not in taxonomy.labels or confidence < min_confidence:
                continue
            x1, y1, x2, y2 = box
            area = max(x2 - x1, 0.0) * max(y2 - y1, 0.0) / (photo.width * photo.height)
            grouped.setdefault(label, []).append(
                (float(confidence), box, min(area, 1.0), location(box, photo.width, photo.height)))
    issues = []
    for label, boxes in grouped.items():
        confidence, box, _, where = max(boxes, key=lambda b: b[0])
        largest = max(b[2] for b in boxes)
        severity = max(
            SEVERITIES.index(taxonomy.labels[label].base),
            _level(largest, taxonomy.area_moderate, taxonomy.area_severe),
            _level(len(boxes), taxonomy.count_moderate, taxonomy.count_severe),
        )
        issues.append(DefectIssue(label, confidence, len(boxes), SEVERITIES[severity], largest, where, box))
    issues.sort(key=lambda i: (-SEVERITIES.index(i.severity), -i.confidence))
    return issues


def shown(photo: PhotoDetections, taxonomy: DefectTaxonomy) -> list[dict[str, Any]]:
    """A photo's boxes as the API shows them: label, display names (None outside the taxonomy), confidence, box and
    where in the photo it is."""
    labels = taxonomy.labels
    return [{"label": label, "name": labels[label].names if label in labels else None,
             "confidence": round(confidence, 4), "box": [round(v, 1) for v in box],
             "location": location(box, photo.width, photo.height)} for label, confidence, box in photo.detections]


def describe(photo: PhotoDetections, taxonomy: DefectTaxonomy) -> dict[str, Any]:
    """What `/v1/defects` answers for one photo: its size, every box as `shown`, and the after-sales issues (one per
    taxonomy label) the policy reads."""
    return {"width": photo.width, "height": photo.height, "defects": shown(photo, taxonomy),
            "issues": [issue.to_dict(taxonomy) for issue in assess([photo], taxonomy)]}


def _level(value: float, moderate: float, severe: float) -> int:
    return 2 if value >= severe else 1 if value >= moderate else 0


__all__ = ["DefectIssue", "DefectTaxonomy", "LabelInfo", "PhotoDetections", "SEVERITIES", "assess", "describe",
           "location", "shown"]
