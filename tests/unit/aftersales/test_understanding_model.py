"""ModelUnderstanding: how the trained model's reading and the keyword tables combine (the model itself is tested
with its shipped weights in tests/unit/test_text_model.py; here a scripted reader stands at the edge)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from aftersales.understanding_model import ModelUnderstanding


@dataclass
class Span:
    name: str
    text: str


@dataclass
class Reading:
    language: str
    intent: str
    emotion: str
    intent_scores: dict = field(default_factory=dict)
    emotion_scores: dict = field(default_factory=dict)
    slots: tuple = ()


class ScriptedReader:
    def __init__(self, reading: Reading):
        self.reading, self.texts = reading, []

    def read(self, texts):
        self.texts += texts
        return [self.reading]


def reading(language="id", intent="logistics_status", emotion="anxious", second=None, slots=()) -> Reading:
    scores = {intent: 0.7, **({second: 0.3} if second else {}), "other": 0.0}
    return Reading(language, intent, emotion, scores, {emotion: 0.8, "neutral": 0.2}, slots)


def test_the_model_decides_intent_emotion_and_latin_language():
    reader = ScriptedReader(reading(slots=(Span("sku", "KF-SW-001"),)))
    text = "Kak, pesanan #SHP2406118833 Rp 150.000 kapan dikirim? tgl 12 Des, hp 0812-3456-7890 (KF-SW-001)"
    got = ModelUnderstanding(reader).understand(text)
    assert (got.language, got.intent, got.intent_confidence, got.emotion, got.emotion_score) == (
        "id", "logistics_status", 0.7, "anxious", 0.8)
    assert got.slots["order_id"] == "SHP2406118833" and got.slots["amounts"] == [15_000_000]
    assert got.slots["phone"] == "081234567890" and got.slots["dates"] == ["2026-12-12"]
    assert got.slots["sku"] == "KF-SW-001" and reader.texts == [text]


def test_script_and_hint_beat_the_models_language_and_keywords_add_defects_address_and_second_intents():
    reader = ScriptedReader(reading(language="en", intent="address_change", emotion="neutral",
                                    second="coupon_question"))
    got = ModelUnderstanding(reader).understand("地址改成：上海市徐汇区漕溪北路88号，再用两张优惠券，毛衣还勾丝了")
    assert got.language == "zh" and got.intent == "address_change"
    assert got.slots["new_address"] == "上海市徐汇区漕溪北路88号" and got.defect_mentions == ["snag"]
    assert "coupon_question" in got.other_intents and "address_change" not in got.other_intents
    assert ModelUnderstanding(reader).understand("change my address", "fil-PH").language == "fil"


def test_keyword_order_ids_win_and_empty_text_never_reaches_the_model():
    reader = ScriptedReader(reading(slots=(Span("order_id", "12345"),)))
    assert ModelUnderstanding(reader).understand("order O1004 where").slots["order_id"] == "O1004"
    empty = ModelUnderstanding(reader).understand("  ")
    assert (empty.intent, empty.emotion) == ("other", "neutral") and reader.texts == ["order O1004 where"]
