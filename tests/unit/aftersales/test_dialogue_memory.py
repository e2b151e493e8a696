"""Turns that depend on earlier ones: memory across turns and channels, hand-over rules and the queue, the
automation rate, recommendations and the urgent tone of sales periods."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from aftersales.dialogue import DialogueService
from aftersales.handoff import HandoffRules
from aftersales.policy.engine import PolicyEngine
from aftersales.replies.templates import ReplyWriter
from aftersales.understanding.keywords import KeywordUnderstanding
from tests.unit.aftersales.test_dialogue import BOX, NOW, ROOT, photo, service, store, turn  # noqa: F401 (fixtures)


def test_an_angry_customer_across_two_channels_is_handed_over_on_the_second_angry_turn(service, store):
    store.ensure_customer("C1001", "wechat", external_id="wx-c1001")
    first = service.handle(turn("C1001", "气死我了，开衫降价了，必须保价！！", channel="douyin", conversation="dy"))
    # Angry, but the answer is concrete (a refund of the difference): the bot may settle it alone.
    assert (first.emotion, first.decision.concrete, first.handoff_required) == ("angry", True, False)
    second = service.handle(turn("wx-c1001", "还没到账？太差了，投诉你们！！", channel="wechat", conversation="wx"))
    assert (second.emotion, second.handoff_required, second.handoff_reason) == ("angry", True, "angry_repeated")
    assert second.order_id == "O1001" and second.remembered == ("order",)  # the order came over from Douyin
    [queued] = store.handoffs()
    assert (queued.id, queued.conversation_id, queued.reason, queued.channel) == (
        second.handoff_id, "wx", "angry_repeated", "wechat")
    assert queued.last_message == "还没到账？太差了，投诉你们！！"
    # While an agent has it, later turns stay handed over, without a second queue entry.
    third = service.handle(turn("wx-c1001", "好的，我等", channel="wechat", conversation="wx"))
    assert (third.handoff_required, third.handoff_reason, third.handoff_id) == (True, "angry_repeated", queued.id)
    assert len(store.handoffs()) == 1
    assert store.automation().to_dict() == {"turns": 3, "automated": 1, "rate": 0.3333}


def test_anger_long_ago_does_not_count(store):
    clock = [NOW]
    service = DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"), KeywordUnderstanding(),
                              ReplyWriter(), clock=lambda: clock[0])
    service.handle(turn("C1001", "气死我了，开衫降价了，必须保价！！", conversation="a"))
    clock[0] = NOW + timedelta(days=2)
    later = service.handle(turn("C1001", "气死我了，又降价了，必须保价！！", conversation="b"))
    assert (later.emotion, later.handoff_required) == ("angry", False)


def test_low_understanding_confidence_hands_over_unless_a_defect_was_shown(store):
    service = DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"), KeywordUnderstanding(),
                              ReplyWriter(), clock=lambda: NOW, handoff=HandoffRules(min_confidence=0.6))
    unclear = service.handle(turn("C1001", "嗯嗯那个就是上次那个", conversation="u"))
    assert (unclear.intent_confidence < 0.6, unclear.handoff_reason) == (True, "low_confidence")
    hello = service.handle(turn("C1002", "你好", conversation="h"))
    assert not hello.handoff_required
    shown = service.handle(turn("C1002", "嗯嗯那个就是上次那个", conversation="p",
                                photos=(photo(("snag", 0.9, BOX)),)))
    assert (shown.intent, shown.handoff_required) == ("defect_complaint", False)


def test_a_defect_shown_earlier_is_remembered_for_the_refund_asked_later(service):
    shown = service.handle(turn("C1001", "", conversation="d", photos=(photo(("snag", 0.9, BOX)),)))
    assert [d.label for d in shown.defects] == ["snag"]
    later = service.handle(turn("C1001", "那我要退货退款", conversation="d"))
    assert [d.label for d in later.defects] == ["snag"] and "defects" in later.remembered
    assert later.decision.rule.startswith("defect") and later.decision.concrete
    # Small talk after it is not turned into a complaint by the memory.
    thanks = service.handle(turn("C1001", "谢谢", conversation="d"))
    assert (thanks.intent, thanks.defects) == ("greeting_thanks", ())


def test_a_size_question_recommends_products_in_the_styles_bought_before(service, store):
    result = service.handle(turn("C1001", "What size should I take for a 165cm height?", conversation="s"))
    bought = {i.sku for o in store.orders_for("C1001") for i in o.items}
    tastes = {t for sku in bought for t in store.get_product(sku).style_tags}
    assert result.intent == "size_fit" and 1 <= len(result.recommendations) <= 3
    for product in result.recommendations:
        assert product.sku not in bought and set(product.style_tags) & tastes and product.stock > 0
    assert result.recommendations[0].title in result.reply
    assert result.to_dict()["recommendations"][0]["sku"] == result.recommendations[0].sku
    # A logistics question gets none.
    assert service.handle(turn("C1001", "where is my order?", conversation="s")).recommendations == ()


def test_inside_a_sales_period_the_friendly_tone_becomes_urgent(store):
    double12 = datetime(2026, 12, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, before the 16:00 cut-off
    service = DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"), KeywordUnderstanding(),
                              ReplyWriter(), clock=lambda: double12)
    store.add_order("O3001", "C1001", [("KF-SW-002", 1, 32900)], status="paid", created_at=double12,
                    paid_at=double12)
    result = service.handle(turn("C1001", "订单O3001什么时候发货", conversation="p"))
    assert result.promotion is not None and result.promotion.id == "double12"
    assert "16:00前付款的订单当天发出" in result.reply
    assert "仅剩18件" in result.reply  # KF-SW-002 has 18 in stock in the demo catalog
    angry = service.handle(turn("C1001", "订单O3001怎么还不发货，气死了！！", conversation="q"))
    assert "16:00" not in angry.reply and angry.reply.startswith("非常抱歉")
    after = DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"), KeywordUnderstanding(),
                            ReplyWriter(), clock=lambda: double12 + timedelta(hours=9))  # 19:00: past the cut-off
    assert "16:00" not in after.handle(turn("C1001", "订单O3001什么时候发货", conversation="r")).reply


class _Warmer:
    """A rewriter that keeps every fact (it only adds a greeting) or, asked to, drops the amount."""

    def __init__(self, drop: str | None = None):
        self.drop = drop

    def rewrite(self, reply: str, language: str, tone: str) -> str:
        return "亲爱的顾客，" + (reply.replace(self.drop, "") if self.drop else reply)


def test_the_rewriter_is_used_only_when_every_fact_survives(store):
    from aftersales.replies.guard import GuardedRewriter

    def service(rewriter):
        return DialogueService(store, PolicyEngine.from_dir(ROOT / "configs" / "policies"), KeywordUnderstanding(),
                               ReplyWriter(), clock=lambda: NOW, rewriter=GuardedRewriter(rewriter))

    kept = service(_Warmer()).handle(turn("C1001", "我买的开衫降价了，能保价吗", conversation="r1"))
    assert kept.reply.startswith("亲爱的顾客，") and "30.00元" in kept.reply
    dropped = service(_Warmer(drop="30.00元")).handle(turn("C1001", "我买的开衫降价了，能保价吗", conversation="r2"))
    assert not dropped.reply.startswith("亲爱的顾客，") and "30.00元" in dropped.reply


def test_a_defect_of_one_order_is_not_remembered_for_another(service, store):
    store.add_order("O2001", "C1001", [("KF-HM-002", 1, 3900)], status="delivered", created_at=NOW,
                    paid_at=NOW - timedelta(hours=5), shipped_at=NOW - timedelta(hours=4), delivered_at=NOW)
    service.handle(turn("C1001", "订单O1001的毛衣勾丝了", conversation="x1"))
    other = service.handle(turn("C1001", "订单O2001不想要了，我要退货", conversation="x2"))
    assert other.order_id == "O2001" and other.defects == () and "defects" not in other.remembered
