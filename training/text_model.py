"""Train, export and evaluate kefu's text model: a multi-task character CNN (intent, emotion, language, slots).

    python -m training.text_model train [--out models/weights] [--epochs N] [--seed S]
    python -m training.text_model evaluate      (the shipped ONNX through models/text/model.py, on the held-out test split)

Training takes a few minutes on two CPU cores; the whole run is seeded and reproducible on the same machine.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from models.text.model import SHIPPED, Featurizer, TextModel, TextModelConfig, slot_tags
from training import text_data
from training.text_card import render_card, table
from training.text_data import EMOTIONS, INTENTS, LANGUAGES, SLOT_NAMES, Utterance

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger("kefu.training")

TAGS = slot_tags(SLOT_NAMES)
OPSET = 17
MAX_ONNX_MB = 8.0


@dataclass
class TrainOptions:
    """One training run.

    Attributes:
        epochs: Passes over the (freshly augmented) training split; the epoch with the best val score is kept.
        seed: Seed of initialisation, shuffling, dropout and augmentation.
        copies: Augmented copies of each training utterance per epoch, besides the original.
        batch_size: Utterances per optimiser step.
        lr: AdamW learning rate at the first step; it decays linearly to 0 at the last.
        weight_decay: AdamW weight decay.
        embed_dim: Width of the character, bigram and upper-case embeddings (summed per position).
        widths: Widths in characters of the parallel n-gram convolutions read by the pooled heads.
        filters: Filters per width.
        channels: Width of the slot tagger's residual convolutions.
        kernel: Their width in characters.
        dilations: One residual block of the slot tagger per entry, with that dilation.
        dropout: Dropout on the pooled features (and, at a third of it, in the slot tagger).
        position_dropout: Share of character positions whose embeddings are zeroed in training, so no single
            character sequence carries a label alone.
        label_smoothing: On the intent and emotion losses; the corpus labels are a judgement, not a fact.
        min_count: A character needs this many occurrences in train to get its own embedding.
        oov_buckets: Embeddings shared by the rarer characters, by code point.
        bigram_buckets: Hashed character-bigram embeddings.
        threads: torch intra-op threads.
    """

    epochs: int = 12
    seed: int = 0
    copies: int = 4
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.01
    embed_dim: int = 128
    widths: tuple[int, ...] = (1, 2, 3, 4, 5, 7)
    filters: int = 192
    channels: int = 96
    kernel: int = 5
    dilations: tuple[int, ...] = (1, 2, 4)
    dropout: float = 0.5
    position_dropout: float = 0.1
    label_smoothing: float = 0.1
    min_count: int = 2
    oov_buckets: int = 64
    bigram_buckets: int = 4096
    threads: int = 2


def build_featurizer(train: list[Utterance], options: TrainOptions) -> Featurizer:
    """The character vocabulary: lower-cased characters seen at least `min_count` times in train, by frequency."""
    counts = collections.Counter(ch.lower() if len(ch.lower()) == 1 else ch for u in train for ch in u.text)
    vocab = sorted((ch for ch, n in counts.items() if n >= options.min_count), key=lambda ch: (-counts[ch], ch))
    return Featurizer(vocab=tuple(vocab), oov_buckets=options.oov_buckets, bigram_buckets=options.bigram_buckets)


def make_network(featurizer: Featurizer, options: TrainOptions):
    """The torch module. Summed embeddings feed parallel convolutions of several widths (character n-gram
    detectors); their max over the message feeds the intent, emotion and language heads, and, per position, a stack
    of residual dilated convolutions over the embeddings feeds the BIO slot tagger.

    One wide layer of n-gram detectors with max pooling generalised better from ~330 messages per language than a
    deep residual stack did (val intent accuracy 0.83 against 0.79), so depth is spent on the slot tagger only,
    which needs context around each character."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, dilation: int):
            super().__init__()
            self.norm = nn.LayerNorm(options.channels)
            self.conv = nn.Conv1d(options.channels, options.channels, options.kernel,
                                  padding=dilation * (options.kernel - 1) // 2, dilation=dilation)
            self.drop = nn.Dropout(options.dropout / 3)

        def forward(self, x, mask):  # x [B, T, C], mask [B, T, 1]
            # Padded positions are zeroed before each convolution, so a message reads the same alone as in a batch.
            h = (self.norm(x) * mask).transpose(1, 2)
            return (x + self.drop(nn.functional.gelu(self.conv(h))).transpose(1, 2)) * mask

    class TextCNN(nn.Module):
        def __init__(self):
            super().__init__()
            e, f, c = options.embed_dim, options.filters, options.channels
            self.chars = nn.Embedding(featurizer.char_count, e, padding_idx=0)
            self.bigrams = nn.Embedding(featurizer.bigram_buckets, e, padding_idx=0)
            self.upper = nn.Embedding(2, e)
            self.ngrams = nn.ModuleList(nn.Conv1d(e, f, w, padding=w // 2) for w in options.widths)
            self.drop = nn.Dropout(options.dropout)
            pooled = f * len(options.widths)
            self.intent = nn.Linear(pooled, len(INTENTS))
            self.emotion = nn.Linear(pooled, len(EMOTIONS))
            self.language = nn.Linear(pooled, len(LANGUAGES))
            self.to_tagger = nn.Linear(e, c)
            self.blocks = nn.ModuleList(Block(d) for d in options.dilations)
            self.norm = nn.LayerNorm(c)
            self.slots = nn.Linear(c, len(TAGS))

        def forward(self, char_ids, bigram_ids, upper, mask):
            m = mask.unsqueeze(-1)
            x = (self.chars(char_ids) + self.bigrams(bigram_ids) + self.upper(upper)) * m
            if self.training and options.position_dropout:
                x = x * (torch.rand_like(m) >= options.position_dropout).to(x.dtype)
            length = x.shape[1]
            # An even width pads one more position than it needs; the extra output is cut so all widths align.
            h = torch.cat([torch.relu(conv(x.transpose(1, 2)))[:, :, :length] for conv in self.ngrams], 1)
            h = h.transpose(1, 2) * m  # [B, T, widths x filters], 0 on padding (ReLU keeps real ones >= 0)
            # ReLU outputs are >= 0, so the max over a message ignores the zeroed padding; "" pools to 0.
            pooled = self.drop(h.max(1).values)
            t = self.to_tagger(x) * m
            for block in self.blocks:
                t = block(t, m)
            tags = self.slots(self.norm(t))
            return self.intent(pooled), self.emotion(pooled), self.language(pooled), tags

    return TextCNN()


def tensors(featurizer: Featurizer, batch: list[Utterance]) -> tuple[dict, dict]:
    """Model inputs and targets of a batch (slot tags per character, -100 on padding)."""
    import torch

    texts = [featurizer.normalize(u.text) for u in batch]
    inputs = {k: torch.from_numpy(v) for k, v in featurizer.batch(texts).items()}
    tags = np.full(inputs["char_ids"].shape, -100, np.int64)
    for row, (u, text) in enumerate(zip(batch, texts)):
        tags[row, : len(text)] = 0
        for name, start, end in u.slots:
            if start < len(text):
                tags[row, start] = TAGS.index(f"B-{name}")
                tags[row, start + 1: min(end, len(text))] = TAGS.index(f"I-{name}")
    targets = {
        "intent": torch.tensor([INTENTS.index(u.intent) for u in batch]),
        "emotion": torch.tensor([EMOTIONS.index(u.emotion) for u in batch]),
        "language": torch.tensor([LANGUAGES.index(u.language) for u in batch]),
        "tags": torch.from_numpy(tags),
    }
    return inputs, targets


def batches(utterances: list[Utterance], size: int, rng: np.random.Generator) -> list[list[Utterance]]:
    """Shuffled batches of similar lengths (less padding, so faster on a CPU)."""
    order = rng.permutation(len(utterances))
    pool = size * 16
    out = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda i: len(utterances[i].text))
        out += [[utterances[i] for i in chunk[k:k + size]] for k in range(0, len(chunk), size)]
    return [out[i] for i in rng.permutation(len(out))]


def train(split: text_data.Split, options: TrainOptions):
    """Train on `split.train`; → (network with the best-val weights, featurizer, training record)."""
    import torch
    from torch import nn

    torch.manual_seed(options.seed)
    torch.set_num_threads(options.threads)
    rng = np.random.default_rng(options.seed)
    featurizer = build_featurizer(split.train, options)
    net = make_network(featurizer, options)
    epochs = max(options.epochs, 1)
    steps = epochs * -(-len(split.train) * (1 + options.copies) // options.batch_size)
    optimizer = torch.optim.AdamW(net.parameters(), lr=options.lr, weight_decay=options.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / steps))
    smooth = nn.CrossEntropyLoss(label_smoothing=options.label_smoothing)
    plain = nn.CrossEntropyLoss(ignore_index=-100)
    best, history, started = (-1.0, 0, None), [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        net.train()
        data = split.train + [text_data.augment(u, rng) for _ in range(options.copies) for u in split.train]
        total = 0.0
        for batch in batches(data, options.batch_size, rng):
            inputs, targets = tensors(featurizer, batch)
            intent, emotion, language, tags = net(**inputs)
            loss = (smooth(intent, targets["intent"]) + smooth(emotion, targets["emotion"])
                    + plain(language, targets["language"]) + plain(tags.flatten(0, 1), targets["tags"].flatten()))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
        scores = accuracy_torch(net, featurizer, split.val)
        score = (scores["intent"] + scores["emotion"]) / 2
        history.append({"epoch": epoch, "loss": round(total / len(data), 4), **{f"val_{k}": v for k, v in scores.items()}})
        logger.info("epoch %d: loss %.3f, val intent %.3f emotion %.3f language %.3f (%.0f s)", epoch,
                    total / len(data), scores["intent"], scores["emotion"], scores["language"],
                    time.perf_counter() - started)
        if score > best[0]:
            best = (score, epoch, {k: v.detach().clone() for k, v in net.state_dict().items()})
    net.load_state_dict(best[2])
    net.eval()
    record = {"options": asdict(options), "best_epoch": best[1], "best_val": round(best[0], 4), "history": history,
              "minutes": round((time.perf_counter() - started) / 60, 2), "train": len(split.train),
              "val": len(split.val), "parameters": sum(p.numel() for p in net.parameters()),
              "torch": torch.__version__}
    return net, featurizer, record


def accuracy_torch(net, featurizer: Featurizer, utterances: list[Utterance]) -> dict[str, float]:
    """Intent, emotion and language accuracy of the torch network (val during training)."""
    import torch

    was_training = net.training
    net.eval()
    right = collections.Counter()
    with torch.no_grad():
        for start in range(0, len(utterances), 128):
            batch = utterances[start:start + 128]
            inputs, targets = tensors(featurizer, batch)
            for name, logits in zip(("intent", "emotion", "language"), net(**inputs)[:3]):
                right[name] += int((logits.argmax(-1) == targets[name]).sum())
    net.train(was_training)
    return {name: round(right[name] / max(len(utterances), 1), 4) for name in ("intent", "emotion", "language")}


def export(net, featurizer: Featurizer, path: Path, check: list[Utterance]) -> None:
    """Write the ONNX export, after checking onnxruntime gives torch's outputs on `check`."""
    import onnxruntime as ort
    import torch

    net.eval()
    inputs, _ = tensors(featurizer, check)
    names = ["intent_logits", "emotion_logits", "language_logits", "slot_logits"]
    axes = {k: {0: "batch", 1: "length"} for k in ("char_ids", "bigram_ids", "upper", "mask", "slot_logits")}
    axes.update({k: {0: "batch"} for k in names[:3]})
    tmp = path.with_suffix(".tmp.onnx")
    with torch.no_grad():
        expected = [t.numpy() for t in net(**inputs)]
        torch.onnx.export(net, (inputs["char_ids"], inputs["bigram_ids"], inputs["upper"], inputs["mask"]), str(tmp),
                          input_names=list(inputs), output_names=names, dynamic_axes=axes, opset_version=OPSET,
                          dynamo=False)
    session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    got = session.run(names, {k: v.numpy() for k, v in inputs.items()})
    for name, want, have in zip(names, expected, got):
        if want.shape != have.shape or not np.allclose(want, have, atol=1e-4):
            tmp.unlink()
            raise RuntimeError(f"onnxruntime's {name} differs from torch's by {np.abs(want - have).max():.2g}")
    size_mb = tmp.stat().st_size / 1e6
    if size_mb > MAX_ONNX_MB:
        tmp.unlink()
        raise RuntimeError(f"the export is {size_mb:.1f} MB; the repository ships at most {MAX_ONNX_MB} MB")
    os.replace(tmp, path)


def evaluate(model: TextModel, test: list[Utterance], noisy: list[Utterance]) -> dict:
    """Per-language and macro accuracy on the clean and noisy test sets, and slot span F1, through the ONNX model.

    Numbers are kept unrounded so a test can recompute them exactly."""
    clean, rough = model.read([u.text for u in test]), model.read([u.text for u in noisy])
    per_language = {}
    for lang in LANGUAGES:
        rows = [i for i, u in enumerate(test) if u.language == lang]
        if not rows:
            continue
        share = lambda hits: sum(hits) / len(rows)  # noqa: E731
        per_language[lang] = {
            "n": len(rows),
            "intent": share(clean[i].intent == test[i].intent for i in rows),
            "emotion": share(clean[i].emotion == test[i].emotion for i in rows),
            "language": share(clean[i].language == lang for i in rows),
            "noisy_intent": share(rough[i].intent == noisy[i].intent for i in rows),
            "noisy_emotion": share(rough[i].emotion == noisy[i].emotion for i in rows),
        }
    keys = ("intent", "emotion", "language", "noisy_intent", "noisy_emotion")
    macro = {k: float(np.mean([row[k] for row in per_language.values()])) for k in keys}
    found = [{(s.name, s.start, s.end) for s in r.slots} for r in clean]
    gold = [set(u.slots) for u in test]
    slots = {name: span_f1([{s for s in f if s[0] == name} for f in found], [{s for s in g if s[0] == name}
                                                                             for g in gold]) for name in SLOT_NAMES}
    return {"test": len(test), "per_language": per_language, "macro": macro,
            "slot_f1": {"all": span_f1(found, gold), **slots}}


def span_f1(found: list[set], gold: list[set]) -> dict:
    """Exact-span F1 (name, start and end must all match) with its counts."""
    hits = sum(len(f & g) for f, g in zip(found, gold))
    n_found, n_gold = sum(map(len, found)), sum(map(len, gold))
    precision, recall = hits / max(n_found, 1), hits / max(n_gold, 1)
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return {"f1": f1, "precision": precision, "recall": recall, "gold": n_gold}


def test_sets() -> tuple[list[Utterance], list[Utterance]]:
    """The held-out test split and its noisy copy, as the model card reports them."""
    test = text_data.split_corpus(text_data.load_corpus()).test
    return test, text_data.noisy_copy(test)


def run_training(options: TrainOptions, out: Path) -> dict:
    """Train, export to `out/kefu-text.onnx`, evaluate the export, and write its JSON and model card."""
    from models.registry import sha256_file

    split = text_data.split_corpus(text_data.load_corpus())
    logger.info("corpus: %d train, %d val, %d test", len(split.train), len(split.val), len(split.test))
    net, featurizer, record = train(split, options)
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / "kefu-text.onnx"
    export(net, featurizer, onnx_path, split.val[:64])
    meta = {
        "onnx": onnx_path.name, "sha256": sha256_file(onnx_path), "opset": OPSET,
        "featurizer": {"vocab": list(featurizer.vocab), "oov_buckets": featurizer.oov_buckets,
                       "bigram_buckets": featurizer.bigram_buckets, "max_len": featurizer.max_len},
        "intents": list(INTENTS), "emotions": list(EMOTIONS), "languages": list(LANGUAGES), "tags": TAGS,
        "inputs": ["char_ids", "bigram_ids", "upper", "mask"],
        "outputs": ["intent_logits", "emotion_logits", "language_logits", "slot_logits"],
        "corpus": text_data.corpus_digests(), "split": {"test": text_data.TEST_SHARE, "val": text_data.VAL_SHARE,
                                                        "noisy_seed": text_data.NOISY_SEED},
        "training": record, "size_mb": round(onnx_path.stat().st_size / 1e6, 2),
    }
    onnx_path.with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    model = TextModel(TextModelConfig(model=onnx_path))
    meta["evaluation"] = evaluate(model, split.test, text_data.noisy_copy(split.test))
    onnx_path.with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    onnx_path.with_suffix(".md").write_text(render_card(meta), encoding="utf-8")
    logger.info("wrote %s (%.2f MB), its JSON and model card", onnx_path, meta["size_mb"])
    return meta


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.text_model", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train, export, evaluate and write the ONNX, its JSON and model card")
    t.add_argument("--out", type=Path, default=SHIPPED.parent)
    t.add_argument("--epochs", type=int, default=TrainOptions.epochs)
    t.add_argument("--seed", type=int, default=TrainOptions.seed)
    e = sub.add_parser("evaluate", help="re-evaluate an export on the held-out test split")
    e.add_argument("--model", type=Path, default=SHIPPED)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.path.insert(0, str(ROOT))
    if args.command == "train":
        meta = run_training(TrainOptions(epochs=args.epochs, seed=args.seed), args.out)
        evaluation = meta["evaluation"]
    else:
        evaluation = evaluate(TextModel(TextModelConfig(model=args.model)), *test_sets())
    print(table(evaluation))
    print("slot F1: " + ", ".join(f"{k} {v['f1']:.3f} (n={v['gold']})" for k, v in evaluation["slot_f1"].items()))


if __name__ == "__main__":
    main()
