"""The serving numbers of the detector benchmark: matching at IoU 0.3, recall, precision and clean photos silent."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from models.types import Detection
from training.defect_recall import Table, iou, load_set, match, score


def _found(label: str, box: tuple[float, float, float, float], confidence: float = 0.9) -> Detection:
    return Detection(label=label, confidence=confidence, box=box)


def test_iou_of_boxes():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0


def test_a_box_is_found_once_by_a_detection_of_its_class_overlapping_enough():
    truth = [("snag", 0, 0, 10, 10), ("hole", 20, 20, 40, 40)]
    found = [_found("snag", (1, 1, 11, 11), 0.6), _found("snag", (0, 0, 10, 10), 0.9),  # two claim the one snag
             _found("stain", (20, 20, 40, 40)),  # right place, wrong class
             _found("hole", (30, 30, 60, 60))]  # IoU 100/1100: too far off
    assert match(truth, found) == {1: 0}


def test_table_counts_recall_precision_and_silent_clean_photos():
    table = Table()
    table.add([("snag", 0, 0, 10, 10), ("hole", 20, 20, 40, 40)], [_found("snag", (0, 0, 9, 10)),
                                                                    _found("stain", (50, 50, 60, 60))])
    table.add([], [])
    table.add([], [_found("stain", (0, 0, 5, 5))])
    summary = table.summary()
    assert summary["recall"]["snag"] == 1.0 and summary["recall"]["hole"] == 0.0
    assert summary["recall"]["crack"] is None  # no crack labelled: no recall to claim
    assert summary["precision"] == pytest.approx(1 / 3, abs=1e-3)
    assert summary["clean_silent"] == 0.5 and summary["clean_photos"] == 2
    assert summary["min_recall"] == 0.0 and summary["bars_met"] is False


def test_load_set_reads_yolo_labels_in_pixels_and_score_runs_a_detector(tmp_path: Path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.new("RGB", (200, 100)).save(tmp_path / "images" / "a.jpg")
    Image.new("RGB", (200, 100)).save(tmp_path / "images" / "b.jpg")
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.4\n")
    (tmp_path / "labels" / "b.txt").write_text("")
    photos = load_set(tmp_path)
    assert [p.path.name for p in photos] == ["a.jpg", "b.jpg"]
    assert photos[0].boxes == (("snag", 80.0, 30.0, 120.0, 70.0),) and photos[1].boxes == ()

    class Seer:  # stands in for the model: reports a snag where one is labelled, nothing on the other photo
        def detect(self, images):
            return [[_found("snag", (82, 30, 118, 72))], []][:len(images)]

    summary = score(Seer(), photos, batch=8).summary()
    assert summary["recall"]["snag"] == 1.0 and summary["precision"] == 1.0 and summary["clean_silent"] == 1.0


def test_load_set_refuses_an_empty_folder(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        load_set(tmp_path)
