"""Results and capability protocols shared by every model wrapper (no torch, no Ray)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Word:
    """One word (or, in Chinese, one character or token) with its time, when word timestamps were asked for.

    Attributes:
        start: Start time in seconds from the beginning of the audio.
        end: End time in seconds.
        text: The word as Whisper wrote it (a leading space in languages that use spaces).
        probability: Decoder probability of the word.
    """

    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    """One decoded stretch of speech.

    Attributes:
        start: Start time in seconds from the beginning of the audio.
        end: End time in seconds.
        text: The text of this stretch, stripped.
        words: Its words with their times; empty unless word timestamps were asked for.
    """

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """What a voice note said.

    Attributes:
        text: All segments joined, stripped.
        language: ISO 639-1 code that was detected or forced ("zh", "en", ...); "" when the audio held no speech to
            detect it from.
        language_probability: Confidence of the language detection (1.0 when forced, 0.0 when undetected).
        duration: Length of the audio in seconds.
        segments: The segments, in time order; none when the audio held no speech.
        task: "transcribe" (text in the spoken language) or "translate" (English text).
    """

    text: str
    language: str
    language_probability: float
    duration: float
    segments: list[Segment] = field(default_factory=list)
    task: str = "transcribe"


@dataclass(frozen=True)
class Detection:
    """One defect found in an image.

    Attributes:
        label: Class name from the checkpoint (our taxonomy ids once our detector ships).
        confidence: Score in [0, 1].
        box: (x1, y1, x2, y2) in pixels of the original image.
    """

    label: str
    confidence: float
    box: tuple[float, float, float, float]


@runtime_checkable
class Transcriber(Protocol):
    """Speech to text: one Transcript per input waveform (16 kHz mono float32)."""

    def transcribe(
        self,
        audios: Sequence[np.ndarray],
        *,
        language: str | None = None,
        prompt: str | None = None,
        task: str = "transcribe",
    ) -> list[Transcript]: ...


@runtime_checkable
class DefectDetector(Protocol):
    """Images to defects: one list of Detection per input image (RGB PIL images)."""

    labels: list[str]

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]: ...


@runtime_checkable
class Embedder(Protocol):
    """Images (and, for CLIP-like backends, texts) to L2-normalised float32 vectors.

    Attributes:
        name: Identifies the weights; an index built with one name is refused by another.
        dim: Length of every vector.
        supports_text: Whether embed_texts works (CLIP yes, ImageNet CNNs no).
    """

    name: str
    dim: int
    supports_text: bool

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray: ...

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray: ...
