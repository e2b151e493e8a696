"""Detections → after-sales issues: taxonomy file, severity from size and count, location, partial-refund money."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aftersales.policy.decisions import DEFECT_TAXONOMY
from aftersales.defects import DEFAULT_TAXONOMY, DefectTaxonomy, PhotoDetections, assess, describe, location
from aftersales.errors import InvalidInput, PolicyConfigError
from aftersales.money import percent_of


@pytest.fixture(scope="module")
def taxonomy() -> DefectTaxonomy:
    return DefectTaxonomy.load()


def test_shipped_taxonomy_names_every_label_in_class_id_order(taxonomy):
    assert list(taxonomy.labels) == list(DEFECT_TAXONOMY)
    assert (taxonomy.labels["snag"].zh, taxonomy.labels["crack"].group) == ("勾丝", "hard_goods")
    assert {info.group for info in taxonomy.labels.values()} == {"fabric", "hard_goods"}


def _write(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "defects.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "where"), [
    (lambda d: d["labels"].pop("snag"), "labels"),
    (lambda d: d["labels"].update({"smudge": {"zh": "x", "en": "x", "group": "fabric", "base": "minor"}}), "labels"),
    (lambda d: d["labels"]["hole"].update({"base": "awful"}), "labels.hole.base"),
    (lambda d: d["labels"]["hole"].update({"group": "food"}), "labels.hole.group"),
    (lambda d: d["labels"]["hole"].update({"colour": "red"}), "labels.hole.colour"),
    (lambda d: d["severity"]["area"].update({"moderate": 1.5}), "severity.area.moderate"),
    (lambda d: d["severity"]["count"].update({"moderate": 9}), "severity"),
    (lambda d: d.update({"sevrity": {}}), "sevrity"),
])
def test_a_bad_taxonomy_file_names_the_key(tmp_path, edit, where):
    with pytest.raises(PolicyConfigError) as caught:
        DefectTaxonomy.load(_write(tmp_path, edit))
    assert where in str(caught.value)


def test_unreadable_taxonomy_is_a_config_error(tmp_path):
    with pytest.raises(PolicyConfigError):
        DefectTaxonomy.load(tmp_path / "missing.yaml")


def test_severity_grows_with_area_count_and_label(taxonomy):
    small = (0.0, 0.0, 10.0, 10.0)  # 0.01 % of 1000 x 1000
    one = assess([PhotoDetections(1000, 1000, [("stain", 0.9, small)])], taxonomy)
    assert [(i.label, i.severity, i.count) for i in one] == [("stain", "minor", 1)]
    wide = assess([PhotoDetections(1000, 1000, [("stain", 0.9, (0.0, 0.0, 400.0, 400.0))])], taxonomy)
    assert wide[0].severity == "severe" and wide[0].area == pytest.approx(0.16)
    # Count runs over every photo of the turn.
    spread = [PhotoDetections(1000, 1000, [("stain", 0.5, small)] * 2) for _ in range(2)]
    assert assess(spread, taxonomy)[0].severity == "severe" and assess(spread, taxonomy)[0].count == 4
    assert assess([PhotoDetections(1000, 1000, [("broken", 0.9, small)])], taxonomy)[0].severity == "severe"


def test_issues_come_most_severe_first_and_keep_the_surest_box(taxonomy):
    photo = PhotoDetections(900, 900, [
        ("snag", 0.95, (800.0, 800.0, 890.0, 890.0)), ("stain", 0.9, (0.0, 0.0, 10.0, 10.0)),
        ("tear", 0.4, (400.0, 400.0, 420.0, 420.0)), ("dog", 0.99, (0.0, 0.0, 900.0, 900.0)),
        ("stain", 0.6, (0.0, 800.0, 10.0, 810.0)),
    ])
    issues = assess([photo], taxonomy)
    # Two stains and a tear are moderate (by count, by label), the lone small snag minor; a dog is no defect.
    assert [(i.label, i.severity) for i in issues] == [("stain", "moderate"), ("tear", "moderate"), ("snag", "minor")]
    stain = issues[0]
    assert (stain.confidence, stain.box, stain.location, stain.count) == (0.9, (0.0, 0.0, 10.0, 10.0), "upper left", 2)
    assert issues[2].location == "lower right"
    assert [i.label for i in assess([photo], taxonomy, min_confidence=0.5)] == ["stain", "snag"]
    assert issues[1].to_dict(taxonomy)["name"] == {"zh": "撕裂", "en": "tear"}


def test_a_photo_without_a_size_is_refused(taxonomy):
    with pytest.raises(InvalidInput):
        assess([PhotoDetections(0, 100, [])], taxonomy)


@pytest.mark.parametrize(("box", "where"), [
    ((0, 0, 10, 10), "upper left"),
    ((140, 0, 160, 10), "upper centre"),
    ((290, 140, 300, 160), "middle right"),
    ((140, 140, 160, 160), "middle centre"),
    ((0, 290, 10, 300), "lower left"),
])
def test_location_in_thirds(box, where):
    assert location(box, 300, 300) == where


@pytest.mark.parametrize(("cents", "percent", "expected"), [
    (19999, 20, 4000), (32900, 20, 6580), (1, 50, 1), (3, 50, 2), (999, 33.3, 333), (10000, 12.5, 1250)])
def test_percent_of_rounds_half_up_to_the_cent(cents, percent, expected):
    assert percent_of(cents, percent) == expected


def test_describe_gives_every_box_its_names_and_place_and_the_issues(taxonomy):
    photo = PhotoDetections(300, 300, [("snag", 0.9, (0.0, 0.0, 30.0, 30.0)), ("dog", 0.8, (200.0, 200.0, 290.0, 290.0))])
    out = describe(photo, taxonomy)
    assert (out["width"], out["height"]) == (300, 300)
    assert [(d["label"], d["name"], d["location"]) for d in out["defects"]] == [
        ("snag", {"zh": "勾丝", "en": "snag"}, "upper left"), ("dog", None, "lower right")]
    assert [i["label"] for i in out["issues"]] == ["snag"] and out["issues"][0]["name"]["zh"] == "勾丝"
