"""What reading a message costs: kefu-text (onnxruntime) against the keyword tables, per message and in batches.

Both read the held-out test split of the corpus (all seven languages), interleaved in one run so machine noise hits
both alike; the minimum over repeats of each batch's time is kept (the least disturbed run). Also reports the
trained model's accuracy on the same messages, per language, next to the keyword tables' (which know zh and en only).

    .venv/bin/python benchmarks/text_understanding.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aftersales.understanding.keywords import KeywordUnderstanding  # noqa: E402
from aftersales.understanding.model import ModelUnderstanding  # noqa: E402
from models.text.model import TextModel, TextModelConfig  # noqa: E402
from training.text_data import LANGUAGES, load_corpus, split_corpus  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def _timed(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    test = split_corpus(load_corpus()).test
    texts = [u.text for u in test]
    model = TextModel(TextModelConfig(threads=1))
    understanding = {"kefu-text": ModelUnderstanding(model), "keywords": KeywordUnderstanding()}

    per_message = {name: [] for name in understanding}
    for text in texts:  # interleaved: each message is read by both before the next
        for name, reader in understanding.items():
            per_message[name].append(_timed(lambda: reader.understand(text), args.repeats) * 1000)
    batches = {}
    for size in (1, 8, 32):
        chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
        seconds = _timed(lambda: [model.read(c) for c in chunks], args.repeats)
        batches[str(size)] = {"messages_per_s": round(len(texts) / seconds, 1)}

    accuracy = {}
    for lang in LANGUAGES:
        mine = [u for u in test if u.language == lang]
        row = {"n": len(mine)}
        for name, reader in understanding.items():
            read = [reader.understand(u.text) for u in mine]
            row[name] = {"intent": round(float(np.mean([r.intent == u.intent for r, u in zip(read, mine)])), 3),
                         "emotion": round(float(np.mean([r.emotion == u.emotion for r, u in zip(read, mine)])), 3)}
        accuracy[lang] = row

    p50 = {name: round(float(np.percentile(ms, 50)), 3) for name, ms in per_message.items()}
    p95 = {name: round(float(np.percentile(ms, 95)), 3) for name, ms in per_message.items()}
    out = {"messages": len(texts), "repeats": args.repeats,
           "understand_ms": {"p50": p50, "p95": p95,
                             "ratio_p50_model_over_keywords": round(p50["kefu-text"] / p50["keywords"], 2)},
           "model_read_batches": batches, "accuracy_on_test": accuracy}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "text_understanding.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    _plot(accuracy, RESULTS / "text_understanding.png")
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def _plot(accuracy: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = list(accuracy)
    x = np.arange(len(langs))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for i, (name, key) in enumerate((("kefu-text", "intent"), ("kefu-text", "emotion"),
                                     ("keywords", "intent"), ("keywords", "emotion"))):
        ax.bar(x + (i - 1.5) * 0.2, [accuracy[l][name][key] for l in langs], 0.2, label=f"{name} {key}")
    ax.set_xticks(x, [f"{l}\n(n={accuracy[l]['n']})" for l in langs])
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy, held-out test split")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
