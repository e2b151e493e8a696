"""Whole turns through DialogueService.handle on the seeded demo shop: the article's acceptance cases and more."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from aftersales.defects import PhotoDetections
from aftersales.dialogue import DialogueService, ProductHit, TurnInput
from aftersales.store.views import ConversationContext
from aftersales.errors import Conflict, InvalidInput, NotFound
from aftersales.policy.engine import PolicyEngine
from aftersales.replies.templates import ReplyWriter
from aftersales.integrations.seed import seed_demo
from aftersales.store.core import Store
from aftersales.understanding.keywords import KeywordUnderstanding

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 26, 4, 0, tzinfo=timezone.utc)  # the seed's orders were paid after 双11
BOX = (10.0, 20.0, 110.0, 220.0)  # 2 % of a 1000 x 1000 photo: a minor defect by area


def photo(*detections, size: int = 1000) -> PhotoDetections:
    return PhotoDetections(size, size, detections)


@pytest.fixture()
def store(tmp_path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'kefu.db'}")
    seed_demo(store, ROOT / "catalog_index" / "demo" / "catalog.csv", NOW)
    return store


@pytest.fixture()
def service(store) -> DialogueService:
    return DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"), KeywordUnderstanding(),
                           ReplyWriter(), clock=lambda: NOW)


def turn(customer: str, text: str = "", conversation: str | None = None, **kw) -> TurnInput:
    return TurnInput(conversation_id=conversation or f"t-{customer}", customer_id=customer, text=text, **kw)


def actions(result) -> dict[str, dict]:
    return {a["type"]: a for a in result.to_dict()["decision"]["actions"]}


def test_price_drop_within_seven_days_refunds_the_difference(service):
    result = service.handle(turn("C1001", "我买的开衫降价了，能保价吗", channel="tmall"))
    out = result.to_dict()
    assert (out["language"], out["intent"], out["order_id"]) == ("zh", "price_protection", "O1001")
    assert out["decision"]["rule"] == "price_protection"
    refund = actions(result)["refund_price_difference"]
    assert (refund["amount"], refund["amount_cents"], refund["currency"]) == (30.0, 3000, "CNY")
    assert out["decision"]["inputs"]["days_since_payment"] == 3
    assert "30.00元" in out["reply"] and "法式复古针织开衫" in out["reply"]
    assert out["handoff"] == {"required": False, "reason": None, "queue_id": None}


def test_price_drop_outside_the_window_gives_coupon_and_reminder_in_english(service):
    result = service.handle(turn("C1002", "I bought the dress and now it's cheaper. Can I get price protection?"))
    out = result.to_dict()
    assert (out["language"], out["order_id"]) == ("en", "O1002")
    assert out["decision"]["rule"] == "price_protection.outside_window"
    found = actions(result)
    assert (found["issue_coupon"]["amount"], found["issue_coupon"]["params"]["kind"]) == (10.0, "no_threshold")
    reminder = found.get("restock_reminder") or found.get("presale_reminder")
    assert reminder is not None and reminder["params"]["sku"] == "KF-DR-001"
    assert "¥10.00" in out["reply"] and "coupon" in out["reply"]
    assert out["decision"]["inputs"]["days_since_payment"] == 12


@pytest.mark.parametrize(("text", "language"), [("the sweater has a snag", "en"), ("毛衣勾丝了", "zh")])
def test_snag_described_in_text_offers_exchange_or_partial_refund(service, text, language):
    result = service.handle(turn("C1003", text))
    out = result.to_dict()
    assert (out["language"], out["intent"], out["order_id"]) == (language, "defect_complaint", "O1003")
    assert out["decision"]["rule"] == "defect_remedy"
    assert set(actions(result)) == {"offer_exchange", "offer_partial_refund"}  # a snag is minor unless shown big
    assert out["decision"]["inputs"]["group"] == "fabric_minor"
    assert out["defects"] == [{"label": "snag", "confidence": 0.9, "source": "text", "box": None,
                               "severity": "minor", "count": 1, "location": None}]
    assert ("exchange" in out["reply"].lower()) if language == "en" else ("换" in out["reply"])


def test_snag_shown_only_in_a_photo(service):
    result = service.handle(turn("C1003", "", photos=[photo(("snag", 0.8, BOX), ("person", 0.99, BOX))],
                                 product=ProductHit("KF-SW-002", "粗棒针高领毛衣 燕麦色", 0.91)))
    out = result.to_dict()
    assert out["intent"] == "defect_complaint" and out["order_id"] == "O1003"
    assert out["defects"] == [{"label": "snag", "confidence": 0.8, "source": "image", "box": list(BOX),
                               "severity": "minor", "count": 1, "location": "upper left"}]
    assert out["product"] == {"sku": "KF-SW-002", "title": "粗棒针高领毛衣 燕麦色", "score": 0.91}
    partial = actions(result)["offer_partial_refund"]
    assert set(actions(result)) == {"offer_exchange", "offer_partial_refund"}
    assert partial["amount_cents"] == 32900 * 20 // 100  # 20 % of the 329.00 paid and partial["params"]["percent"] == 20
    assert out["language"] == "zh"  # no text: the customer's preferred language


@pytest.mark.parametrize(("size", "detections", "severity"), [
    (400, [("snag", 0.8, BOX)], "moderate"),  # the same box fills 12.5 % of a smaller photo
    (1000, [("snag", 0.8, BOX), ("snag", 0.7, (500.0, 500.0, 520.0, 530.0))], "moderate"),  # two snags
    (200, [("snag", 0.8, (0.0, 0.0, 150.0, 150.0))], "severe"),
    (1000, [("hole", 0.8, (0.0, 0.0, 5.0, 5.0))], "moderate"),  # a hole is never minor
])
def test_bigger_or_more_defects_are_more_severe_and_get_a_return(service, size, detections, severity):
    result = service.handle(turn("C1003", "", photos=[photo(*detections, size=size)]))
    assert [(d.severity, d.count) for d in result.defects] == [(severity, len(detections))]
    assert set(actions(result)) == {"offer_exchange", "offer_return"}
    assert result.decision.inputs["group"] == "fabric"


def test_presale_order_not_shipped_explains_restock_date(service):
    result = service.handle(turn("C1004", "为什么还没发货"))
    out = result.to_dict()
    assert (out["order_id"], out["decision"]["rule"]) == ("O1004", "logistics.not_shipped")
    assert actions(result)["explain_presale"]["params"]["restock_date"] == "2026-12-05"
    assert "2026年12月5日" in out["reply"]


def test_cracked_mug_refund_or_reship(service):
    result = service.handle(turn("C1006", "杯子裂了"))
    found = actions(result)
    assert found["offer_refund"]["amount_cents"] == 4900 and "offer_reship" in found


def test_conversation_remembers_the_order(service, store):
    first = service.handle(turn("C1004", "我的订单O1004为什么还没发货", conversation="mem"))
    again = service.handle(turn("C1004", "什么时候发货？", conversation="mem"))
    assert first.order_id == again.order_id == "O1004"
    assert store.get_context("mem").order_id == "O1004"
    messages = store.messages("mem")
    assert [m.role for m in messages] == ["customer", "assistant"] * 2
    assert messages[0].text == "我的订单O1004为什么还没发货" and messages[1].text == first.reply
    assert messages[1].payload["decision"]["rule"] == "logistics.not_shipped"
    assert messages[0].payload["understood"]["slots"]["order_id"] == "O1004"


def test_unknown_explicit_order_id_is_not_found(service):
    with pytest.raises(NotFound):
        service.handle(turn("C1001", "where is it", order_id="NOPE"))


def test_another_customers_order_is_not_found(service):
    with pytest.raises(NotFound):
        service.handle(turn("C1001", "where is it", order_id="O1004"))


def test_an_unknown_order_id_in_the_text_asks_for_the_order(service):
    out = service.handle(turn("C1001", "订单O9999什么时候发货")).to_dict()
    assert out["order_id"] is None and out["decision"]["actions"][0]["type"] == "need_order_info"


def test_unknown_customer_is_registered_and_gets_help(service, store):
    before = store.counts()["customers"]
    hello = service.handle(turn("wx-new-42", "hello", channel="wechat"))
    assert hello.intent == "greeting_thanks" and hello.order_id is None
    assert store.counts()["customers"] == before + 1
    where = service.handle(turn("wx-new-42", "where is my order?", channel="wechat"))
    assert where.decision.rule == "logistics.need_order" and "order number" in where.reply


def test_channel_account_resolves_to_the_same_customer(service):
    # C1003's Douyin account id, as a Douyin chat backend would send it.
    out = service.handle(turn("dy_zhaomin", "毛衣勾丝了", channel="douyin")).to_dict()
    assert out["order_id"] == "O1003"


def test_product_photo_picks_the_order_containing_it(service, store):
    store.add_order("O2001", "C1005", [("KF-HM-002", 1, 3900)], status="delivered", created_at=NOW,
                    paid_at=NOW - timedelta(hours=5), shipped_at=NOW - timedelta(hours=4), delivered_at=NOW)
    jacket = ProductHit("KF-JK-001", "带拉链的牛仔外套 水洗蓝", 0.8)
    assert service.handle(turn("C1005", "where is this", product=jacket)).order_id == "O1005"
    # A new conversation without the photo is about the order the customer's last one settled on...
    follow_up = service.handle(turn("C1005", "where is this", conversation="t-2"))
    assert (follow_up.order_id, follow_up.remembered) == ("O1005", ("order",))
    # ...and with nothing remembered, about the newest order.
    store.update_context("t-2", ConversationContext())
    store.update_context("t-C1005", ConversationContext())
    assert service.handle(turn("C1005", "where is this", conversation="t-3")).order_id == "O2001"


def test_handoff_when_the_customer_asks(service):
    out = service.handle(turn("C1001", "我要转人工")).to_dict()
    assert out["handoff"]["required"] and out["handoff"]["reason"] == "customer_asked"
    with_photo = service.handle(turn("C1003", "毛衣勾丝了，转人工", photos=[photo(("snag", 0.9, BOX))]))
    assert with_photo.intent == "ask_human" and with_photo.handoff_reason == "customer_asked"
    assert [d.label for d in with_photo.defects] == ["snag", "snag"]


def test_handoff_when_the_policy_needs_a_human(service, store):
    store.add_order("O2002", "C1003", [("KF-SW-001", 1, 26900)], status="delivered", created_at=NOW - timedelta(40),
                    paid_at=NOW - timedelta(40), shipped_at=NOW - timedelta(39), delivered_at=NOW - timedelta(30))
    out = service.handle(turn("C1003", "订单O2002的毛衣勾丝了")).to_dict()
    assert out["decision"]["rule"] == "defect_remedy.outside_window"
    assert out["handoff"]["required"] and out["handoff"]["reason"] == "policy_manual"


def test_angry_without_a_remedy_goes_to_a_human_but_not_with_one(service):
    angry = service.handle(turn("C1002", "This is ridiculous, terrible service!!"))
    assert angry.emotion == "angry" and angry.handoff_reason == "angry_customer"
    assert angry.reply.lower().startswith("we're very sorry")
    remedied = service.handle(turn("C1001", "气死我了，开衫降价了，必须保价！！", conversation="t-x"))
    assert remedied.emotion == "angry" and not remedied.handoff_required
    assert remedied.reply.startswith("非常抱歉") and "30.00元" in remedied.reply


def test_language_hint_and_transcript_language(service):
    assert service.handle(turn("C1001", "我买的开衫降价了，能保价吗", language_hint="en")).language == "en"
    voice_only = service.handle(turn("C1005", "", transcript_language="id", conversation="v"))
    assert voice_only.language == "id" and "pesanan" in voice_only.reply.lower()


def test_result_is_json_safe(service):
    out = service.handle(TurnInput.from_dict({"conversation_id": "j", "customer_id": "C1003", "photos": [
        {"width": 640, "height": 480, "defects": [{"label": "snag", "confidence": 0.8, "box": list(BOX)}]}]}))
    assert json.loads(json.dumps(out.to_dict()))["defects"][0]["box"] == list(BOX)


def test_from_dict_matches_what_the_ingress_sends(service):
    result = service.handle(TurnInput.from_dict({
        "conversation_id": "t-ing", "customer_id": "C1003", "channel": "douyin", "text": "The sweater has a snag",
        "language_hint": None, "order_id": None, "transcript_language": "en",
        "product": {"sku": "KF-SW-002", "title": "粗棒针高领毛衣 燕麦色", "score": 0.77},
        "photos": [{"width": 64, "height": 48, "defects": [{"label": "snag", "confidence": 0.6, "box": (1, 2, 3, 4)}]}],
    }))
    assert result.order_id == "O1003" and [d.source for d in result.defects] == ["image", "text"]


@pytest.mark.parametrize(
    "data",
    [
        {"customer_id": "C1001", "text": "hi"},
        {"conversation_id": "t", "customer_id": "", "text": "hi"},
        {"conversation_id": "t", "customer_id": "C1001", "channel": "fax"},
        {"conversation_id": "t", "customer_id": "C1001", "photos": [{"width": 9, "height": 9,
                                                                      "defects": [("snag", "high")]}]},
        {"conversation_id": "t", "customer_id": "C1001", "photos": [{"width": 9, "height": 9,
                                                                      "defects": [("snag", 0.5, (1, 2))]}]},
        {"conversation_id": "t", "customer_id": "C1001", "photos": [{"width": 0, "height": 9, "defects": []}]},
        {"conversation_id": "t", "customer_id": "C1001", "photos": [{"defects": []}]},
        {"conversation_id": "t", "customer_id": "C1001", "product": {"title": "no sku"}},
        {"conversation_id": "t", "customer_id": "C1001", "text": 42},
        "not a mapping",
    ],
)
def test_bad_turns_are_invalid_input(data):
    with pytest.raises(InvalidInput):
        TurnInput.from_dict(data)  # type: ignore[arg-type]


def test_a_conversation_cannot_be_borrowed_by_another_customer(service):
    service.handle(turn("C1001", "hello", conversation="shared"))
    with pytest.raises(Conflict):
        service.handle(turn("C1002", "hello", conversation="shared"))


def test_clock_must_be_tz_aware(store):
    naive = DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"), KeywordUnderstanding(),
                            ReplyWriter(), clock=lambda: datetime(2026, 11, 20))
    with pytest.raises(InvalidInput):
        naive.handle(turn("C1001", "hello"))


def test_a_turn_inside_a_promotion_says_which(store):
    engine = PolicyEngine.from_dir(ROOT / "configs" / "policies")
    inside = DialogueService(store, engine, KeywordUnderstanding(), ReplyWriter(),
                             clock=lambda: datetime(2026, 11, 11, 2, 0, tzinfo=timezone.utc))
    out = inside.handle(turn("C1001", "你好")).to_dict()
    assert out["promotion"] == {"id": "double11", "name": "双11"}
    outside = DialogueService(store, engine, KeywordUnderstanding(), ReplyWriter(), clock=lambda: NOW)
    assert outside.handle(turn("C1001", "hello", conversation="t-en")).to_dict()["promotion"] is None
