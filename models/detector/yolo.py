"""Defect detector: settings, the factory that picks a backend, and the torch (ultralytics predict) backend."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading

import pydantic.dataclasses
from pydantic import Field, model_validator
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Mapping, Sequence

import numpy as np
from PIL import Image

from models.fields import Count, Device, Fraction, Name
from models.types import Detection

if TYPE_CHECKING:
    from models.types import DefectDetector

logger = logging.getLogger("kefu.models")

BACKENDS = ("auto", "onnx", "torch")


@pydantic.dataclasses.dataclass
class DetectorConfig:
    """How to build the defect detector.

    Attributes:
        model: A registry name ("kefu-defects", kefu's own detector) or a local ultralytics checkpoint (.pt) or ONNX
            export (.onnx).
        imgsz: Inference size in pixels (letterboxed square side; a multiple of 32). kefu-defects was trained at 320.
        conf: Minimum confidence in [0, 1] for a detection to be reported; the default is the threshold
            kefu-defects' model card chose on clean val photos.
        iou: IoU threshold in [0, 1] of non-maximum suppression.
        device: "auto" (CUDA when a GPU is present, else CPU), "cpu", "cuda" or "cuda:N" ("mps": torch only).
        max_det: Most detections reported per image.
        threads: CPU threads for inference: torch's intra-op threads (process-wide) on the torch backend,
            onnxruntime's intra-op threads (this session only) on the onnx backend; None leaves the library's default
            (all cores). On a small box shared with the transcriber, fewer threads keep the two from thrashing.
        backend: "auto" (onnx on CPU, torch on CUDA), "onnx" (onnxruntime: CPU, or CUDA where onnxruntime-gpu is
            installed; a .pt is exported to ONNX once and cached) or "torch" (ultralytics' own PyTorch predictor).
        export_dir: Folder the ONNX exports of .pt checkpoints are cached in; None is `<models dir>/onnx-exports`.
    """

    model: Name = "kefu-defects"
    imgsz: int = Field(320, strict=True, ge=32, multiple_of=32)
    conf: Fraction = 0.5
    iou: Fraction = 0.45
    device: Device = "auto"
    max_det: Count = 50
    threads: Count | None = None
    backend: Literal[BACKENDS] = "auto"  # type: ignore[valid-type]
    export_dir: str | None = None

    @model_validator(mode="after")
    def _runs_there(self) -> "DetectorConfig":
        if self.backend == "onnx" and self.device == "mps":
            raise ValueError("detector backend onnx cannot run on mps; use backend torch (or auto) there")
        return self


def cuda_present() -> bool:
    """Whether a CUDA GPU is usable here, asked of torch if it is already loaded, else of the driver directly.

    Asking the driver keeps the onnx backend's process free of torch, which it does not otherwise need.
    """
    if "torch" in sys.modules:
        return bool(sys.modules["torch"].cuda.is_available())
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    # CUDA_SUCCESS is 0; cuDeviceGetCount honours CUDA_VISIBLE_DEVICES just as torch does.
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return False
    return count.value > 0


def resolve_backend(config: DetectorConfig) -> str:
    """The backend `config` runs on: "onnx" or "torch" ("auto" means onnx on CPU, torch on CUDA or MPS)."""
    if config.backend != "auto":
        return config.backend
    if config.device == "cpu":
        return "onnx"
    if config.device == "auto":
        return "torch" if cuda_present() else "onnx"
    return "torch"


def build_detector(config: DetectorConfig) -> "DefectDetector":
    """The defect detector `config` asks for, on the backend `resolve_backend` picks.

    Raises:
        models.errors.WeightsNotFound: The weights are neither a local file nor a prepared registry name.
        models.errors.ModelError: The weights cannot be loaded, exported, or run on the requested device.
    """
    backend = resolve_backend(config)
    logger.info("defect detector backend: %s (asked %s, device %s)", backend, config.backend, config.device)
    if backend == "onnx":
        from models.detector.onnx import OnnxYoloDetector

        return OnnxYoloDetector(config)
    return YoloDefectDetector(config)


def resolve_weights(model: str) -> Path:
    """The local .pt or .onnx file a config's `model` names.

    Raises:
        models.errors.WeightsNotFound: Neither a local file nor a prepared registry name.
        models.errors.ModelError: A file that is neither .pt nor .onnx.
    """
    from models.errors import ModelError, WeightsNotFound
    from models.registry import resolve

    path = Path(resolve(model))
    if not path.is_file():
        raise WeightsNotFound(
            f"detector weights {model!r} are neither a local .pt/.onnx file nor a prepared registry name"
        )
    if path.suffix.lower() not in (".pt", ".onnx"):
        raise ModelError(f"detector weights {path} must be an ultralytics .pt checkpoint or an .onnx export")
    return path


def to_detections(
    boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, size: tuple[int, int], names: Mapping[int, str]
) -> list[Detection]:
    """Detections for one image, best first, from (n, 4) xyxy boxes in its pixels, n scores and n class ids.

    Every backend ends here, so boxes are clipped, ordered and named the same way whichever one ran. The sort is
    stable: a random-init or quantised model ties scores, and ties then keep the order NMS kept them in.
    """
    width, height = size
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0.0, float(width))
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0.0, float(height))
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    classes = np.asarray(classes).reshape(-1).astype(np.int64)
    order = np.argsort(-scores, kind="stable")
    return [
        Detection(
            label=names[int(classes[i])],
            confidence=float(scores[i]),
            box=(float(boxes[i, 0]), float(boxes[i, 1]), float(boxes[i, 2]), float(boxes[i, 3])),
        )
        for i in order
    ]


class YoloDefectDetector:
    """Images to defects with one ultralytics YOLO model.

    Ultralytics predictors keep per-call state, so one wrapper must not run two predictions at once: `detect`
    holds a lock and concurrent callers wait their turn. Use one wrapper per thread to predict in parallel.

    Attributes:
        labels: The checkpoint's class names in class-id order.
    """

    def __init__(self, config: DetectorConfig):
        # Before ultralytics is imported: it reads these once, and must neither phone home nor pip-install.
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault("YOLO_AUTOINSTALL", "false")
        from ultralytics import YOLO

        from models.device import cap_threads, pick_device
        from models.errors import ModelError

        self.config = config
        path = resolve_weights(config.model)
        self.device = pick_device(config.device)
        cap_threads(config.threads)
        try:
            self.model = YOLO(str(path), task="detect")
        except Exception as exc:  # ultralytics raises many kinds for a bad or foreign checkpoint
            raise ModelError(f"cannot load YOLO weights {path}: {exc}") from exc
        if self.model.task != "detect":
            raise ModelError(f"{path} is a YOLO {self.model.task} model; the defect detector needs a detect model")
        self._lock = threading.Lock()
        self.name = path.stem
        # ONNX exports only learn their names at the first prediction: warm up before reading them. That is also
        # when ultralytics first opens an .onnx file, so a corrupt one fails here.
        try:
            self._predict([Image.new("RGB", (config.imgsz, config.imgsz))])
        except Exception as exc:  # ultralytics raises TypeError, RuntimeError, ... for an unloadable file
            raise ModelError(f"cannot run YOLO weights {path}: {exc}") from exc
        self._names: dict[int, str] = {int(i): str(n) for i, n in self.model.names.items()}
        self.labels: list[str] = [self._names[i] for i in sorted(self._names)]
        logger.info("YOLO detector %s loaded from %s on %s, labels %s", self.name, path, self.device, self.labels)

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        """One list of Detection per image, boxes in that image's pixels, best first."""
        from models.embedder.base import check_images, to_rgb

        check_images(images)
        if len(images) == 0:
            return []
        pictures = [to_rgb(image, i) for i, image in enumerate(images)]
        results = self._predict(pictures)
        return [self._detections(result, picture) for result, picture in zip(results, pictures)]

    def _predict(self, pictures: list[Image.Image]) -> list:
        with self._lock:
            return self.model.predict(
                pictures,
                imgsz=self.config.imgsz,
                conf=self.config.conf,
                iou=self.config.iou,
                max_det=self.config.max_det,
                device=self.device,
                verbose=False,
                save=False,
            )

    def _detections(self, result, picture: Image.Image) -> list[Detection]:
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return []
        return to_detections(
            boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy(), boxes.cls.cpu().numpy(), picture.size, self._names
        )
