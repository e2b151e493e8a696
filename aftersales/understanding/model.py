"""Understanding by kefu's trained multilingual text model, with the keyword tables for what a classifier does not
give: the defect words named, the address asked for, and further intents in the same message."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from aftersales.errors import InvalidInput
from aftersales.understanding.language import detect_language, malay_or_indonesian, normalize_language
from aftersales.understanding.slots import address_shaped, extract
from aftersales.understanding.keywords import KeywordUnderstanding, Lexicon, Understood, default_lexicon

# A second intent the model gives at least this probability is also asked for ("change the address and use my
# two coupons").
SECOND_INTENT = 0.25
# Scripts settle the language outright; the model decides among the Latin-script ones (en, id, ms, vi, fil).
_SCRIPT_LANGUAGES = frozenset({"zh", "th", "ja", "ko"})
# Intents a whole new address in the message outweighs: a customer sending one wants the parcel there.
_ADDRESS_OVERRIDES = frozenset({"logistics_status", "ask_human", "other", "greeting_thanks"})
# Intents a defect described in words outweighs: "ly thuy tinh vo nat luon r" (the glass came smashed) is a complaint
# whatever price, tax or parcel words the model also heard. Not a return, an exchange, an address change or a
# question about one ("坏了是换新还是维修"): those are what a customer with a defect may want.
_DEFECT_OVERRIDES = frozenset({"logistics_status", "price_protection", "duty_tax", "coupon_question", "other",
                               "greeting_thanks"})


class TextReader(Protocol):
    """models.text.model.TextModel: one reading per text (language, intent, emotion with their scores, slot spans)."""

    def read(self, texts: list[str]) -> Sequence[Any]: ...


class SentenceReader(Protocol):
    """models.text.sentence.SentenceEncoder with models.text.heads.EmbeddingHeads: task → {label: probability} per text."""

    def read(self, texts: list[str]) -> dict[str, list[dict[str, float]]]: ...


@dataclass(frozen=True)
class Blend:
    """How the character CNN and the embedding heads are combined, per task: p ∝ p_cnn^cnn · p_e5^e5.

    Attributes:
        weights: Task ("intent", "emotion", "language") → (cnn, e5) exponents; their sum also sets the sharpness,
            so they calibrate the confidence as well (chosen on the dev messages, never on the held-out ones).
        gate: The character CNN alone decides when it gives both its intent and its emotion at least this
            probability (on the dev messages as accurate as the blend, and half the messages skip the embedding);
            None: always blend.
    """

    weights: dict[str, tuple[float, float]] = field(default_factory=lambda: {
        "intent": (0.5, 0.5), "emotion": (0.5, 0.5), "language": (0.5, 0.5)})
    gate: float | None = None

    def sure(self, reading: Any) -> bool:
        """Whether the CNN's reading stands without the embedding."""
        return (self.gate is not None and max(reading.intent_scores.values()) >= self.gate
                and max(reading.emotion_scores.values()) >= self.gate)

    def combine(self, task: str, cnn: dict[str, float], e5: dict[str, float] | None) -> dict[str, float]:
        if e5 is None:
            return cnn
        a, b = self.weights.get(task, (0.5, 0.5))
        labels = list(dict.fromkeys([*cnn, *e5]))
        logits = np.array([a * math.log(cnn.get(k, 0.0) + 1e-6) + b * math.log(e5.get(k, 0.0) + 1e-6)
                           for k in labels])
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return dict(zip(labels, map(float, p)))


class ModelUnderstanding:
    """Intent, emotion and language from the trained character CNN, blended with linear heads on multilingual
    sentence embeddings when given; slots from the slot grammar; defect words and further intents from the keyword
    tables (aftersales/understanding/lexicon.yaml)."""

    def __init__(self, reader: TextReader, lexicon: Lexicon | None = None, sentences: SentenceReader | None = None,
                 blend: Blend | None = None):
        self.reader = reader
        self.sentences = sentences
        self.blend = blend or Blend()
        self.keywords = KeywordUnderstanding(lexicon or default_lexicon())

    def understand(self, text: str, language_hint: str | None = None) -> Understood:
        if not isinstance(text, str):
            raise InvalidInput(f"text must be a string, got {type(text).__name__}")
        text = unicodedata.normalize("NFKC", text)
        found = self.keywords.understand(text, language_hint)
        if not text.strip():
            return found  # nothing for the model to read: a photo or a voice note without words
        reading = self.reader.read([text])[0]
        e5 = ({task: rows[0] for task, rows in self.sentences.read([text]).items()}
              if self.sentences and not self.blend.sure(reading) else {})
        intents = self.blend.combine("intent", reading.intent_scores, e5.get("intent"))
        emotions = self.blend.combine("emotion", reading.emotion_scores, e5.get("emotion"))
        languages = self.blend.combine("language", reading.language_scores, e5.get("language"))
        language = normalize_language(language_hint)
        if language is None:
            by_script = detect_language(text, {})
            language = by_script if by_script in _SCRIPT_LANGUAGES else malay_or_indonesian(
                text, max(languages, key=languages.get))
        intent = max(intents, key=intents.get)
        confidence = intents[intent]
        emotion = max(emotions, key=emotions.get)
        others = [label for label in dict.fromkeys(
            [*found.other_intents, found.intent,
             *(i for i, p in sorted(intents.items(), key=lambda kv: -kv[1]) if p >= SECOND_INTENT)])
            if label not in (intent, "other")]
        slots = _slots(text, language, reading.slots)
        if (intent in _ADDRESS_OVERRIDES and slots["new_address"] and address_shaped(slots["new_address"])
                and not found.defect_mentions):
            # A whole address after the words that ask for it ("麻烦送到广西南宁市青秀区民族大道136号…") is what the
            # message asks, whatever else the model heard in it ("where is it", "can someone help"); the model's
            # certainty stands for the rule's (the address grammar is no less sure than the reading it corrects).
            others = [label for label in [intent, *others] if label != "address_change"]
            intent = "address_change"
        elif intent in _DEFECT_OVERRIDES and found.defect_mentions:
            others = [label for label in [intent, *others] if label != "defect_complaint"]
            intent = "defect_complaint"
        if intent != "address_change" and "address_change" not in others:
            slots["new_address"] = None  # "giao tới gãy 1 chân" (arrived with a leg broken) moves no parcel
        return Understood(language, intent, round(confidence, 3), emotion, round(emotions[emotion], 3),
                          slots, found.defect_mentions, others)


def _slots(text: str, language: str | None, spans: Sequence[Any]) -> dict[str, Any]:
    """The slot grammar's values (aftersales/understanding/slots/: ids, phones, money, ISO dates and addresses in seven
    languages), with the model's sku span."""
    found = extract(text, language)
    return {"order_id": found.order_id, "phone": found.phone, "amounts": found.amounts,
            "new_address": found.new_address, "dates": found.dates, "tracking_number": found.tracking_number,
            "sku": next((span.text for span in spans if span.name == "sku"), None)}
