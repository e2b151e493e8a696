"""Checks the held-out understanding set's files: one JSON object a line, labels from kefu's vocabulary, slots that
point into the text; prints a summary per file and exits 1 naming file:line on the first bad line."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGUAGES = ("zh", "en", "id", "th", "vi", "ms", "fil")
INTENTS = ("logistics_status", "price_protection", "coupon_question", "return_refund", "defect_complaint", "exchange",
           "address_change", "size_fit", "duty_tax", "product_question", "ask_human", "greeting_thanks", "other")
EMOTIONS = ("angry", "anxious", "neutral", "happy")
DEFECTS = ("snag", "hole", "stain", "tear", "open_seam", "pilling", "scratch", "dent", "crack", "broken")
SLOTS = ("order_id", "phone", "amounts", "dates", "new_address", "defects", "product")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\d+(\.\d{1,2})?$")


def check_row(row: dict, lang: str) -> str | None:
    """The first thing wrong with one labelled message, None when it is well formed."""
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        return "text must be a non-empty string"
    if row.get("language") != lang:
        return f"language must be {lang!r} in {lang}.jsonl"
    if row.get("intent") not in INTENTS:
        return f"unknown intent {row.get('intent')!r}"
    if row.get("emotion") not in EMOTIONS:
        return f"unknown emotion {row.get('emotion')!r}"
    if not isinstance(row.get("situation"), str) or not row["situation"].strip():
        return "situation must say, in English, the abstract situation the message was written from"
    slots = row.get("slots", {})
    if not isinstance(slots, dict) or set(slots) - set(SLOTS):
        return f"slots must be a mapping with keys among {SLOTS}"
    for name in ("order_id", "phone", "new_address", "product"):
        value = slots.get(name)
        if value is not None and (not isinstance(value, str) or value not in text):
            return f"slots.{name} must be an exact substring of text, got {value!r}"
    for amount in slots.get("amounts", []):
        if not isinstance(amount, str) or not _NUMBER.match(amount):
            return f"slots.amounts holds numbers in major units as strings ('150000', '45.90'), got {amount!r}"
    for date in slots.get("dates", []):
        if not isinstance(date, str) or not _ISO.match(date):
            return f"slots.dates holds ISO dates ('2026-11-11'), got {date!r}"
    for label in slots.get("defects", []):
        if label not in DEFECTS:
            return f"slots.defects holds taxonomy ids {DEFECTS}, got {label!r}"
    return None


def check_file(path: Path) -> list[dict]:
    lang = path.stem
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            sys.exit(f"{path}:{number}: not JSON ({exc})")
        problem = check_row(row, lang)
        if problem:
            sys.exit(f"{path}:{number}: {problem}")
        rows.append(row)
    return rows


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted(HERE.glob("*/*.jsonl"))
    for path in paths:
        rows = check_file(path)
        intents = Counter(r["intent"] for r in rows)
        emotions = Counter(r["emotion"] for r in rows)
        slots = Counter(name for r in rows for name, v in r.get("slots", {}).items() if v)
        print(f"{path}: {len(rows)} messages; intents {dict(intents)}; emotions {dict(emotions)}; slots {dict(slots)}")


if __name__ == "__main__":
    main(sys.argv[1:])
