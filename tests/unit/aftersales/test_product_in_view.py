"""Turns about the product in view and the cart (before any order), the order that holds the product a complaint
names, and product knowledge answered in a turn: DialogueService.handle on the seeded demo shop."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from aftersales.dialogue import DialogueService
from aftersales.errors import UnknownReference
from aftersales.integrations.ingest import CouponIn
from aftersales.policy.engine import PolicyEngine
from aftersales.replies.templates import ReplyWriter
from aftersales.turn_input import CartLine, ViewedProduct
from aftersales.understanding.keywords import KeywordUnderstanding, Understood
from tests.unit.aftersales.test_dialogue import NOW, ROOT, store, turn  # noqa: F401  (the seeded store fixture)


class Reads:
    """Understanding that reads every message as one intent: what the turn does with it is under test here."""

    def __init__(self, intent: str, language: str = "en"):
        self.intent, self.language = intent, language

    def understand(self, text, language_hint=None):
        return Understood(self.language, self.intent, 0.95, "neutral", 0.9, {"order_id": None, "amounts": []})


def service(store, understanding=None) -> DialogueService:  # noqa: F811
    return DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"),
                           understanding or KeywordUnderstanding(), ReplyWriter(), clock=lambda: NOW)


def give_coupons(store):  # noqa: F811
    store.put_coupon("SHOP30", CouponIn(kind="threshold", amount="30", threshold="200", customer_id="C1002"))
    store.put_coupon("PLAT10", CouponIn(kind="no_threshold", amount="10", issuer="platform", customer_id="C1002"))


def test_a_coupon_question_about_the_product_in_view_stacks_on_its_price(store):  # noqa: F811
    give_coupons(store)
    jacket = store.get_product("KF-JK-001")
    result = service(store, Reads("coupon_question")).handle(
        turn("C1002", "can I stack these two coupons on this jacket?", viewed=ViewedProduct(sku="KF-JK-001")))
    out = result.to_dict()
    assert out["decision"]["rule"] == "coupon_stacking.cart" and out["order_id"] is None
    inputs = out["decision"]["inputs"]
    assert inputs["subtotal"]["amount_cents"] == jacket.price_cents
    # Both stack: the shop's 30 off (the jacket costs over 200) and the platform's 10 off.
    assert sorted(a["coupon_id"] for a in inputs["applied"]) == ["PLAT10", "SHOP30"]
    assert inputs["final_price"]["amount_cents"] == jacket.price_cents - 4000
    assert f"{(jacket.price_cents - 4000) / 100:.2f}" in out["reply"] and "order" not in out["reply"].lower()
    assert not out["handoff"]["required"]


def test_a_cart_stacks_on_the_prices_shown(store):  # noqa: F811
    give_coupons(store)
    result = service(store, Reads("coupon_question")).handle(turn("C1002", "which coupons work for my cart?", cart=(
        CartLine("KF-TS-001", 2, 5000), CartLine("KF-HM-001", 1, 8000))))
    inputs = result.decision.inputs
    # 2 x 50 + 80 = 180 is under the shop coupon's 200 threshold: only the platform's 10 off applies.
    assert inputs["subtotal"].cents == 18000 and inputs["final_price"].cents == 17000
    assert [a["coupon_id"] for a in inputs["applied"]] == ["PLAT10"] and "SHOP30" in inputs["rejected"]


def test_no_coupons_held_says_so_with_the_price(store):  # noqa: F811
    result = service(store, Reads("coupon_question", "zh")).handle(
        turn("C1003", "这件能用券吗", viewed=ViewedProduct(sku="KF-DR-001")))
    price = store.get_product("KF-DR-001").price_cents
    assert result.decision.inputs["applied"] == [] and f"{price / 100:.2f}" in result.reply
    assert "订单" not in result.reply


@pytest.mark.parametrize("kw", [{"viewed": ViewedProduct(sku="NOPE-1")},
                                {"viewed": ViewedProduct(item_id="999", channel="tmall")},
                                {"cart": (CartLine("KF-TS-001", 1, None), CartLine("NOPE-2", 1, None))}])
def test_a_product_kefu_does_not_know_is_a_bad_reference_and_nothing_is_stored(store, kw):  # noqa: F811
    with pytest.raises(UnknownReference):
        service(store).handle(turn("C1002", "does this coupon work?", conversation="bad-ref", **kw))
    assert store.messages("bad-ref") == []


def test_a_complaint_names_the_product_of_the_customers_other_order(store):  # noqa: F811
    store.add_order("O9001", "C1001", [("KF-HM-001", 1, 5900)], created_at=NOW - timedelta(days=4),
                    status="delivered", paid_at=NOW - timedelta(days=4), shipped_at=NOW - timedelta(days=3),
                    delivered_at=NOW - timedelta(days=1))
    result = service(store).handle(turn("C1001", "the ceramic mug arrived with a crack", conversation="mug"))
    assert result.order_id == "O9001" and result.intent == "defect_complaint"
    assert result.decision.inputs.get("order_id") == "O9001"


def test_a_product_in_none_of_the_orders_asks_which_order_and_refunds_nothing(store):  # noqa: F811
    # C1002 bought only the dress: "the mug" is not theirs, so no remedy may act on the dress.
    result = service(store).handle(turn("C1002", "the ceramic mug arrived with a crack", conversation="mug2"))
    assert result.order_id is None
    assert result.decision.rule.endswith("need_order")
    assert not any(a.type.startswith("refund") for a in result.decision.actions)


class ByWord:
    """Embeds `message` and every title holding `word` on one axis, everything else on another: which catalog
    products compete with the customer's, not the model, is under test here."""

    def __init__(self, message: str, word: str):
        self.message, self.word, self.passages = message, word, []

    def embed(self, texts, kind="query"):
        if kind == "passage":
            self.passages += texts
        return np.array([[1.0, 0.0] if t == self.message or self.word in t.lower() else [0.0, 1.0] for t in texts],
                        np.float32)


def test_a_product_named_in_no_shared_word_is_found_in_the_catalog_and_not_refunded_as_the_order(store):  # noqa: F811
    # C1002 bought only the dress; the Thai message shares no word with any title, the mug's embedding is closest.
    text = "แก้วเซรามิกที่ได้มาร้าวค่ะ ทำยังไงดี"
    embedder = ByWord(text, "mug")
    dialogue = DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"),
                               Reads("defect_complaint", "th"), ReplyWriter(), clock=lambda: NOW, embedder=embedder)
    dialogue.warm()
    warmed = len(embedder.passages)
    assert warmed == len(store.products())
    result = dialogue.handle(turn("C1002", text, conversation="th-mug"))
    assert result.order_id is None and result.decision.rule.endswith("need_order")
    assert not any(a.type.startswith(("offer_refund", "offer_partial")) for a in result.decision.actions)
    # The titles were embedded once, at warm-up: the turn embedded only its message.
    assert len(embedder.passages) == warmed


def test_shop_products_alike_to_the_one_named_do_not_hand_the_complaint_to_the_customers_order(store):  # noqa: F811
    # Two night lamps in the catalog tie with each other; C1002 bought neither, only the dress: ask which order.
    from aftersales.integrations.ingest import ProductIn

    for sku in ("LAMP-A", "LAMP-B"):
        store.put_product(sku, ProductIn(title="Mini night lamp", category="home", price="45.00", currency="CNY"), NOW)
    text = "the night lamp I got arrived broken"
    dialogue = DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"),
                               Reads("defect_complaint"), ReplyWriter(), clock=lambda: NOW,
                               embedder=ByWord(text, "lamp"))
    result = dialogue.handle(turn("C1002", text, conversation="two-lamps"))
    assert result.order_id is None and result.decision.rule.endswith("need_order")
    assert not any(a.type.startswith(("offer_refund", "offer_partial")) for a in result.decision.actions)


def test_a_complaint_about_the_product_in_view_that_no_order_holds_asks_which_order(store):  # noqa: F811
    result = service(store, Reads("defect_complaint")).handle(
        turn("C1002", "this arrived with a crack in the lid, what can you do?", conversation="view-mug",
             viewed=ViewedProduct(sku="KF-HM-001")))
    assert result.order_id is None and result.decision.rule.endswith("need_order")
    assert not any(a.amount_cents is not None for a in result.decision.actions)


@pytest.mark.parametrize("text", ["any update on order no. {id}? the other one can wait",
                                  "{spaced} kailan po darating", "问一下{id}到哪了"])
def test_the_customers_order_written_in_any_phrasing_is_the_order(store, text):  # noqa: F811
    store.add_order("KF-EN-261114", "C1001", [("KF-HM-001", 1, 4900)], created_at=NOW - timedelta(days=9),
                    status="shipped", paid_at=NOW - timedelta(days=9), shipped_at=NOW - timedelta(days=8))
    message = text.format(id="KF-EN-261114", spaced="kf en 261114")
    result = service(store, Reads("logistics_status")).handle(turn("C1001", message, conversation="written"))
    assert result.order_id == "KF-EN-261114"


def test_a_care_question_in_a_turn_is_answered_from_the_products_knowledge(store):  # noqa: F811
    result = service(store, Reads("product_question")).handle(
        turn("C1002", "can it go in the tumble dryer?", viewed=ViewedProduct(sku="KF-SW-001")))
    out = result.to_dict()
    assert out["decision"]["rule"].startswith("product_knowledge")
    assert "do not tumble dry" in out["reply"] and not out["handoff"]["required"]


def test_a_size_question_recommends_from_the_chart(store):  # noqa: F811
    result = service(store, Reads("size_fit", "zh")).handle(
        turn("C1001", "有L码吗？我170/65kg", viewed=ViewedProduct(sku="KF-SW-001")))
    assert "L" in result.reply and result.decision.rule.startswith("product_knowledge")


def test_a_question_nothing_ingested_answers_is_handed_over(store):  # noqa: F811
    result = service(store, Reads("product_question")).handle(
        turn("C1002", "is it warm enough for -20 degrees?", viewed=ViewedProduct(sku="KF-TS-001")))
    assert result.handoff_required
