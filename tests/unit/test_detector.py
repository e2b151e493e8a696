"""The YOLO defect detector on a tiny random-init YOLOv8n, on both backends: results, boxes, batching, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from models.detector.yolo import DetectorConfig, build_detector, to_detections
from models.errors import InvalidMedia, ModelError, WeightsNotFound
from models.types import DefectDetector, Detection
from tests.tiny.vision import TINY_YOLO_LABELS

BACKENDS = ["torch", "onnx"]


def noise(width: int, height: int, seed: int) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def scene(width: int = 200, height: int = 120) -> Image.Image:
    pixels = np.full((height, width, 3), 235, np.uint8)
    pixels[height // 4 : height // 2, width // 5 : width // 2] = (200, 30, 30)
    pixels[height // 2 :, 2 * width // 3 :] = (30, 30, 200)
    return Image.fromarray(pixels)


@pytest.fixture(scope="module", autouse=True)
def export_cache(tiny_dir):
    """ONNX exports go to the session's tiny-model folder, never to the user's models folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KEFU_MODELS_DIR", str(tiny_dir / "models"))
        yield


@pytest.fixture(scope="module", params=BACKENDS)
def detector(request, tiny_yolo) -> DefectDetector:
    return build_detector(
        DetectorConfig(model=str(tiny_yolo), imgsz=64, conf=0.25, device="cpu", backend=request.param)
    )


def _key(detections: list[Detection]) -> list[tuple]:
    """Order-free comparison key: scores tie on a random-init model, so the order among equals may vary."""
    return sorted((d.label, round(d.confidence, 4), tuple(round(v, 1) for v in d.box)) for d in detections)


def test_detector_satisfies_the_protocol_and_reads_labels_from_the_checkpoint(detector):
    assert isinstance(detector, DefectDetector)
    assert detector.labels == TINY_YOLO_LABELS


def test_one_list_of_valid_detections_per_image(detector):
    images = [scene(200, 120), noise(90, 160, 1), scene(64, 64)]
    results = detector.detect(images)
    assert len(results) == len(images)
    assert sum(len(found) for found in results) > 0, "the tiny model should report something at conf 0.25"
    for image, found in zip(images, results):
        assert len(found) <= detector.config.max_det
        for detection in found:
            assert isinstance(detection, Detection)
            assert detection.label in detector.labels
            assert 0.25 <= detection.confidence <= 1.0
            x1, y1, x2, y2 = detection.box
            assert 0 <= x1 <= x2 <= image.width
            assert 0 <= y1 <= y2 <= image.height
        scores = [d.confidence for d in found]
        assert scores == sorted(scores, reverse=True)


def test_boxes_are_in_original_pixels_not_model_input_pixels(detector):
    # imgsz is 64: boxes reaching past 64 px can only come from scaling back to the 400x100 original.
    found = detector.detect([scene(400, 100)])[0]
    assert found
    assert max(d.box[2] for d in found) > 64


def test_batch_of_two_equals_two_singles(detector):
    first, second = scene(200, 120), noise(90, 160, 2)
    together = detector.detect([first, second])
    singles = [detector.detect([first])[0], detector.detect([second])[0]]
    assert [_key(found) for found in together] == [_key(found) for found in singles]


def test_empty_in_empty_out(detector):
    assert detector.detect([]) == []


def test_other_pixel_modes_are_accepted(detector):
    image = scene(160, 96)
    assert _key(detector.detect([image.convert("RGBA")])[0]) == _key(detector.detect([image])[0])
    assert len(detector.detect([image.convert("L")])) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_det_and_conf_are_honoured(tiny_yolo, backend):
    images = [scene(), noise(100, 100, 3)]
    capped = build_detector(
        DetectorConfig(model=str(tiny_yolo), imgsz=64, conf=0.0, max_det=3, device="cpu", backend=backend)
    )
    assert [len(found) for found in capped.detect(images)] == [3, 3], "at conf 0 every anchor is a candidate"
    # The tiny model scores everything near 0.5: just above it some anchors pass and some do not.
    loose = build_detector(DetectorConfig(model=str(tiny_yolo), imgsz=64, conf=0.5, device="cpu", backend=backend))
    strict = build_detector(DetectorConfig(model=str(tiny_yolo), imgsz=64, conf=0.9, device="cpu", backend=backend))
    assert all(d.confidence > 0.5 for found in loose.detect(images) for d in found)
    assert strict.detect(images) == [[], []]


def test_concurrent_callers_get_the_same_answers_as_serial_ones(detector):
    images = [scene(200, 120), noise(120, 80, 4), scene(96, 160), noise(64, 64, 5)]
    expected = [_key(detector.detect([image])[0]) for image in images]
    got: dict[int, list] = {}

    def work(index: int) -> None:
        got[index] = _key(detector.detect([images[index]])[0])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(images))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [got[i] for i in range(len(images))] == expected


def test_non_images_are_refused(detector):
    with pytest.raises(InvalidMedia, match="image 0"):
        detector.detect([np.zeros((10, 10, 3), np.uint8)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_weights_are_weights_not_found(tmp_path, backend):
    with pytest.raises(WeightsNotFound):
        build_detector(DetectorConfig(model=str(tmp_path / "absent.pt"), device="cpu", backend=backend))


@pytest.mark.parametrize("backend", BACKENDS)
def test_foreign_or_corrupt_weights_are_model_errors(tmp_path, backend):
    for name in ("junk.pt", "junk.onnx"):
        junk = tmp_path / name
        junk.write_bytes(b"not a checkpoint")
        with pytest.raises(ModelError, match=name.replace(".", r"\.")):
            build_detector(DetectorConfig(model=str(junk), device="cpu", backend=backend))
    text = tmp_path / "weights.txt"
    text.write_text("hello")
    with pytest.raises(ModelError, match=r"\.pt"):
        build_detector(DetectorConfig(model=str(text), device="cpu", backend=backend))


def test_shared_postprocess_clips_orders_and_names():
    boxes = np.array([[-5.0, 10.0, 50.0, 20.0], [10.0, -3.0, 120.0, 90.0], [1.0, 2.0, 3.0, 4.0]], np.float32)
    found = to_detections(boxes, np.array([0.3, 0.9, 0.6]), np.array([2, 0, 2]), (100, 80), {0: "dent", 2: "tear"})
    assert [(d.label, round(d.confidence, 6)) for d in found] == [("dent", 0.9), ("tear", 0.6), ("tear", 0.3)]
    assert found[0].box == (10.0, 0.0, 100.0, 80.0)
    assert found[2].box == (0.0, 10.0, 50.0, 20.0)
    assert all(isinstance(v, float) for d in found for v in (d.confidence, *d.box))
    assert to_detections(np.zeros((0, 4)), np.zeros(0), np.zeros(0), (10, 10), {}) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"imgsz": 100},
        {"imgsz": 0},
        {"conf": 1.5},
        {"iou": -0.1},
        {"max_det": 0},
        {"model": ""},
        {"device": "gpu"},
        {"threads": 0},
        {"backend": "tensorrt"},
        {"backend": "ONNX"},
        {"backend": "onnx", "device": "mps"},
    ],
)
def test_bad_config_values_are_value_errors(changes):
    with pytest.raises(ValueError):
        DetectorConfig(**changes)
