"""Understanding by kefu's trained multilingual text model, with the keyword tables for what a classifier does not
give: the defect words named, the address asked for, and further intents in the same message."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Protocol

from aftersales.errors import InvalidInput
from aftersales.language import detect_language, normalize_language
from aftersales.slots import extract
from aftersales.understanding import KeywordUnderstanding, Lexicon, Understood, default_lexicon

# A second intent the model gives at least this probability is also asked for ("change the address and use my
# two coupons").
SECOND_INTENT = 0.25
# Scripts settle the language outright; the model decides among the Latin-script ones (en, id, ms, vi, fil).
_SCRIPT_LANGUAGES = frozenset({"zh", "th", "ja", "ko"})


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
                          _slots(text, language, reading.slots), found.defect_mentions, others)


def _slots(text: str, language: str | None, spans: Sequence[Any]) -> dict[str, Any]:
    """The slot grammar's values (aftersales/slots.py: ids, phones, money, ISO dates and addresses in seven
    languages), with the model's sku span."""
    found = extract(text, language)
    return {"order_id": found.order_id, "phone": found.phone, "amounts": found.amounts,
            "new_address": found.new_address, "dates": found.dates,
            "sku": next((span.text for span in spans if span.name == "sku"), None)}
