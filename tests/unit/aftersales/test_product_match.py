"""Which product a message names (aftersales.understanding.products.named_product), with embeddings laid out by hand so that
the rule, not a model, is under test."""

from __future__ import annotations

import numpy as np

from aftersales.understanding.products import MARGIN, WORD_WEIGHT, named_product, shared_words
from aftersales.store.views import ProductView


def product(sku: str, title: str, **titles: str) -> ProductView:
    return ProductView(sku, title, "", "home", 1000, "CNY", 1, False, None, titles=titles)


class Laid:
    """The message on axis 0; each title at the cosine to it given in `scores`, on an axis of its own."""

    def __init__(self, message: str, scores: dict[str, float]):
        self.message, self.scores = message, scores
        self.axes = {title: i + 1 for i, title in enumerate(scores)}

    def embed(self, texts, kind="query"):
        out = np.zeros((len(texts), len(self.axes) + 1), np.float32)
        for row, text in enumerate(texts):
            if text == self.message:
                out[row, 0] = 1.0
            else:
                score = self.scores[text]
                out[row, 0], out[row, self.axes[text]] = score, np.sqrt(1 - score ** 2)
        return out


def test_a_message_naming_no_product_does_not_name_the_closest_of_a_large_catalog():
    # Some catalog title is always a little closer than the customer's own; none is clearly ahead of the rest.
    text = "received 12 days ago, can I still send it back?"
    owned = [product("BAG", "Laptop backpack")]
    others = [product(f"P{i}", f"Item number {i}") for i in range(40)]
    scores = {"Laptop backpack": 0.70, **{f"Item number {i}": 0.74 + 0.0005 * i for i in range(40)}}
    named = named_product(text, owned, others, Laid(text, scores))
    assert named.sku is None


def test_a_shop_product_sharing_title_words_needs_only_to_beat_the_customers_own():
    text = "the night lamp arrived broken"
    owned = [product("JEANS", "Men's jeans")]
    others = [product("LAMP", "Mini night lamp"), product("DESK", "Desk organiser")]
    scores = {"Men's jeans": 0.70, "Mini night lamp": 0.80, "Desk organiser": 0.79}
    named = named_product(text, owned, others, Laid(text, scores))
    assert (named.sku, named.owned) == ("LAMP", False)
    # Within the margin of the customer's own product (the lamp's two shared words included), it names none.
    scores["Men's jeans"] = 0.80 + 2 * WORD_WEIGHT - MARGIN / 2
    assert named_product(text, owned, others, Laid(text, scores)).sku is None


def test_one_common_word_shared_with_a_catalog_title_names_no_product():
    # "khong" (không, not) is in a headphone's title; the customer asks about returning their backpack.
    text = "nhan hang 12 ngay roi con tra hang duoc khong a"
    owned = [product("BAG", "Balo laptop")]
    others = [product("EAR", "Tai nghe khong day"), *(product(f"P{i}", f"Item number {i}") for i in range(20))]
    scores = {"Balo laptop": 0.70, "Tai nghe khong day": 0.76, **{f"Item number {i}": 0.785 for i in range(20)}}
    assert named_product(text, owned, others, Laid(text, scores)).sku is None


def test_a_whole_title_in_a_script_without_spaces_is_a_shared_word():
    mug = product("MUG", "陶瓷马克杯", th="แก้วเซรามิก", en="Ceramic mug")
    assert shared_words("แก้วเซรามิกที่ได้มาร้าวค่ะ ทำยังไงดี", mug) >= 1
    assert shared_words("หมอนยางพาราที่ได้มาขาดค่ะ", mug) == 0


def test_the_customers_own_product_sharing_as_many_title_words_is_meant_over_a_closer_shop_product():
    text = "can I swap these shorts for a medium?"
    owned = [product("RUN", "速干跑步短裤", en="Quick-dry running shorts")]
    others = [product("BOARD", "Board shorts"), product("CAP", "Baseball cap")]
    scores = {"速干跑步短裤 / Quick-dry running shorts": 0.70, "Board shorts": 0.80, "Baseball cap": 0.60}
    named = named_product(text, owned, others, Laid(text, scores))
    assert (named.sku, named.owned) == ("RUN", True)
