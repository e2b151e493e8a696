"""kefu-text's embedding heads: linear softmax classifiers (intent, emotion, language) on multilingual-e5 vectors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.errors import ModelError, WeightsNotFound

SHIPPED = Path(__file__).resolve().parent / "weights" / "kefu-text-e5.npz"
TASKS = ("intent", "emotion", "language")


@dataclass(frozen=True)
class Head:
    """One linear softmax classifier.

    Attributes:
        labels: Class names in logit order.
        weight: (384, classes) float32.
        bias: (classes,) float32.
    """

    labels: tuple[str, ...]
    weight: np.ndarray
    bias: np.ndarray

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.weight + self.bias
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)


class EmbeddingHeads:
    """The heads of one export (`kefu-text-e5.npz` with its `.json`: labels, sha256, training and calibration facts).

    Attributes:
        heads: Task → Head.
        meta: The export's JSON.
    """

    def __init__(self, path: Path = SHIPPED):
        from models.registry import sha256_file

        path = Path(path)
        meta_path = path.with_suffix(".json")
        if not path.is_file() or not meta_path.is_file():
            raise WeightsNotFound(f"embedding heads {path} or {meta_path.name} are missing; train them with "
                                  "`python -m training.text_heads`")
        self.meta: dict = json.loads(meta_path.read_text(encoding="utf-8"))
        if sha256_file(path) != self.meta.get("sha256"):
            raise ModelError(f"{path} does not match the sha256 in {meta_path.name}: retrain or restore both")
        arrays = np.load(path)
        self.heads = {task: Head(tuple(self.meta["labels"][task]), arrays[f"{task}_weight"].astype(np.float32),
                                 arrays[f"{task}_bias"].astype(np.float32)) for task in TASKS}

    def read(self, vectors: np.ndarray) -> dict[str, list[dict[str, float]]]:
        """Task → one {label: probability} per vector."""
        out = {}
        for task, head in self.heads.items():
            probs = head.probabilities(np.atleast_2d(vectors))
            out[task] = [dict(zip(head.labels, map(float, row))) for row in probs]
        return out


class SentenceHeads:
    """Texts → the heads' probabilities, through a sentence encoder (models.sentence.SentenceEncoder)."""

    def __init__(self, encoder, heads: EmbeddingHeads):
        self.encoder, self.heads = encoder, heads

    def read(self, texts: list[str]) -> dict[str, list[dict[str, float]]]:
        return self.heads.read(self.encoder.embed(texts))

    @property
    def blend(self) -> dict[str, tuple[float, float]] | None:
        """The (cnn, e5) exponents per task chosen on the dev messages, None when the export has none."""
        chosen = self.heads.meta.get("blend")
        return {task: (float(a), float(b)) for task, (a, b) in chosen.items()} if chosen else None

    @property
    def gate(self) -> float | None:
        """The CNN probability above which the embedding is skipped (chosen on the dev messages), None: never."""
        value = self.heads.meta.get("gate")
        return float(value) if value is not None else None
