"""Understanding on messages kefu was never tuned to: the held-out set (benchmarks/heldout/), per language.

Every reader kefu ships reads the same messages in one run: the keyword tables, the character CNN alone, the CNN
with heads on the plain multilingual-e5-small, and the CNN with the e5 fine-tuned here (the default). Reported per
language: intent and emotion accuracy, language id, slot F1 (order id, phone, amounts, ISO dates, new address,
defect words: a (slot, value) pair must match) and order id accuracy (the id found, or rightly none). `--set dev`,
`--set dev2` (a second pass rich in new addresses and described defects), `--set dev3` (money, dates, defects),
`--set dev4` (zh intents told apart, vi and fil defects and addresses) and `--set dev5` (Malay-rich: Manglish,
coupons against price drops against returns, with id, en, vi) read the dev messages instead, the only ones choices
may be made on; `--default-only` reads with the default reader alone.

    .venv/bin/python benchmarks/heldout_understanding.py [--set messages|dev|dev2|dev3|dev4|dev5] [--default-only]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks" / "heldout"))
from check import LANGUAGES, check_file  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
HELDOUT = ROOT / "benchmarks" / "heldout"


def load(which: str) -> list[dict]:
    rows = []
    for lang in LANGUAGES:
        path = HELDOUT / which / f"{lang}.jsonl"
        if path.is_file():
            rows += check_file(path)
    return rows


def _address(value: str) -> str:
    return re.sub(r"[\s,，.。]+", " ", unicodedata.normalize("NFKC", value)).strip().lower()


def gold_pairs(row: dict) -> set[tuple[str, str]]:
    slots = row.get("slots") or {}
    pairs = set()
    if slots.get("order_id"):
        pairs.add(("order_id", slots["order_id"].lstrip("#").upper()))
    if slots.get("phone"):
        pairs.add(("phone", re.sub(r"[^\d+]", "", slots["phone"])))
    pairs |= {("amount", str(int(Decimal(a) * 100))) for a in slots.get("amounts", [])}
    pairs |= {("date", d) for d in slots.get("dates", [])}
    if slots.get("new_address"):
        pairs.add(("new_address", _address(slots["new_address"])))
    pairs |= {("defect", d) for d in slots.get("defects", [])}
    return pairs


def found_pairs(understood) -> set[tuple[str, str]]:
    slots = understood.slots
    pairs = set()
    if slots.get("order_id"):
        pairs.add(("order_id", str(slots["order_id"]).upper()))
    if slots.get("phone"):
        pairs.add(("phone", slots["phone"]))
    pairs |= {("amount", str(c)) for c in slots.get("amounts", [])}
    pairs |= {("date", d) for d in slots.get("dates", []) if re.match(r"^\d{4}-\d{2}-\d{2}$", str(d))}
    if slots.get("new_address"):
        pairs.add(("new_address", _address(slots["new_address"])))
    pairs |= {("defect", d) for d in understood.defect_mentions}
    return pairs


def f1(tp: int, fp: int, fn: int) -> float:
    return round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else 1.0


def score(rows: list[dict], reads: list) -> dict:
    by_lang: dict[str, dict] = {}
    for lang in LANGUAGES:
        mine = [(row, got) for row, got in zip(rows, reads) if row["language"] == lang]
        if not mine:
            continue
        counts = defaultdict(int)
        slot_names = defaultdict(lambda: [0, 0, 0])
        for row, got in mine:
            gold, found = gold_pairs(row), found_pairs(got)
            counts["tp"] += len(gold & found)
            counts["fp"] += len(found - gold)
            counts["fn"] += len(gold - found)
            for name, _ in gold | found:
                entry = slot_names[name]
                entry[0] += len({p for p in gold & found if p[0] == name})
            for name in {p[0] for p in gold | found}:
                slot_names[name][1] += len({p for p in found - gold if p[0] == name})
                slot_names[name][2] += len({p for p in gold - found if p[0] == name})
        by_lang[lang] = {
            "n": len(mine),
            "intent": round(float(np.mean([got.intent == row["intent"] for row, got in mine])), 4),
            "emotion": round(float(np.mean([got.emotion == row["emotion"] for row, got in mine])), 4),
            "language": round(float(np.mean([got.language == row["language"] for row, got in mine])), 4),
            "slot_f1": f1(counts["tp"], counts["fp"], counts["fn"]),
            "order_id": round(float(np.mean([
                str(got.slots.get("order_id") or "").upper()
                == ((row.get("slots") or {}).get("order_id") or "").lstrip("#").upper()
                for row, got in mine])), 4),
            "slot_f1_by_name": {name: f1(*v) for name, v in sorted(slot_names.items())},
        }
    macro = {key: round(float(np.mean([v[key] for v in by_lang.values()])), 4)
             for key in ("intent", "emotion", "language", "slot_f1", "order_id")}
    return {"per_language": by_lang, "macro": macro}


def readers() -> dict:
    from aftersales.understanding.keywords import KeywordUnderstanding
    from serving.dialogue import understanding_for
    from models.text.heads import PLAIN
    from serving.config import DialogueSettings

    out = {"keywords": KeywordUnderstanding()}
    out["kefu-text (CNN)"] = understanding_for(DialogueSettings(understanding="model", sentence_model=None))
    out["kefu-text + plain e5"] = understanding_for(DialogueSettings(text_heads=str(PLAIN)))
    out["kefu-text + tuned e5 (default)"] = understanding_for(DialogueSettings())
    return out


def confusions(rows: list[dict], reads: list, key: str) -> dict[str, int]:
    pairs = defaultdict(int)
    for row, got in zip(rows, reads):
        if getattr(got, key) != row[key]:
            pairs[f"{row[key]} → {getattr(got, key)}"] += 1
    return dict(sorted(pairs.items(), key=lambda kv: -kv[1])[:15])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="messages", choices=("messages", "dev", "dev2", "dev3", "dev4", "dev5"))
    parser.add_argument("--default-only", action="store_true", help="read with the default reader alone")
    parser.add_argument("--errors", type=Path, help="write the default reader's mistakes here (JSONL)")
    args = parser.parse_args()
    rows = load(args.set)
    results, default_reads = {}, None
    chosen = readers()
    if args.default_only:
        chosen = {name: r for name, r in chosen.items() if name.endswith("(default)")}
    for name, reader in chosen.items():
        started = time.perf_counter()
        reads = [reader.understand(row["text"]) for row in rows]
        ms = (time.perf_counter() - started) * 1000 / max(len(rows), 1)
        results[name] = {**score(rows, reads), "ms_per_message": round(ms, 2),
                         "intent_confusions": confusions(rows, reads, "intent"),
                         "emotion_confusions": confusions(rows, reads, "emotion")}
        default_reads = reads
    if args.errors:
        with open(args.errors, "w", encoding="utf-8") as out:
            for row, got in zip(rows, default_reads):
                wrong = {k: getattr(got, k) for k in ("intent", "emotion", "language") if getattr(got, k) != row[k]}
                missed, extra = gold_pairs(row) - found_pairs(got), found_pairs(got) - gold_pairs(row)
                if wrong or missed or extra:
                    out.write(json.dumps({"id": row["id"], "text": row["text"], "gold": {k: row[k] for k in wrong},
                                          "got": wrong, "missed": sorted(missed), "extra": sorted(extra)},
                                         ensure_ascii=False) + "\n")
    out = {"set": args.set, "messages": len(rows), "readers": results,
           "command": f".venv/bin/python benchmarks/heldout_understanding.py --set {args.set}"
                                      + (" --default-only" if args.default_only else "")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = ("heldout_understanding" if args.set == "messages" else f"{args.set}_understanding") + (
        "_default" if args.default_only else "")
    (RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    _plot(results, RESULTS / f"{stem}.png")
    for name, r in results.items():
        print(f"\n{name}  ({r['ms_per_message']} ms/message)  macro {r['macro']}")
        for lang, v in r["per_language"].items():
            print(f"  {lang:<4} n={v['n']:<4} intent {v['intent']:.3f}  emotion {v['emotion']:.3f}  "
                  f"language {v['language']:.3f}  slot F1 {v['slot_f1']:.3f}  order id {v['order_id']:.3f}")
    return 0


def _plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
    for ax, key in zip(axes, ("intent", "emotion", "slot_f1")):
        width = 0.8 / len(results)
        for i, (name, r) in enumerate(results.items()):
            langs = list(r["per_language"])
            ax.bar(np.arange(len(langs)) + i * width, [r["per_language"][lang][key] for lang in langs], width,
                   label=name)
            ax.set_xticks(np.arange(len(langs)) + 0.4 - width / 2, langs)
        ax.set_title(key)
        ax.set_ylim(0, 1)
    axes[0].legend(fontsize=8)
    fig.suptitle("Held-out understanding per language")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
