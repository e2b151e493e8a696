"""Model wrappers: pure Python, never Ray. Each loads from a local path and exposes list-in / list-out methods.

Importing this package is cheap; torch, faster-whisper and ultralytics load only when a factory is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.types import DefectDetector, Detection, Embedder, Segment, Transcriber, Transcript, Word

if TYPE_CHECKING:
    from models.detector.yolo import DetectorConfig
    from models.embedder.base import EmbedderConfig
    from models.ocr import OcrConfig, ScreenReader
    from models.whisper.engine import WhisperConfig

__all__ = [
    "DefectDetector",
    "Detection",
    "Embedder",
    "Segment",
    "Transcriber",
    "Transcript",
    "Word",
    "load_detector",
    "load_embedder",
    "load_reader",
    "load_transcriber",
]


def load_transcriber(config: "WhisperConfig") -> Transcriber:
    from models.whisper.engine import WhisperTranscriber

    return WhisperTranscriber(config)


def load_embedder(config: "EmbedderConfig") -> Embedder:
    from models.embedder.base import build_embedder

    return build_embedder(config)


def load_detector(config: "DetectorConfig") -> DefectDetector:
    from models.detector.yolo import build_detector

    return build_detector(config)


def load_reader(config: "OcrConfig") -> "ScreenReader":
    from models.ocr import ScreenReader

    return ScreenReader(config)
