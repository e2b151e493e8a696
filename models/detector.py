"""Defect detector: an ultralytics YOLO checkpoint (.pt or .onnx) behind a list-in / list-out wrapper."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from PIL import Image

from models.types import Detection

logger = logging.getLogger("kefu.models")


@dataclass
class DetectorConfig:
    """How to build the defect detector.

    Attributes:
        model: A registry name ("yolov8s-fall", the placeholder until kefu's own defect detector ships) or a local
            ultralytics checkpoint (.pt) or ONNX export (.onnx).
        imgsz: Inference size in pixels (letterboxed square side; a multiple of 32).
        conf: Minimum confidence in [0, 1] for a detection to be reported.
        iou: IoU threshold in [0, 1] of non-maximum suppression.
        device: "auto" (CUDA when torch sees a GPU, else CPU), "cpu", "cuda" or "cuda:N".
        max_det: Most detections reported per image.
        threads: torch intra-op CPU threads for this process; None leaves torch's default (all cores). On a
            small box shared with the transcriber, fewer threads here keep the two from thrashing each other.
    """

    model: str = "yolov8s-fall"
    imgsz: int = 640
    conf: float = 0.25
    iou: float = 0.45
    device: str = "auto"
    max_det: int = 50
    threads: int | None = None

    def __post_init__(self) -> None:
        # ValueError, so that pydantic settings that embed this dataclass report it as a validation error.
        from models.device import check_device

        check_device(self.device)
        if not isinstance(self.model, str) or not self.model.strip():
            raise ValueError("detector model must be a registry name or a local .pt/.onnx path")
        if isinstance(self.imgsz, bool) or not isinstance(self.imgsz, int) or self.imgsz < 32 or self.imgsz % 32:
            raise ValueError(f"detector imgsz must be a positive multiple of 32, not {self.imgsz!r}")
        for name in ("conf", "iou"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"detector {name} must be a number in [0, 1], not {value!r}")
        if isinstance(self.max_det, bool) or not isinstance(self.max_det, int) or self.max_det < 1:
            raise ValueError(f"detector max_det must be a positive integer, not {self.max_det!r}")
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int)
                                         or self.threads < 1):
            raise ValueError(f"detector threads must be a positive integer or None, not {self.threads!r}")


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
        from models.errors import ModelError, WeightsNotFound
        from models.registry import resolve

        self.config = config
        path = Path(resolve(config.model))
        if not path.is_file():
            raise WeightsNotFound(
                f"detector weights {config.model!r} are neither a local .pt/.onnx file nor a prepared registry name"
            )
        if path.suffix.lower() not in (".pt", ".onnx"):
            raise ModelError(f"detector weights {path} must be an ultralytics .pt checkpoint or an .onnx export")
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
        # ONNX exports only learn their names at the first prediction: warm up before reading them.
        self._predict([Image.new("RGB", (config.imgsz, config.imgsz))])
        self._names: dict[int, str] = {int(i): str(n) for i, n in self.model.names.items()}
        self.labels: list[str] = [self._names[i] for i in sorted(self._names)]
        logger.info("YOLO detector %s loaded from %s on %s, labels %s", self.name, path, self.device, self.labels)

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        """One list of Detection per image, boxes in that image's pixels, best first."""
        from models.embedder import check_images, to_rgb

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
        width, height = picture.size
        found = []
        for (x1, y1, x2, y2), score, cls in zip(boxes.xyxy.tolist(), boxes.conf.tolist(), boxes.cls.tolist()):
            box = (
                min(max(x1, 0.0), float(width)),
                min(max(y1, 0.0), float(height)),
                min(max(x2, 0.0), float(width)),
                min(max(y2, 0.0), float(height)),
            )
            found.append(Detection(label=self._names[int(cls)], confidence=float(score), box=box))
        found.sort(key=lambda d: d.confidence, reverse=True)
        return found
