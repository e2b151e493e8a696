"""kefu's own defect detector, as shipped in models/weights/: on photos rendered from the looks the training split
never saw, it names the defect, keeps quiet on clean photos, and onnxruntime and PyTorch give the same answer."""

from __future__ import annotations

from itertools import islice

import pytest
from PIL import Image

from aftersales.policy.decisions import DEFECT_TAXONOMY
from models import registry
from models.detector.yolo import DetectorConfig, build_detector
from tests.detections import iou, unmatched
from tests.media import unseen_defect_plans
from training.defect_scene import render_scene
from training.detector import card_facts

pytestmark = pytest.mark.slow

SEED = 917  # not the dataset's seed: photos the model was neither trained nor evaluated on


def unseen_photos(count: int, clean: bool) -> list[tuple[Image.Image, list]]:
    """Test-regime photos (reserved materials, palettes, light and ranges), each with its true boxes."""
    scenes = (render_scene(plan) for plan in islice(unseen_defect_plans(SEED, clean), count))
    return [(Image.fromarray(scene.image), scene.boxes) for scene in scenes]


@pytest.fixture(scope="module")
def card() -> dict:
    return card_facts()


@pytest.fixture(scope="module")
def detectors(card, tmp_path_factory):
    registry.prepare(["kefu-defects"])
    export = tmp_path_factory.mktemp("onnx")
    config = dict(model="kefu-defects", imgsz=320, conf=card["conf"], device="cpu", threads=2)
    return {backend: build_detector(DetectorConfig(**config, backend=backend, export_dir=str(export)))
            for backend in ("onnx", "torch")}


def test_the_shipped_model_speaks_the_taxonomy(detectors):
    for detector in detectors.values():
        assert tuple(detector.labels) == DEFECT_TAXONOMY


def test_defects_on_unseen_looks_are_found_and_named(detectors):
    photos = unseen_photos(30, clean=False)
    found = 0
    for (image, boxes), detections in zip(photos, detectors["onnx"].detect([p for p, _ in photos])):
        truth = boxes[0]
        found += any(d.label == truth.name and iou(d.box, (truth.x1, truth.y1, truth.x2, truth.y2)) >= 0.5
                     for d in detections)
    # the card's test-split mAP50 is ≥ 0.6; a single-defect photo is found and named at least half the time
    assert found >= 15, f"{found}/30"


def test_clean_photos_of_unseen_looks_get_no_report(detectors):
    photos = unseen_photos(30, clean=True)
    assert all(not boxes for _, boxes in photos)
    silent = sum(not d for d in detectors["onnx"].detect([p for p, _ in photos]))
    assert silent >= 26, f"{silent}/30 clean photos without a report"


def test_onnxruntime_and_pytorch_give_the_same_detections(detectors, card):
    images = [p for p, _ in unseen_photos(8, clean=False)]
    # a detection right at the threshold may fall either side of it on the other backend: compare those clear of it
    clear = card["conf"] + 0.04
    total = 0
    for a, b in zip(detectors["onnx"].detect(images), detectors["torch"].detect(images)):
        a, b = [d for d in a if d.confidence >= clear], [d for d in b if d.confidence >= clear]
        total += len(a)
        # boxes agree closely; scores of the fp32 export and of ultralytics' fused half-precision checkpoint differ
        # by up to ~0.03 on these photos (0.031 on a long scratch of generator v4), which also moves a box edge
        assert unmatched(a, b, min_iou=0.9, max_dconf=0.04) == 0, (a, b)
    assert total >= 4, f"only {total} detections: too few to compare the backends"
