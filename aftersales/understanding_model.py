"""Understanding by kefu's trained multilingual text model, with the keyword tables for what a classifier does not
give: the defect words named, the address asked for, and further intents in the same message."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Protocol

from aftersales.errors import InvalidInput
from aftersales.language import detect_language, normalize_language
from aftersales.money import parse_amount
from aftersales.understanding import KeywordUnderstanding, Lexicon, Understood, default_lexicon

# A second intent the model gives at least this probability is also asked for ("change the address and use my
# two coupons").
SECOND_INTENT = 0.25
# Scripts settle the language outright; the model decides among the Latin-script ones (en, id, ms, vi, fil).
_SCRIPT_LANGUAGES = frozenset({"zh", "th", "ja", "ko"})
_DIGITS = re.compile(r"\d[\d.,\s]*")


class TextReader(Protocol):
    """models.text.TextModel: one reading per text (language, intent, emotion with their scores, slot spans)."""

    def read(self, texts: list[str]) -> Sequence[Any]: ...


class ModelUnderstanding:
    """Intent, emotion, language and slots from the trained model; defect words, the new address and extra intents
    from the keyword tables (aftersales/lexicon.yaml)."""

    def __init__(self, reader: TextReader, lexicon: Lexicon | None = None):
        self.reader = reader
        self.keywords = KeywordUnderstanding(lexicon or default_lexicon())

    def understand(self, text: str, language_hint: str | None = None) -> Understood:
        if not isinstance(text, str):
            raise InvalidInput(f"text must be a string, got {type(text).__name__}")
        text = unicodedata.normalize("NFKC", text)
        found = self.keywords.understand(text, language_hint)
        if not text.strip():
            return found  # nothing for the model to read: a photo or a voice note without words
        reading = self.reader.read([text])[0]
        language = normalize_language(language_hint)
        if language is None:
            by_script = detect_language(text, {})
            language = by_script if by_script in _SCRIPT_LANGUAGES else reading.language
        intent = reading.intent
        others = [label for label in dict.fromkeys(
            [*found.other_intents, found.intent,
             *(i for i, p in sorted(reading.intent_scores.items(), key=lambda kv: -kv[1]) if p >= SECOND_INTENT)])
            if label not in (intent, "other")]
        return Understood(language, intent, round(float(reading.intent_scores[intent]), 3), reading.emotion,
                          round(float(reading.emotion_scores[reading.emotion]), 3),
                          _slots(found.slots, reading.slots), found.defect_mentions, others)


def _slots(keyword: dict[str, Any], spans: Sequence[Any]) -> dict[str, Any]:
    """The keyword patterns' slots, completed by the model's spans (the patterns know kefu's own id formats; the
    model knows how customers write amounts, dates and phone numbers in seven languages)."""
    by_name: dict[str, list[str]] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span.text)
    order_id = keyword.get("order_id") or next(
        (t.strip("#").upper() for t in by_name.get("order_id", []) if t.strip("#")), None)
    phone = keyword.get("phone") or next((re.sub(r"[^\d+]", "", t) for t in by_name.get("phone", [])), None)
    amounts = list(keyword.get("amounts") or [])
    for written in by_name.get("amount", []):
        cents = _cents(written)
        if cents is not None and cents not in amounts:
            amounts.append(cents)
    return {"order_id": order_id, "phone": phone or None, "amounts": amounts,
            "new_address": keyword.get("new_address"), "sku": next(iter(by_name.get("sku", [])), None),
            "dates": by_name.get("date", [])}


def _cents(written: str) -> int | None:
    """Cents of an amount as written ("¥299", "Rp 150.000", "RM45.90", "250k"), None when unsure."""
    match = _DIGITS.search(written)
    if match is None:
        return None
    digits = match.group().strip().replace(" ", "")
    # "150.000" and "1,299" group thousands; "45.90" has decimals: two digits after the last separator.
    head, sep, tail = max((digits.rpartition(s) for s in ".,"), key=lambda parts: len(parts[0]))
    number = (re.sub(r"[.,]", "", head) + "." + tail) if sep and len(tail) == 2 else re.sub(r"[.,]", "", digits)
    try:
        cents = parse_amount(number)
    except (InvalidInput, ValueError):
        return None
    lowered = written.lower()
    if re.search(r"\d\s*(k|rb|ribu|nghìn|ngàn)\b", lowered):
        cents *= 1000
    return cents
