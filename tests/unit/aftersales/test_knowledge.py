"""Product knowledge: body measurements as customers write them, a size from the chart, passages and FAQ entries
that answer a question, and "nothing ingested answers it" where nothing does."""

from __future__ import annotations

import numpy as np
import pytest

from aftersales.policy.knowledge import Body, answer, body_measurements, cued_fields, recommend_size
from aftersales.store.views import FaqView, ProductView

CHART = {"unit": "cm", "rows": [
    {"size": "S", "height": [150, 160], "weight": [40, 50]},
    {"size": "M", "height": [160, 168], "weight": [50, 58]},
    {"size": "L", "height": [168, 175], "weight": [58, 68]},
    {"size": "XL", "height": [175, 185], "weight": [68, 80]}]}


def product(**knowledge) -> ProductView:
    return ProductView(sku="SW-1", title="羊毛开衫", description="", category="apparel", price_cents=26900,
                       currency="CNY", stock=10, presale=False, restock_date=None, style_tags=(),
                       titles={"en": "Wool cardigan"}, knowledge=knowledge)


@pytest.mark.parametrize(("text", "height", "weight"), [
    ("有L码吗？我170/65kg", 170, 65),
    ("i'm 1m70 and 60kg", 170, 60),
    ("5'7 140 lbs what size", 170.2, 63.5),
    ("身高160体重100斤穿什么码", 160, 50),
    ("tinggi 155cm berat 48 kg", 155, 48),
    ("which size runs small?", None, None),
])
def test_body_measurements_in_the_ways_customers_write_them(text, height, weight):
    body = body_measurements(text)
    assert (body.height_cm, body.weight_kg) == (height, weight)


def test_a_size_from_height_and_weight_the_larger_between_two():
    assert recommend_size(CHART, Body(165, 55)) == ("M", "height and weight")
    # Height says M, weight says L: the larger fits both.
    assert recommend_size(CHART, Body(165, 62)) == ("L", "height and weight")
    assert recommend_size(CHART, Body(None, 45)) == ("S", "weight")
    # Just outside the chart: its end size; far outside: no size is recommended.
    assert recommend_size(CHART, Body(188, None)) == ("XL", "height")
    assert recommend_size(CHART, Body(120, None)) is None


def test_a_size_question_is_answered_from_the_chart_or_asks_for_measurements():
    item = product(size_chart=CHART)
    got = answer("有L码吗？我170/65kg", "zh", item, [], None, size_question=True)
    assert (got.kind, got.params["size"], got.params["basis"]) == ("size", "L", "height and weight")
    asked = answer("what size should I get?", "en", item, [], None, size_question=True)
    assert asked.kind == "ask_measurements" and asked.params["sizes"] == "S, M, L, XL"
    assert asked.title == "Wool cardigan"  # the customer's language, the shop's title in Chinese


def test_care_is_answered_in_the_customers_language_else_english():
    care = {"zh": "冷水手洗，平铺晾干，不可烘干。", "en": "Hand wash cold, dry flat, do not tumble dry."}
    item = product(care=care, materials={"en": "30% wool, 70% acrylic"})
    zh = answer("可以用烘干机吗", "zh", item, [], None, size_question=False)
    assert (zh.kind, zh.params["field"], zh.params["answer"]) == ("passage", "care", care["zh"])
    ms = answer("boleh masuk mesin basuh?", "ms", item, [], None, size_question=False)
    assert (ms.params["answer"], ms.params["answer_language"]) == (care["en"], "en")
    fil = answer("gawa sa ano po ito?", "fil", item, [], None, size_question=False)
    assert fil.params["field"] == "materials"


def test_nothing_ingested_answers_so_it_says_none():
    item = product(care={"en": "Hand wash cold."})
    got = answer("what is the warranty?", "en", item, [], None, size_question=False)
    assert got.kind == "none" and got.sku == "SW-1"
    assert cued_fields("what is the warranty?") == ["warranty"]


class Vectors:
    """Embeds by a fixed table of unit vectors: the retrieval logic, not the model, is under test here."""

    def __init__(self, table: dict[str, list[float]]):
        self.table = {k: np.asarray(v, np.float32) / np.linalg.norm(v) for k, v in table.items()}

    def embed(self, texts, kind="query"):
        return np.stack([self.table[t] for t in texts])


def test_an_faq_entry_answers_only_when_it_is_close_and_clearly_the_best():
    faqs = [FaqView("ship-time", "en", "How long does shipping take?", "2-4 days in the city.", None),
            FaqView("invoice", "en", "Can I get an invoice?", "Yes, from the order page.", None)]
    close = Vectors({"when will it ship to me": [1, 0.1, 0], "How long does shipping take?": [1, 0.12, 0],
                     "Can I get an invoice?": [0, 1, 0]})
    got = answer("when will it ship to me", "en", None, faqs, close, size_question=False)
    assert (got.kind, got.params["field"], got.params["source"]) == ("passage", "ship-time", "faq")
    far = Vectors({"do you sell gift cards": [0, 0, 1], "How long does shipping take?": [1, 0.12, 0],
                   "Can I get an invoice?": [0, 1, 0]})
    assert answer("do you sell gift cards", "en", None, faqs, far, size_question=False).kind == "none"
    # An entry about another product is not the answer to a question about this one.
    other = [FaqView("ship-time", "en", "How long does shipping take?", "...", "OTHER-SKU")]
    assert answer("when will it ship to me", "en", product(), other, close, size_question=False).kind == "none"
