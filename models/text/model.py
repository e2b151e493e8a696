"""kefu's text understanding on onnxruntime: intent, emotion, language and slots of a chat message (no torch)."""

from __future__ import annotations

import json
import logging
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pydantic.dataclasses

from models.fields import Count

logger = logging.getLogger("kefu.models")

SHIPPED = Path(__file__).resolve().parents[1] / "weights" / "kefu-text.onnx"
MAX_LEN = 160
# The bigram hash is part of the model: changing these numbers silently breaks every shipped export.
BIGRAM_MULT = 1_000_003
BOS = 0x110000  # one past the last code point: what the first character's bigram pairs it with


@dataclass(frozen=True)
class Featurizer:
    """Text → the model's per-character inputs; shared verbatim by training and inference.

    Attributes:
        vocab: Lower-cased characters with their own embedding; id i + 1 (0 is padding).
        oov_buckets: Characters outside `vocab` share this many ids, by code point.
        bigram_buckets: Hashed (previous, current) character pairs; id 0 is padding.
        max_len: Characters kept after NFKC normalisation.
    """

    vocab: tuple[str, ...]
    oov_buckets: int = 64
    bigram_buckets: int = 4096
    max_len: int = MAX_LEN
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        self._index.update({ch: i + 1 for i, ch in enumerate(self.vocab)})

    @property
    def char_count(self) -> int:
        """Rows of the character embedding: padding, vocabulary, OOV buckets."""
        return 1 + len(self.vocab) + self.oov_buckets

    def normalize(self, text: str) -> str:
        """The text the model sees: NFKC (full-width punctuation and digits fold to ASCII), truncated."""
        return unicodedata.normalize("NFKC", text)[: self.max_len]

    def encode(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """An already normalised text → int64 (char ids, bigram ids, upper-case flags), one per character."""
        lower = [_lower(ch) for ch in text]
        chars = np.array([self._index.get(ch) or 1 + len(self.vocab) + ord(ch) % self.oov_buckets for ch in lower],
                         dtype=np.int64)
        points = np.array([BOS] + [ord(ch) for ch in lower], dtype=np.int64)
        bigrams = (points[:-1] * BIGRAM_MULT + points[1:]) % (self.bigram_buckets - 1) + 1
        upper = np.array([ch.isupper() for ch in text], dtype=np.int64)
        return chars, bigrams.astype(np.int64), upper

    def batch(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Normalised texts → the model's inputs, padded to the longest (at least one position, so "" runs)."""
        width = max([len(t) for t in texts] + [1])
        out = {name: np.zeros((len(texts), width), np.int64) for name in ("char_ids", "bigram_ids", "upper")}
        mask = np.zeros((len(texts), width), np.float32)
        for row, text in enumerate(texts):
            for name, values in zip(("char_ids", "bigram_ids", "upper"), self.encode(text)):
                out[name][row, : len(text)] = values
            mask[row, : len(text)] = 1.0
        out["mask"] = mask
        return out


def _lower(ch: str) -> str:
    # A few characters lower-case to two ("İ" → "i̇"); keeping them whole keeps one position per character.
    low = ch.lower()
    return low if len(low) == 1 else ch


def slot_tags(slot_names: Sequence[str]) -> list[str]:
    """The BIO tag list of the slot head: O, then B-name and I-name per slot name."""
    return ["O"] + [f"{p}-{name}" for name in slot_names for p in ("B", "I")]


@dataclass(frozen=True)
class SlotSpan:
    """A slot value found in a message.

    Attributes:
        name: Slot name (order_id, sku, amount, date, phone).
        text: The value as written, stripped.
        start: Offset of its first character in the NFKC-normalised text the model saw.
        end: Offset one past its last character.
    """

    name: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class TextReading:
    """What the model reads in one message; every score is a softmax probability.

    Attributes:
        language: Most likely language code (zh, en, id, th, vi, ms, fil).
        language_scores: Language → probability.
        intent: Most likely intent.
        intent_scores: Intent → probability.
        emotion: Most likely emotion (angry, anxious, neutral, happy).
        emotion_scores: Emotion → probability.
        slots: Slot values in order of appearance.
    """

    language: str
    language_scores: dict[str, float]
    intent: str
    intent_scores: dict[str, float]
    emotion: str
    emotion_scores: dict[str, float]
    slots: tuple[SlotSpan, ...]


def decode_tags(text: str, tags: Sequence[str]) -> tuple[SlotSpan, ...]:
    """Per-character BIO tags → spans. An I- that does not continue a span of its name opens one: a model that
    misses a B- still finds the value."""
    spans: list[SlotSpan] = []
    name, start = None, 0

    def close(end: int) -> None:
        piece = text[start:end]
        left = len(piece) - len(piece.lstrip())
        value = piece.strip()
        if name and value:
            spans.append(SlotSpan(name, value, start + left, start + left + len(value)))

    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, tag_name = tag.partition("-")
        if prefix == "I" and tag_name == name:
            continue
        close(i)
        name, start = (tag_name, i) if prefix in ("B", "I") else (None, i)
    return tuple(spans)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@pydantic.dataclasses.dataclass
class TextModelConfig:
    """Where the text model is and how it runs.

    Attributes:
        model: The .onnx export; its .json (vocabulary, labels, sha256, evaluation) lies beside it.
        threads: onnxruntime intra-op threads (0: one per core). One suits short messages on a shared box.
        batch_size: Messages per onnxruntime run; a longer list is read in chunks.
    """

    model: Path = SHIPPED
    threads: Count = 1
    batch_size: Count = 64


class TextModel:
    """Chat messages → TextReading with a kefu-text ONNX export on onnxruntime's CPU provider.

    Attributes:
        config: The settings it was built from.
        meta: The export's JSON: labels, featuriser settings, training and evaluation facts.
        featurizer: Text → model inputs, as in training.
        intents: Intent labels in logit order; `emotions`, `languages` and `tags` likewise.
    """

    def __init__(self, config: TextModelConfig | None = None):
        import onnxruntime as ort

        from models.errors import ModelError, WeightsNotFound
        from models.registry import sha256_file

        self.config = config or TextModelConfig()
        path = Path(self.config.model)
        meta_path = path.with_suffix(".json")
        if not path.is_file() or not meta_path.is_file():
            raise WeightsNotFound(f"text model {path} or its {meta_path.name} is missing; train it with "
                                  "`python -m training.text_model train`")
        self.meta: dict = json.loads(meta_path.read_text(encoding="utf-8"))
        digest = sha256_file(path)
        if digest != self.meta.get("sha256"):
            raise ModelError(f"{path} has sha256 {digest[:12]}… but {meta_path.name} describes "
                             f"{str(self.meta.get('sha256'))[:12]}…: the two were not written together; retrain or "
                             "restore both")
        self.featurizer = featurizer_from(self.meta["featurizer"])
        self.intents: list[str] = list(self.meta["intents"])
        self.emotions: list[str] = list(self.meta["emotions"])
        self.languages: list[str] = list(self.meta["languages"])
        self.tags: list[str] = list(self.meta["tags"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.config.threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # see models/detector/onnx.py
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's pybind errors have no common public base
            raise ModelError(f"onnxruntime cannot load {path}: {exc}") from exc
        self._lock = threading.Lock()
        logger.info("text model %s loaded (%d intents, %d languages)", path.name, len(self.intents),
                    len(self.languages))

    def read(self, texts: list[str]) -> list[TextReading]:
        """One TextReading per message, in order."""
        readings: list[TextReading] = []
        size = max(self.config.batch_size, 1)
        for start in range(0, len(texts), size):
            readings += self._read_batch([self.featurizer.normalize(t) for t in texts[start:start + size]])
        return readings

    def _read_batch(self, texts: list[str]) -> list[TextReading]:
        if not texts:
            return []
        inputs = self.featurizer.batch(texts)
        with self._lock:
            intent, emotion, language, slots = self._session.run(
                ["intent_logits", "emotion_logits", "language_logits", "slot_logits"], inputs)
        intent, emotion, language = softmax(intent), softmax(emotion), softmax(language)
        tag_ids = slots.argmax(-1)
        return [
            TextReading(
                language=self.languages[int(language[i].argmax())],
                language_scores=_scores(self.languages, language[i]),
                intent=self.intents[int(intent[i].argmax())],
                intent_scores=_scores(self.intents, intent[i]),
                emotion=self.emotions[int(emotion[i].argmax())],
                emotion_scores=_scores(self.emotions, emotion[i]),
                slots=decode_tags(text, [self.tags[t] for t in tag_ids[i, : len(text)]]),
            )
            for i, text in enumerate(texts)
        ]


def featurizer_from(settings: Mapping) -> Featurizer:
    """The Featurizer an export's JSON describes."""
    return Featurizer(vocab=tuple(settings["vocab"]), oov_buckets=int(settings["oov_buckets"]),
                      bigram_buckets=int(settings["bigram_buckets"]), max_len=int(settings["max_len"]))


def _scores(labels: Sequence[str], probabilities: np.ndarray) -> dict[str, float]:
    return {label: float(p) for label, p in zip(labels, probabilities)}
