"""ModelUnderstanding: how the trained model's reading and the keyword tables combine (the model itself is tested
with its shipped weights in tests/unit/test_text_model.py; here a scripted reader stands at the edge)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from aftersales.understanding.model import ModelUnderstanding


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
    language_scores: dict = field(default_factory=dict)

    def __post_init__(self):
        self.language_scores = self.language_scores or {self.language: 0.9, "en" if self.language != "en" else "id": 0.1}


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


class ScriptedSentences:
    def __init__(self, intent: dict, emotion: dict, language: dict):
        self.rows, self.texts = {"intent": [intent], "emotion": [emotion], "language": [language]}, []

    def read(self, texts):
        self.texts += texts
        return self.rows


def test_the_embedding_heads_outvote_an_unsure_character_model():
    from aftersales.understanding.model import Blend

    cnn = ScriptedReader(Reading("id", "product_question", "anxious", {"product_question": 0.7, "return_refund": 0.3},
                                 {"anxious": 0.55, "angry": 0.45}))
    sentences = ScriptedSentences({"return_refund": 0.95, "product_question": 0.05},
                                  {"angry": 0.9, "anxious": 0.1}, {"ms": 0.8, "id": 0.2})
    got = ModelUnderstanding(cnn, sentences=sentences).understand("barang ni x nak lagi, boleh pulangan?")
    assert (got.intent, got.emotion, got.language) == ("return_refund", "angry", "ms")
    assert 0.5 < got.intent_confidence < 0.95 and sentences.texts == ["barang ni x nak lagi, boleh pulangan?"]
    # Weighted towards the character model, its answer stands.
    leaning = Blend({"intent": (1.0, 0.05), "emotion": (1.0, 0.05), "language": (1.0, 0.05)})
    assert ModelUnderstanding(cnn, sentences=sentences, blend=leaning).understand("x").intent == "product_question"


@pytest.mark.parametrize("text, guess, language", [
    ("sis, barang saya tak sampai lagi, dah seminggu", "id", "ms"),
    ("kak barangnya udah seminggu gak nyampe", "ms", "id"),
    ("saya mau tanya", "ms", "ms"),  # nothing only one of them says: the model's guess stands
    # Chat spellings both use ("yg", "blm") decide nothing; the places an address names do.
    ("alamat yg betul No 8, Lorong Perda 5, 14000 Bukit Mertajam, Pulau Pinang", "id", "ms"),
    ("harap blm pos lagi ye", "id", "ms"),
    ("tolong kirim ke Jl. Melati 5 RT 03 RW 05, Jakarta", "ms", "id"),
    ("where is it", "en", "en"),
])
def test_malay_and_indonesian_are_told_apart_by_the_words_only_one_uses(text, guess, language):
    from aftersales.understanding.language import malay_or_indonesian

    assert malay_or_indonesian(text, guess) == language


@pytest.mark.parametrize("text, intent", [
    # A whole address after the words that ask for it outweighs "where is it" heard in the message.
    ("麻烦送到广西南宁市青秀区民族大道136号华润大厦B座", "address_change"),
    ("can you deliver to my office at 350 5th Ave, Suite 4100, New York, NY 10118?", "address_change"),
    # Not a number that names no place, nor a parcel that arrived broken (a complaint, below).
    ("3000 diem tich luy mai het han roi, dung sao vay shop, so mat trang", "logistics_status"),
    ("giao tới gãy 1 chân, hộp móp, 12 Lê Lợi, Quận 1, TP HCM", "defect_complaint"),
])
def test_a_whole_new_address_makes_the_message_an_address_change(text, intent):
    got = ModelUnderstanding(ScriptedReader(reading(language="en", intent="logistics_status"))).understand(text)
    assert got.intent == intent
    assert (got.slots["new_address"] is not None) == (intent == "address_change")


@pytest.mark.parametrize("heard, text, intent", [
    # A defect described in words outweighs price, tax or parcel words the model heard.
    ("duty_tax", "ly thuy tinh vo nat luon r ad oi", "defect_complaint"),
    ("price_protection", "ทีวีจอแตกมาเลย ของราคาเป็นหมื่น", "defect_complaint"),
    # Not a return or an exchange a customer with a defect asks for, nor a question about one; nor a denied defect.
    ("return_refund", "the mug is cracked, I want my money back", "return_refund"),
    ("product_question", "电动牙刷保修多久 坏了是换新还是维修", "product_question"),
    ("logistics_status", "hàng không bị vỡ, khi nào giao vậy", "logistics_status"),
])
def test_a_described_defect_makes_the_message_a_complaint(heard, text, intent):
    got = ModelUnderstanding(ScriptedReader(reading(language="en", intent=heard))).understand(text)
    assert got.intent == intent
    assert (heard in got.other_intents) == (intent != heard)
