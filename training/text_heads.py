"""Train kefu-text's embedding heads: multilingual-e5 vectors of the corpus → linear softmax heads, exported as .npz.

    .venv/bin/python -m training.text_heads                   # heads on the plain e5: kefu-text-e5.npz, calibrated
    .venv/bin/python -m training.text_heads --calibrate-only  # the blend of the fine-tuned e5's (kefu-text-e5ft.npz)

The corpus split is the CNN's (training/text_data.py): heads learn from train and val (each message as written and
one augmented copy) and test is reported. The L2 strength, and then the blend with the character CNN, are chosen on
benchmarks/heldout/dev (written apart from the corpus, so it rewards what generalises where the corpus's own val
rewards fitting the corpus); benchmarks/heldout/messages is never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from models.registry import sha256_file
from models.text.sentence import SentenceEncoder, SentenceEncoderConfig
from models.text.heads import PLAIN, SHIPPED, TASKS
from training import text_data

logger = logging.getLogger("kefu.training")

CACHE = Path(os.environ.get("KEFU_HOME", "var")) / "cache" / "text-e5-vectors.npz"
L2_GRID = (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4)
STEPS = 1500
SEED = 0


class VectorCache:
    """e5 vectors of texts, kept on disk by the sha256 of the text, one file per engine (embedding the corpus takes
    minutes here)."""

    def __init__(self, encoder: SentenceEncoder, path: Path = CACHE):
        self.encoder = encoder
        graph = encoder.config.graph
        tag = encoder.config.engine + (f"-{sha256_file(Path(graph))[:12]}" if graph else "")
        self.path = path.with_name(f"{path.stem}-{tag}{path.suffix}")
        self.vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            data = np.load(path)
            self.vectors = dict(zip(data["keys"].tolist(), data["vectors"]))

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self.vectors]
        for start in range(0, len(missing), 64):
            chunk = missing[start:start + 64]
            for i, vector in zip(chunk, self.encoder.embed([texts[i] for i in chunk])):
                self.vectors[keys[i]] = vector
        if missing:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(self.path, keys=np.array(list(self.vectors)), vectors=np.stack(list(self.vectors.values())))
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


def fit_softmax(x: np.ndarray, y: np.ndarray, classes: int, l2: float, steps: int = STEPS,
                lr: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch Adam; returns (weight, bias)."""
    rng = np.random.default_rng(SEED)
    w = rng.normal(0, 0.01, (x.shape[1], classes)).astype(np.float64)
    b = np.zeros(classes)
    onehot = np.eye(classes)[y]
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    for step in range(1, steps + 1):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) / len(x)
        grads = [x.T @ grad + l2 * w, grad.sum(axis=0)]
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            update = lr * (m[i] / (1 - 0.9 ** step)) / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
            if i == 0:
                w -= update
            else:
                b -= update
    return w.astype(np.float32), b.astype(np.float32)


def _labels(task: str) -> tuple[str, ...]:
    return {"intent": text_data.INTENTS, "emotion": text_data.EMOTIONS, "language": text_data.LANGUAGES}[task]


def _targets(utterances: list[text_data.Utterance], task: str) -> np.ndarray:
    labels = _labels(task)
    return np.array([labels.index(getattr(u, task)) for u in utterances])


def _accuracy(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((x @ w + b).argmax(axis=1) == y)) if len(y) else 0.0


def train(out: Path = PLAIN) -> dict:
    """Fit the three heads and write `out` (.npz) with its .json; returns the JSON."""
    started = time.time()
    split = text_data.split_corpus(text_data.load_corpus())
    rng = np.random.default_rng(SEED)
    learn = split.train + split.val
    augmented = [text_data.augment(u, rng) for u in learn]
    train_set = learn + augmented
    cache = VectorCache(SentenceEncoder(SentenceEncoderConfig(threads=2, cache_size=0)))
    dev = dev_rows()
    x_train = cache.embed([u.text for u in train_set])
    x_dev = cache.embed([text_data.nfkc(r["text"]) for r in dev])
    x_test = cache.embed([u.text for u in split.test])
    arrays, record = {}, {}
    for task in TASKS:
        labels = _labels(task)
        y_train, y_test = _targets(train_set, task), _targets(split.test, task)
        y_dev = np.array([labels.index(r[task]) for r in dev])
        scored = []
        for l2 in L2_GRID:
            w, b = fit_softmax(x_train, y_train, len(labels), l2)
            scored.append((_accuracy(w, b, x_dev, y_dev), l2, w, b))
        # Ties go to the stronger L2: the dev set is small, and the simpler head is the safer bet.
        dev_acc, l2, w, b = max(scored, key=lambda s: (s[0], s[1]))
        arrays[f"{task}_weight"], arrays[f"{task}_bias"] = w, b
        record[task] = {"l2": l2, "dev_accuracy": round(dev_acc, 4),
                        "test_accuracy": round(_accuracy(w, b, x_test, y_test), 4)}
        logger.info("%s head: l2 %g, dev %.3f, test %.3f", task, l2, dev_acc, record[task]["test_accuracy"])
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        np.savez(f, **arrays)
    meta = {
        "name": "kefu-text-e5", "sha256": sha256_file(out), "encoder": "e5-small",
        "labels": {task: list(_labels(task)) for task in TASKS},
        "training": {"corpus": text_data.corpus_digests(), "train_messages": len(learn),
                     "augmented_copies": len(augmented), "dev_messages": len(dev),
                     "test_messages": len(split.test), "steps": STEPS, "l2_grid": list(L2_GRID),
                     "seconds": round(time.time() - started, 1)},
        "heads": record,
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="the heads (.npz) to train, or to calibrate only; default: train "
                        f"{PLAIN.name}, calibrate only {SHIPPED.name} (the fine-tuned e5's, from training.e5_finetune)")
    parser.add_argument("--calibrate-only", action="store_true", help="only choose the blend on the dev messages")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out = args.out or (SHIPPED if args.calibrate_only else PLAIN)
    if not args.calibrate_only:
        print(json.dumps(train(out)["heads"], indent=2))
    print(json.dumps(calibrate(out), indent=2))


GATE_TOLERANCE = 0.01  # dev accuracy the gate may give up per task for the time the embedding is skipped


def dev_rows(sets: tuple[str, ...] = ("dev",)) -> list[dict]:
    """The dev messages of every language (benchmarks/heldout/dev, and dev2 where asked), the only written-apart
    messages choices see."""
    import sys

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "benchmarks" / "heldout"))
    from check import LANGUAGES as HELD_LANGUAGES, check_file  # noqa: PLC0415

    paths = [root / "benchmarks/heldout" / name / f"{lang}.jsonl" for name in sets for lang in HELD_LANGUAGES]
    return [r for path in paths if path.is_file() for r in check_file(path)]


def _blended(readings, e5, heads, task: str, weights: list[float], rows: list[dict]) -> np.ndarray:
    """Whether the blend with `weights` reads each dev row's `task` right."""
    labels = list(heads.heads[task].labels)
    cnn = np.array([[getattr(r, f"{task}_scores")[k] for k in labels] for r in readings])
    emb = np.array([[row[k] for k in labels] for row in e5[task]])
    logits = weights[0] * np.log(cnn + 1e-6) + weights[1] * np.log(emb + 1e-6)
    return np.array([labels[i] == row[task] for i, row in zip(logits.argmax(axis=1), rows)])


def calibrate(heads_path: Path = SHIPPED) -> dict:
    """Choose the blend of the character CNN and the heads on both dev passes (benchmarks/heldout/dev and dev2,
    written apart from the corpus; the held-out messages beside them are never read): per task the (cnn, e5)
    exponents with the best accuracy, ties to the lower log loss. Written into the heads' JSON as "blend"."""
    from models.text.model import TextModel, TextModelConfig
    from models.text.heads import EmbeddingHeads, heads_encoder

    rows = dev_rows(("dev", "dev2"))
    texts = [text_data.nfkc(r["text"]) for r in rows]
    readings = TextModel(TextModelConfig()).read(texts)
    heads = EmbeddingHeads(heads_path)
    # The same cache train() filled: the dev messages are embedded once per corpus change, not per run.
    encoder = heads_encoder(heads, SentenceEncoderConfig(threads=2, cache_size=0))
    e5 = heads.read(VectorCache(encoder).embed(texts))
    grid = [(a, b) for a in (0.0, 0.25, 0.5, 0.75, 1.0) for b in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5) if a or b]
    chosen, report = {}, {}
    for task in TASKS:
        labels = list(heads.heads[task].labels)
        cnn = np.array([[getattr(r, f"{task}_scores")[k] for k in labels] for r in readings])
        emb = np.array([[row[k] for k in labels] for row in e5[task]])
        gold = np.array([labels.index(r[task]) for r in rows])
        scored = []
        for a, b in grid:
            logits = a * np.log(cnn + 1e-6) + b * np.log(emb + 1e-6)
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            accuracy = float(np.mean(p.argmax(axis=1) == gold))
            loss = float(-np.mean(np.log(p[np.arange(len(gold)), gold] + 1e-9)))
            scored.append((accuracy, -loss, a, b))
        accuracy, neg_loss, a, b = max(scored)
        chosen[task] = [a, b]
        report[task] = {"dev_accuracy": round(accuracy, 4), "dev_log_loss": round(-neg_loss, 4),
                        "cnn_alone": round(float(np.mean(cnn.argmax(1) == gold)), 4),
                        "e5_alone": round(float(np.mean(emb.argmax(1) == gold)), 4)}
    # The gate: the lowest CNN probability above which the CNN alone is about as accurate on dev as the blend (a
    # point at most lost on any task: the turn's time is the trade), so that the embedding runs only for the
    # messages the CNN is unsure of.
    blended = {task: _blended(readings, e5, heads, task, chosen[task], rows) for task in ("intent", "emotion")}
    sure = {task: np.array([max(getattr(r, f"{task}_scores").values()) for r in readings]) for task in blended}
    cnn_right = {task: np.array([getattr(r, task) == row[task] for r, row in zip(readings, rows)]) for task in blended}
    gate, skipped = None, 0.0
    for threshold in (0.95, 0.9, 0.8, 0.7, 0.6, 0.5):
        skip = (sure["intent"] >= threshold) & (sure["emotion"] >= threshold)
        if all(np.where(skip, cnn_right[t], blended[t]).mean() >= blended[t].mean() - GATE_TOLERANCE for t in blended):
            gate, skipped = threshold, float(skip.mean())
    meta_path = Path(heads_path).with_suffix(".json")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["blend"] = chosen
    meta["gate"] = gate
    report["gate"] = {"threshold": gate, "dev_share_without_embedding": round(skipped, 3)}
    meta["calibration"] = {"dev_messages": len(rows), "tasks": report}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta["calibration"]


if __name__ == "__main__":
    main()
