"""The onnxruntime detector backend: same detections as ultralytics' PyTorch predict, batching, export cache, errors."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.detector.yolo import DetectorConfig, YoloDefectDetector, build_detector, resolve_backend
from models.detector.export import export_onnx, export_path
from models.detector.onnx import (
    OnnxYoloDetector,
    decode,
    decode_end2end,
    letterbox,
    letterbox_shape,
    nms,
    unletterbox,
)
from models.errors import ModelError, WeightsNotFound
from tests.detections import iou, unmatched
from tests.tiny.vision import TINY_YOLO_LABELS

USER_MODELS_DIR = os.environ.get("KEFU_MODELS_DIR")
# Tall, wide, tiny and ordinary shapes (width, height): the letterbox must map each back into its own pixels.
SHAPES = [(200, 120), (90, 160), (20, 20), (1000, 30), (30, 700), (64, 64)]


def noise(width: int, height: int, seed: int) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


@pytest.fixture(scope="module", autouse=True)
def export_cache(tiny_dir):
    """ONNX exports go to the session's tiny-model folder, never to the user's models folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KEFU_MODELS_DIR", str(tiny_dir / "models"))
        yield tiny_dir / "models"


@pytest.fixture(scope="module")
def spread_yolo(tiny_yolo, tiny_dir) -> Path:
    """The tiny YOLOv8n with BatchNorm statistics taken from random images.

    The stock tiny model's activations vanish through its random layers, so every score is 0.5 give or take 1e-7:
    two backends would then differ only in how they break ties. Calibrated statistics spread the scores over
    (0.5, 1), which makes comparing the backends meaningful.
    """
    import torch
    from ultralytics import YOLO

    out = tiny_dir / "yolo" / "tiny-yolov8n-spread.pt"
    if out.is_file():
        return out
    model = YOLO(str(tiny_yolo))
    net = model.model.float()
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative: the statistics of exactly the batch below
            module.reset_running_stats()
    net.train()
    with torch.no_grad():
        net(torch.rand(8, 3, 128, 128, generator=torch.Generator().manual_seed(0)))
    net.eval()
    model.save(out)
    return out


def config(weights: Path, **changes) -> DetectorConfig:
    return DetectorConfig(**{"model": str(weights), "imgsz": 64, "conf": 0.8, "device": "cpu", **changes})


@pytest.fixture(scope="module")
def onnx_detector(spread_yolo) -> OnnxYoloDetector:
    return OnnxYoloDetector(config(spread_yolo))


@pytest.fixture(scope="module")
def torch_detector(spread_yolo) -> YoloDefectDetector:
    return YoloDefectDetector(config(spread_yolo))


def test_onnx_and_torch_backends_find_the_same_defects(onnx_detector, torch_detector):
    images = [noise(w, h, seed) for seed, (w, h) in enumerate(SHAPES)]
    total = 0
    for image in images:
        by_torch, by_onnx = torch_detector.detect([image])[0], onnx_detector.detect([image])[0]
        total += len(by_torch)
        assert unmatched(by_torch, by_onnx, min_iou=0.9, max_dconf=1e-4) == 0, image.size
    assert total >= 50, f"only {total} detections: too few to compare the backends"


def test_a_batch_equals_its_singles_and_same_shapes_share_one_run(onnx_detector, monkeypatch):
    # At imgsz 64 the first three letterbox to 64x64 and the 1000x30 strip to 64 wide, 32 high.
    images = [noise(200, 120, 1), noise(90, 160, 2), noise(200, 120, 3), noise(1000, 30, 4)]
    singles = [onnx_detector.detect([image])[0] for image in images]
    runs: list[tuple] = []
    session = onnx_detector._session

    class Spy:
        def run(self, names, feeds):
            runs.append(next(iter(feeds.values())).shape)
            return session.run(names, feeds)

    monkeypatch.setattr(onnx_detector, "_session", Spy())
    together = onnx_detector.detect(images)
    assert sorted(runs) == [(1, 3, 32, 64), (3, 3, 64, 64)]
    assert sum(map(len, singles)) > 0
    for alone, batched in zip(singles, together):
        assert len(alone) == len(batched)
        assert unmatched(alone, batched, min_iou=0.999, max_dconf=1e-5) == 0


@pytest.mark.parametrize("width,height", [(20, 20), (1000, 30), (30, 700), (641, 479)])
def test_odd_aspect_ratios_map_boxes_back_inside_the_image(width, height, spread_yolo):
    detector = OnnxYoloDetector(config(spread_yolo, conf=0.6))
    found = detector.detect([noise(width, height, 9)])[0]
    assert found
    for detection in found:
        x1, y1, x2, y2 = detection.box
        assert 0 <= x1 <= x2 <= width and 0 <= y1 <= y2 <= height
    # Boxes reaching past the 64 px model input along the long side can only come from scaling back.
    reach = max(max(d.box[2] for d in found), max(d.box[3] for d in found))
    assert reach > 64 or max(width, height) <= 64


@pytest.mark.parametrize("auto", [True, False])
@pytest.mark.parametrize("size", [64, 320])
def test_letterbox_is_pixel_identical_to_ultralytics(size, auto):
    from ultralytics.data.augment import LetterBox

    for height, width in [(120, 200), (160, 90), (20, 20), (30, 1000), (700, 30), (1, 1), (333, 517)]:
        image = np.random.default_rng(height * width).integers(0, 256, (height, width, 3), dtype=np.uint8)
        theirs = LetterBox(size, auto=auto, stride=32)(image=image.copy())
        ours = letterbox(image, (size, size), 32, auto)
        assert ours.shape == theirs.shape and np.array_equal(ours, theirs), (height, width)


def test_boxes_map_back_like_ultralytics_scale_boxes():
    from ultralytics.utils.ops import scale_boxes

    rng = np.random.default_rng(0)
    for height, width in [(120, 200), (30, 1000), (700, 30), (20, 20)]:
        (new_h, new_w), (top, bottom, left, right) = letterbox_shape(height, width, (320, 320), 32, True)
        input_hw = (new_h + top + bottom, new_w + left + right)
        boxes = np.sort(rng.uniform(0, 320, (50, 4)).astype(np.float32).reshape(50, 2, 2), axis=1).reshape(50, 4)
        boxes = boxes[:, [0, 2, 1, 3]]  # x1 y1 x2 y2 with x1 <= x2, y1 <= y2
        theirs = scale_boxes(input_hw, boxes.copy(), (height, width))
        ours = unletterbox(boxes, input_hw, (height, width))
        ours[:, [0, 2]] = ours[:, [0, 2]].clip(0, width)
        ours[:, [1, 3]] = ours[:, [1, 3]].clip(0, height)
        np.testing.assert_allclose(ours, theirs, atol=1e-3)


def test_nms_keeps_what_torchvision_keeps():
    import torch
    import torchvision

    rng = np.random.default_rng(1)
    corners = rng.uniform(0, 200, (300, 2)).astype(np.float32)
    boxes = np.concatenate([corners, corners + rng.uniform(5, 80, (300, 2)).astype(np.float32)], axis=1)
    scores = rng.permutation(300).astype(np.float32) / 300  # distinct: no ties for the orders to break apart
    for threshold in (0.3, 0.45, 0.7):
        expected = torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), threshold).numpy()
        assert nms(boxes, scores, threshold, 10_000).tolist() == expected.tolist()
        assert nms(boxes, scores, threshold, 7).tolist() == expected[:7].tolist()


def test_decode_matches_ultralytics_non_max_suppression():
    import torch
    from ultralytics.utils.nms import non_max_suppression

    rng = np.random.default_rng(2)
    anchors, classes = 600, 5
    pred = np.concatenate(
        [
            rng.uniform(0, 320, (2, anchors)),  # centres
            rng.uniform(4, 120, (2, anchors)),  # widths, heights
            rng.uniform(0, 1, (classes, anchors)),
        ]
    ).astype(np.float32)
    expected = non_max_suppression(torch.from_numpy(pred[None].copy()), 0.5, 0.45, max_det=40)[0].numpy()
    boxes, scores, ids = decode(pred, 0.5, 0.45, 40)
    assert len(expected) == 40
    np.testing.assert_allclose(boxes, expected[:, :4], atol=1e-3)
    np.testing.assert_allclose(scores, expected[:, 4], atol=1e-6)
    assert ids.tolist() == expected[:, 5].astype(int).tolist()


def test_end2end_output_is_read_like_ultralytics_reads_it():
    import torch
    from ultralytics.utils.nms import non_max_suppression

    rng = np.random.default_rng(3)
    rows = np.concatenate(
        [rng.uniform(0, 160, (300, 2)), rng.uniform(160, 320, (300, 2)), rng.uniform(0, 1, (300, 1)),
         rng.integers(0, 10, (300, 1))], axis=1
    ).astype(np.float32)
    rows = rows[np.argsort(-rows[:, 4])]  # an NMS-free head emits its rows best first
    expected = non_max_suppression(torch.from_numpy(rows[None].copy()), 0.4, 0.45, max_det=25, end2end=True)[0]
    boxes, scores, ids = decode_end2end(rows, 0.4, 25)
    assert len(ids) == 25
    np.testing.assert_array_equal(np.column_stack([boxes, scores, ids]), expected.numpy())


def test_backend_selection(monkeypatch):
    import models.detector.yolo as detector_module

    assert resolve_backend(DetectorConfig(device="cpu")) == "onnx"
    assert resolve_backend(DetectorConfig(device="cuda")) == "torch"
    assert resolve_backend(DetectorConfig(device="mps")) == "torch"
    assert resolve_backend(DetectorConfig(device="cuda", backend="onnx")) == "onnx"
    assert resolve_backend(DetectorConfig(device="cpu", backend="torch")) == "torch"
    monkeypatch.setattr(detector_module, "cuda_present", lambda: False)
    assert resolve_backend(DetectorConfig(device="auto")) == "onnx"
    monkeypatch.setattr(detector_module, "cuda_present", lambda: True)
    assert resolve_backend(DetectorConfig(device="auto")) == "torch"


def test_load_detector_on_cpu_is_the_onnx_backend(tiny_yolo):
    from models import load_detector

    detector = load_detector(config(tiny_yolo))
    assert isinstance(detector, OnnxYoloDetector)
    assert detector.device == "cpu" and detector.name == "tiny-yolov8n"


def test_with_a_cached_export_the_onnx_path_never_imports_torch(tiny_yolo, export_cache):
    import sys

    export_onnx(tiny_yolo, 64)  # the cache the child process will find
    script = (
        "import sys\n"
        "from PIL import Image\n"
        "from models.detector.yolo import DetectorConfig, build_detector\n"
        f"d = build_detector(DetectorConfig(model={str(tiny_yolo)!r}, imgsz=64, device='auto'))\n"
        "d.detect([Image.new('RGB', (90, 40))])\n"
        "print(type(d).__name__, sorted(m for m in ('torch', 'ultralytics') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "KEFU_MODELS_DIR": str(export_cache), "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "OnnxYoloDetector []"


def test_labels_come_from_the_export_metadata(tiny_yolo, tmp_path):
    import onnx

    detector = OnnxYoloDetector(config(tiny_yolo))
    assert detector.labels == TINY_YOLO_LABELS
    exported = onnx.load(str(export_path(tiny_yolo, 64)))
    renamed = [f"flaw {i}" for i in range(80)]
    for prop in exported.metadata_props:
        if prop.key == "names":
            prop.value = str(dict(enumerate(renamed)))
    onnx.save(exported, str(tmp_path / "renamed.onnx"))
    given_onnx = OnnxYoloDetector(config(tmp_path / "renamed.onnx"))
    assert given_onnx.labels == renamed and given_onnx.name == "renamed"

    for bad in ("", "not python", "{0: 'a', 2: 'b'}", "['only two', 'names']"):
        for prop in exported.metadata_props:
            if prop.key == "names":
                prop.value = bad
        onnx.save(exported, str(tmp_path / "bad.onnx"))
        with pytest.raises(ModelError, match="bad.onnx"):
            OnnxYoloDetector(config(tmp_path / "bad.onnx"))


def test_an_onnx_file_is_loaded_as_it_is_and_agrees_with_its_checkpoint(onnx_detector, spread_yolo):
    direct = OnnxYoloDetector(config(export_path(spread_yolo, 64)))
    image = noise(200, 120, 11)
    assert direct.detect([image]) == onnx_detector.detect([image])


def test_export_is_cached_by_content_and_reused(tiny_yolo, tmp_path, monkeypatch):
    import ultralytics

    first = export_onnx(tiny_yolo, 64, out=tmp_path)
    assert first.parent == tmp_path and first.name.startswith("tiny-yolov8n-") and first.name.endswith("-64.onnx")
    stamp = first.stat().st_mtime_ns

    def refuse(*args, **kwargs):
        raise AssertionError("a cached export must not be exported again")

    monkeypatch.setattr(ultralytics, "YOLO", refuse)
    assert export_onnx(tiny_yolo, 64, out=tmp_path) == first
    assert first.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name], "no temporary files may be left behind"
    with pytest.raises(ModelError, match="export"):
        export_onnx(tiny_yolo, 96, out=tmp_path)  # another size is another file: it does export (and fails here)


def test_a_detector_given_a_checkpoint_exports_it_once(tiny_yolo, tmp_path, monkeypatch):
    import models.detector.export as export_module

    monkeypatch.setenv("KEFU_MODELS_DIR", str(tmp_path))
    real, calls = export_module._run_exporter, []

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(export_module, "_run_exporter", counting)
    OnnxYoloDetector(config(tiny_yolo))
    OnnxYoloDetector(config(tiny_yolo))
    assert len(calls) == 1


def test_the_export_folder_is_configurable(tiny_yolo, tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_MODELS_DIR", str(tmp_path / "models"))
    OnnxYoloDetector(config(tiny_yolo, export_dir=str(tmp_path / "exports")))
    assert [p.name for p in (tmp_path / "exports").iterdir()] == [export_path(tiny_yolo, 64).name]
    assert not (tmp_path / "models").exists()


def test_a_corrupt_cached_export_is_made_again(tiny_yolo, tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_MODELS_DIR", str(tmp_path))
    cached = export_path(tiny_yolo, 64)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half an export")
    detector = OnnxYoloDetector(config(tiny_yolo))
    assert detector.labels == TINY_YOLO_LABELS
    assert cached.stat().st_size > 1_000_000


def test_export_never_reaches_the_network_or_runs_pip(tiny_yolo, tmp_path, monkeypatch):
    import ultralytics  # noqa: F401  (imported before the traps: its import may legitimately probe things)

    def no_network(*args, **kwargs):
        raise AssertionError(f"export tried to connect to {args}")

    def no_process(self, *args, **kwargs):
        raise AssertionError(f"export tried to run {args or kwargs.get('args')}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(subprocess.Popen, "__init__", no_process)
    assert export_onnx(tiny_yolo, 64, out=tmp_path, force=True).is_file()


def test_export_refuses_bad_input(tmp_path, tiny_yolo):
    with pytest.raises(WeightsNotFound):
        export_onnx(tmp_path / "absent.pt", 64)
    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(ModelError, match=r"\.pt"):
        export_onnx(tmp_path / "model.onnx", 64)
    with pytest.raises(ValueError, match="multiple of 32"):
        export_onnx(tiny_yolo, 100)


def test_cuda_without_a_cuda_onnxruntime_is_a_clear_error(tiny_yolo):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has a CUDA provider")
    with pytest.raises(ModelError, match="onnxruntime-gpu"):
        OnnxYoloDetector(config(tiny_yolo, device="cuda"))


@pytest.mark.gpu
def test_torch_on_cuda_finds_what_onnx_finds(spread_yolo, onnx_detector):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    on_gpu = build_detector(config(spread_yolo, device="cuda", backend="torch"))
    assert on_gpu.device.startswith("cuda")
    for seed, (width, height) in enumerate(SHAPES):
        image = noise(width, height, seed)
        # cuDNN may use TF32 convolutions: a looser score tolerance than CPU-to-CPU.
        assert unmatched(on_gpu.detect([image])[0], onnx_detector.detect([image])[0], 0.9, 0.02) <= 1


@pytest.mark.slow
def test_real_yolov8s_gives_the_same_detections_on_both_backends(monkeypatch):
    from skimage import data

    from models.registry import is_prepared

    if USER_MODELS_DIR is None:
        monkeypatch.delenv("KEFU_MODELS_DIR", raising=False)
    else:
        monkeypatch.setenv("KEFU_MODELS_DIR", USER_MODELS_DIR)
    if not is_prepared("yolov8s-fall"):
        pytest.skip("run `python -m models prepare --only yolov8s-fall` first")
    settings = DetectorConfig(model="yolov8s-fall", imgsz=320, conf=0.05, device="cpu")
    by_torch = YoloDefectDetector(settings)
    by_onnx = OnnxYoloDetector(settings)
    assert by_onnx.labels == by_torch.labels
    photos = [Image.fromarray(data.astronaut()), Image.fromarray(data.coffee()), Image.fromarray(data.chelsea())]
    total = 0
    for photo in photos:
        expected = by_torch.detect([photo])[0]
        total += len(expected)
        assert unmatched(expected, by_onnx.detect([photo])[0], min_iou=0.9, max_dconf=1e-3) == 0
    assert total > 0, "yolov8s-fall found nothing at conf 0.05 on three photos"
