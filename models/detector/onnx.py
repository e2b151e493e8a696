"""Defect detector on onnxruntime: a YOLO ONNX export with ultralytics' letterbox and NMS redone in numpy (no torch)."""

from __future__ import annotations

import ast
import logging
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from PIL import Image

from models.detector.yolo import DetectorConfig, cuda_present, resolve_weights, to_detections
from models.types import Detection

logger = logging.getLogger("kefu.models")

PAD_VALUE = 114  # ultralytics' letterbox grey
MAX_WH = 7680  # ultralytics' per-class box offset: boxes of different classes never overlap in one NMS
MAX_NMS = 30000  # ultralytics' cap on boxes entering NMS


def letterbox_shape(
    height: int, width: int, size: tuple[int, int], stride: int, auto: bool
) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """Where an image of `height` x `width` lands in ultralytics' letterbox: ((new_h, new_w), (top, bottom, left,
    right) padding).

    `auto` pads only up to the next multiple of `stride` (ultralytics predict does so for a dynamic model, which is
    why a 4:3 photo runs at 320x256 instead of 320x320); otherwise it pads to `size` (height, width).
    """
    ratio = min(size[0] / height, size[1] / width)
    new_w, new_h = max(round(width * ratio), 1), max(round(height * ratio), 1)
    dw, dh = size[1] - new_w, size[0] - new_h
    if auto:
        dw, dh = dw % stride, dh % stride
    dw, dh = dw / 2, dh / 2
    # The ±0.1 puts the odd pixel at the bottom/right, exactly as ultralytics does.
    return (new_h, new_w), (round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1))


def letterbox(image: np.ndarray, size: tuple[int, int], stride: int, auto: bool) -> np.ndarray:
    """An (H, W, 3) uint8 image resized keeping its aspect ratio and padded with grey, as ultralytics predict does."""
    import cv2

    (new_h, new_w), (top, bottom, left, right) = letterbox_shape(image.shape[0], image.shape[1], size, stride, auto)
    if image.shape[:2] != (new_h, new_w):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)


def unletterbox(boxes: np.ndarray, input_hw: tuple[int, int], image_hw: tuple[int, int]) -> np.ndarray:
    """xyxy boxes in model-input pixels mapped back to the original image's pixels (not clipped), like ultralytics'
    scale_boxes: per-axis gains from the rounded resized sides, and the same rounded padding."""
    gain = min(input_hw[0] / image_hw[0], input_hw[1] / image_hw[1])
    new_h, new_w = (max(round(side * gain), 1) for side in image_hw)
    pad_x = round((input_hw[1] - new_w) / 2 - 0.1)
    pad_y = round((input_hw[0] - new_h) / 2 - 0.1)
    out = boxes.astype(np.float32, copy=True)
    out[:, [0, 2]] = (out[:, [0, 2]] - pad_x) / (new_w / image_hw[1])
    out[:, [1, 3]] = (out[:, [1, 3]] - pad_y) / (new_h / image_hw[0])
    return out


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float, limit: int) -> np.ndarray:
    """Indices of the boxes greedy NMS keeps, best first, at most `limit` (torchvision.ops.nms semantics: a box is
    dropped when its IoU with a kept one is above `iou`)."""
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size and len(keep) < limit:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        width = np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0, None)
        height = np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0, None)
        inter = width * height
        with np.errstate(divide="ignore", invalid="ignore"):  # two empty boxes: NaN, which never suppresses
            overlap = inter / (areas[best] + areas[rest] - inter)
        order = rest[~(overlap > iou)]
    return np.asarray(keep, dtype=np.int64)


def decode(pred: np.ndarray, conf: float, iou: float, max_det: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's raw YOLO output (4 + nc, anchors) → (xyxy boxes, scores, class ids) after class-aware NMS.

    Mirrors ultralytics' non_max_suppression for predict: best class per anchor, score strictly above `conf`.
    """
    class_scores = pred[4:]
    classes = class_scores.argmax(0)
    scores = class_scores.max(0)
    chosen = np.flatnonzero(scores > conf)
    if chosen.size > MAX_NMS:
        chosen = chosen[np.argsort(-scores[chosen], kind="stable")[:MAX_NMS]]
    cx, cy, w, h = pred[0, chosen], pred[1, chosen], pred[2, chosen] / 2, pred[3, chosen] / 2
    boxes = np.stack([cx - w, cy - h, cx + w, cy + h], axis=1)
    scores, classes = scores[chosen], classes[chosen]
    kept = nms(boxes + classes[:, None].astype(np.float32) * MAX_WH, scores, iou, max_det)
    return boxes[kept], scores[kept], classes[kept]


def decode_end2end(
    pred: np.ndarray, conf: float, max_det: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's output of an NMS-free head (YOLOv10, YOLO26): (k, 6) rows of xyxy, score, class, best first."""
    rows = pred[pred[:, 4] > conf][:max_det]
    return rows[:, :4], rows[:, 4], rows[:, 5].astype(np.int64)


def read_names(metadata: Mapping[str, str], source: Path) -> dict[int, str]:
    """Class id → name from the `names` entry ultralytics writes into an export's metadata (a Python dict literal)."""
    from models.errors import ModelError

    raw = metadata.get("names")
    if not raw:
        raise ModelError(f"{source} has no class names in its metadata; export it with ultralytics (yolo export)")
    try:
        value: Any = ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ModelError(f"{source}: cannot read the class names in its metadata ({exc})") from exc
    if isinstance(value, (list, tuple)):
        value = dict(enumerate(value))
    if not isinstance(value, dict) or not value or not all(isinstance(k, int) for k in value):
        raise ModelError(f"{source}: its metadata names {raw[:80]!r} are not a class id → name mapping")
    names = {int(k): str(v) for k, v in value.items()}
    if sorted(names) != list(range(len(names))):
        raise ModelError(f"{source}: class ids in its metadata names are not 0..{len(names) - 1}")
    return names


class OnnxYoloDetector:
    """Images to defects with a YOLO ONNX export on onnxruntime (CPU, or CUDA where onnxruntime-gpu is installed).

    A .pt checkpoint is exported once (`models.detector.export`) and the export is cached; an .onnx file is loaded
    as it is. Images whose letterboxed shapes agree run as one batch in a single `session.run`; each image gets the
    same letterbox as when alone, so its detections never depend on what else was in the batch. One session per
    replica: `detect` holds a lock around the run, so concurrent callers wait their turn.

    Attributes:
        config: The settings it was built from.
        name: The weights' file stem (the checkpoint's, not the cached export's).
        device: "cpu" or "cuda:N": where onnxruntime runs.
        labels: The class names in class-id order.
    """

    def __init__(self, config: DetectorConfig):
        import onnxruntime as ort

        from models.detector.export import export_onnx
        from models.errors import ModelError

        self.config = config
        path = resolve_weights(config.model)
        self.name = path.stem
        exported = path.suffix.lower() == ".pt"
        export_dir = Path(config.export_dir) if config.export_dir else None
        onnx_path = export_onnx(path, config.imgsz, out=export_dir) if exported else path
        providers, self.device = self._providers(ort.get_available_providers())
        try:
            self._session = self._open(ort, onnx_path, providers)
        except ModelError as exc:
            if not exported:
                raise
            # A cached export that will not load (truncated by a full disk, say) is redone rather than fatal.
            logger.warning("cached ONNX export %s does not load (%s); exporting again", onnx_path, exc)
            onnx_path = export_onnx(path, config.imgsz, out=export_dir, force=True)
            self._session = self._open(ort, onnx_path, providers)
        self._check_cuda()
        self._read_model(onnx_path)
        self._lock = threading.Lock()
        self._check_output(onnx_path)
        logger.info("ONNX detector %s loaded from %s on %s, labels %s", self.name, onnx_path, self.device, self.labels)

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        """One list of Detection per image, boxes in that image's pixels, best first."""
        from models.embedder.base import check_images, to_rgb

        check_images(images)
        pictures = [np.asarray(to_rgb(image, i)) for i, image in enumerate(images)]
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        boxed: list[np.ndarray] = []
        for i, picture in enumerate(pictures):
            boxed.append(letterbox(picture, self._size, self._stride, self._auto))
            groups[boxed[-1].shape[:2]].append(i)
        results: list[list[Detection]] = [[] for _ in pictures]
        for shape, members in groups.items():
            outputs = self._run(np.stack([boxed[i] for i in members]))
            for i, pred in zip(members, outputs):
                results[i] = self._detections(pred, shape, pictures[i].shape[:2])
        return results

    def _providers(self, available: list[str]) -> tuple[list, str]:
        from models.errors import ModelError

        requested = self.config.device
        cuda_ok = "CUDAExecutionProvider" in available
        if requested.startswith("cuda") and not cuda_ok:
            raise ModelError(
                f"device {requested!r} was requested but this onnxruntime build has no CUDA provider "
                f"(it has {', '.join(available)}); install onnxruntime-gpu, or use detector backend torch"
            )
        if requested.startswith("cuda") or (requested == "auto" and cuda_ok and cuda_present()):
            index = int(requested.partition(":")[2] or 0)
            return [("CUDAExecutionProvider", {"device_id": index}), "CPUExecutionProvider"], f"cuda:{index}"
        return ["CPUExecutionProvider"], "cpu"

    def _open(self, ort: Any, onnx_path: Path, providers: list) -> Any:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = self.config.threads or 0  # 0: onnxruntime's default, one per core
        options.inter_op_num_threads = 1  # a sequential graph gains nothing from more
        # Idle workers spinning for work cost little on a dedicated box but, on a small one shared with the
        # transcriber, they steal its cores: measured here, 2 spinning threads ran 2x slower under load than 2
        # that sleep.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # its warnings about unused initialisers are noise to an operator
        try:
            return ort.InferenceSession(str(onnx_path), sess_options=options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own pybind exception kinds for bad graphs
            from models.errors import ModelError

            raise ModelError(f"onnxruntime cannot load {onnx_path}: {exc}") from exc

    def _check_cuda(self) -> None:
        from models.errors import ModelError

        if self.device == "cpu" or "CUDAExecutionProvider" in self._session.get_providers():
            return
        # The CUDA provider is installed but did not start (no cuDNN, driver too old): it falls back silently.
        if self.config.device.startswith("cuda"):
            raise ModelError(f"onnxruntime could not start its CUDA provider on {self.device}; check CUDA and cuDNN")
        logger.warning("onnxruntime could not start its CUDA provider; the detector runs on the CPU")
        self.device = "cpu"

    def _read_model(self, onnx_path: Path) -> None:
        from models.errors import ModelError

        metadata = self._session.get_modelmeta().custom_metadata_map
        if metadata.get("task", "detect") != "detect":
            raise ModelError(f"{onnx_path} is a YOLO {metadata['task']} model; the defect detector needs a detect one")
        self._names = read_names(metadata, onnx_path)
        self.labels: list[str] = [self._names[i] for i in range(len(self._names))]
        self._end2end = metadata.get("end2end", "False") == "True"
        self._stride = int(metadata.get("stride", 32))
        model_input, output = self._session.get_inputs()[0], self._session.get_outputs()[0]
        self._input_name, self._output_name = model_input.name, output.name
        batch, _, height, width = model_input.shape
        self._batch = batch if isinstance(batch, int) else None
        if isinstance(height, int) and isinstance(width, int):
            # A static export runs at its own size only: pad every image to exactly that.
            if (height, width) != (self.config.imgsz, self.config.imgsz):
                logger.warning("%s has a fixed %dx%d input; imgsz %d is ignored", onnx_path, height, width,
                               self.config.imgsz)
            self._size, self._auto = (height, width), False
        else:
            self._size, self._auto = (self.config.imgsz, self.config.imgsz), True

    def _check_output(self, onnx_path: Path) -> None:
        """Run one grey image, so a graph that cannot run here, or whose output does not fit its names, fails at
        load rather than on the first customer photo (the export's output shape is symbolic, so run it)."""
        from models.errors import ModelError

        blank = np.full((1, *self._size, 3), PAD_VALUE, np.uint8)
        shape = self._run(blank).shape
        expected = "(batch, k, 6)" if self._end2end else f"(batch, {4 + len(self._names)}, anchors)"
        fits = len(shape) == 3 and (shape[2] == 6 if self._end2end else shape[1] == 4 + len(self._names))
        if not fits:
            raise ModelError(
                f"{onnx_path} outputs shape {shape} but a YOLO detect export naming {len(self._names)} classes "
                f"outputs {expected}"
            )

    def _run(self, batch: np.ndarray) -> np.ndarray:
        """(B, H, W, 3) uint8 letterboxed images → the model's (B, ...) output, chunked for a fixed-batch export."""
        from models.errors import ModelError

        tensor = np.ascontiguousarray(batch.transpose(0, 3, 1, 2)).astype(np.float32) / np.float32(255.0)
        step = self._batch or len(tensor)
        outputs = []
        for start in range(0, len(tensor), step):
            chunk = tensor[start : start + step]
            short = step - len(chunk)
            if short:  # a fixed-batch export needs full batches: pad with copies, drop their results
                chunk = np.concatenate([chunk, np.repeat(chunk[:1], short, axis=0)])
            try:
                with self._lock:
                    out = self._session.run([self._output_name], {self._input_name: chunk})[0]
            except Exception as exc:  # onnxruntime's pybind errors have no common public base
                raise ModelError(f"onnxruntime failed on a batch of shape {chunk.shape}: {exc}") from exc
            outputs.append(out[: step - short])
        return np.concatenate(outputs)

    def _detections(self, pred: np.ndarray, input_hw: tuple[int, int], image_hw: tuple[int, int]) -> list[Detection]:
        cfg = self.config
        if self._end2end:
            boxes, scores, classes = decode_end2end(pred, cfg.conf, cfg.max_det)
        else:
            boxes, scores, classes = decode(pred, cfg.conf, cfg.iou, cfg.max_det)
        if not len(boxes):
            return []
        boxes = unletterbox(boxes, input_hw, image_hw)
        return to_detections(boxes, scores, classes, (image_hw[1], image_hw[0]), self._names)

