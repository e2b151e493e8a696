"""Guarded rewriting: the facts of real replies in five languages, and a rewrite used only when it keeps them all."""

from __future__ import annotations

import logging

import pytest

from aftersales.policy.decisions import Action
from aftersales.replies.templates import ReplyWriter
from aftersales.replies.guard import GuardedRewriter, RewriteResult, facts_of, survives
from tests.unit.aftersales.test_replies import EXAMPLES, _decision

REFUND = next(a for a in EXAMPLES if a.type == "refund_price_difference")
PRESALE_REMINDER = next(a for a in EXAMPLES if a.type == "presale_reminder")
SHIPPED = next(a for a in EXAMPLES if a.type == "show_status" and a.params["variant"] == "shipped")


@pytest.fixture(scope="module")
def writer() -> ReplyWriter:
    return ReplyWriter()


# The facts of one reply holding a refund, a presale date and a shipped order, as each language writes them.
FACTS = {
    "zh": ["3", "299.00元", "269.00元", "1", "7", "30.00元", "2026年12月5日", "O1005", "2026年11月19日"],
    "en": ["3", "¥299.00", "¥269.00", "1", "7", "¥30.00", "5 December 2026", "O1005", "19 November 2026"],
    "id": ["3", "¥299,00", "¥269,00", "1", "7", "¥30,00", "5 Desember 2026", "O1005", "19 November 2026"],
    "th": ["3", "¥299.00", "¥269.00", "1", "7", "¥30.00", "5 ธันวาคม 2026", "O1005", "19 พฤศจิกายน 2026"],
    "vi": ["3", "¥299,00", "¥269,00", "1", "7", "¥30,00", "5 tháng 12 năm 2026", "O1005", "19 tháng 11 năm 2026"],
}


@pytest.mark.parametrize("language", list(FACTS))
def test_facts_of_rendered_replies(writer, language):
    text = writer.render(_decision(REFUND, PRESALE_REMINDER, SHIPPED), language, "friendly")
    assert facts_of(text) == FACTS[language]
    assert survives(facts_of(text), text) == []


def test_facts_of_every_kind():
    text = ("订单O1004（运单SF1234567890，商品KF-SW-001）退款30.00元，¥30.00、Rp25,000.00、₱1,250.00、RM45.90、฿590，"
            "请于16:00前查看 https://kefu.example.com/r/O1004?x=1。或 www.shop.cn/help，11月12日前有效。")
    assert facts_of(text) == ["O1004", "SF1234567890", "KF-SW-001", "30.00元", "¥30.00", "Rp25,000.00", "₱1,250.00",
                              "RM45.90", "฿590", "16:00", "https://kefu.example.com/r/O1004?x=1", "www.shop.cn/help",
                              "11月12日"]


def test_month_words_stay_with_their_day():
    assert facts_of("by 12 November 2026, or Nobyembre 12, 2026, or ngày 12 tháng 11 năm 2026") == [
        "12 November 2026", "Nobyembre 12, 2026", "12 tháng 11 năm 2026"]
    # "7-day" and "3-5" are numbers, not ids or negative amounts.
    assert facts_of("our 7-day window, 3-5 days") == ["7", "3", "5"]


def test_survives_allows_only_whitespace_inside_a_fact():
    facts = ["30.00元", "2026年11月12日", "Rp25,000.00"]
    assert survives(facts, "退 30.00 元，2026 年 11 月 12 日，Rp 25,000.00") == []
    assert survives(facts, "退30元，2026年11月12日，Rp25,000.00") == ["missing: 30.00元", "new: 30元"]
    assert survives(facts, "30.00元，2026年12月11日，Rp25.000,00") == [
        "missing: 2026年11月12日", "missing: Rp25,000.00", "new: 2026年12月11日", "new: Rp25.000,00"]


def test_numbers_of_kept_facts_are_not_new():
    assert survives(["12 November 2026", "¥30.00"], "¥30.00 back by 12 November 2026 (2026, 30.00)") == []
    assert survives(["¥30.00"], "¥30.00 back within 24 hours") == ["new: 24"]


class Fake:
    """A Rewriter that answers from a function, counting its calls."""

    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def rewrite(self, reply: str, language: str, tone: str) -> str:
        self.calls.append((reply, language, tone))
        return self.answer(reply)


@pytest.fixture(scope="module")
def en_reply(writer) -> str:
    return writer.render(_decision(REFUND, PRESALE_REMINDER), "en", "friendly")


def test_a_rewrite_that_keeps_every_fact_is_used(en_reply):
    rewrite = ("Good news! Within 3 days of paying, the price went from ¥299.00 to ¥269.00 (quantity 1), so our 7-day "
               "price protection covers you: ¥30.00 goes back to your original payment method. Next presale: "
               "5 December 2026 — we'll remind you.  ")
    fake = Fake(lambda reply: rewrite)
    result = GuardedRewriter(fake).apply(en_reply, "en", "friendly")
    assert result == RewriteResult(rewrite.strip(), True, ())
    assert fake.calls == [(en_reply, "en", "friendly")]


def test_a_rewrite_that_drops_an_amount_is_refused(en_reply, caplog):
    fake = Fake(lambda reply: reply.replace(" of ¥30.00", ""))
    with caplog.at_level(logging.INFO, logger="kefu.aftersales"):
        result = GuardedRewriter(fake).apply(en_reply, "en", "friendly")
    assert result == RewriteResult(en_reply, False, ("missing: ¥30.00",))
    assert "missing: ¥30.00" in caplog.text


def test_a_rewrite_that_moves_a_date_is_refused(writer):
    reply = writer.render(_decision(SHIPPED), "zh", "friendly")
    assert "2026年11月19日" in reply
    for moved in ("2026年11月20日", "2026年12月19日"):
        result = GuardedRewriter(Fake(lambda r: r.replace("2026年11月19日", moved))).apply(reply, "zh", "friendly")
        assert result == RewriteResult(reply, False, ("missing: 2026年11月19日", f"new: {moved}"))
    en = writer.render(_decision(SHIPPED), "en", "friendly")
    result = GuardedRewriter(Fake(lambda r: r.replace("19 November", "19 December"))).apply(en, "en", "friendly")
    assert result == RewriteResult(en, False, ("missing: 19 November 2026", "new: 19 December 2026"))


def test_a_rewrite_that_invents_an_amount_is_refused(en_reply):
    fake = Fake(lambda reply: reply + " We'll also add a ¥50.00 coupon!")
    assert GuardedRewriter(fake).apply(en_reply, "en", "friendly") == RewriteResult(en_reply, False, ("new: ¥50.00",))
    link = Fake(lambda reply: reply + " Track it at https://evil.example/x")
    assert GuardedRewriter(link).apply(en_reply, "en", "friendly").problems == ("new: https://evil.example/x",)


def test_a_rewriter_that_raises_leaves_the_template(en_reply, caplog):
    def boom(reply):
        raise RuntimeError("CUDA out of memory")

    with caplog.at_level(logging.WARNING, logger="kefu.aftersales"):
        result = GuardedRewriter(Fake(boom)).apply(en_reply, "en", "friendly")
    assert result == RewriteResult(en_reply, False, ("rewriter failed: RuntimeError('CUDA out of memory')",))
    assert "CUDA out of memory" in caplog.text


def test_an_empty_or_rambling_rewrite_leaves_the_template(en_reply):
    assert GuardedRewriter(Fake(lambda r: "  \n")).apply(en_reply, "en", "friendly") == RewriteResult(
        en_reply, False, ("empty rewrite",))
    rambling = GuardedRewriter(Fake(lambda r: r * 4)).apply(en_reply, "en", "friendly")
    limit = 3 * len(en_reply) + 200
    assert rambling == RewriteResult(en_reply, False, (f"too long: {len(en_reply * 4)} characters, at most {limit}",))


def test_a_reply_without_facts_may_be_rewritten(writer):
    reply = writer.render(_decision(Action("general_help", params={"variant": "greeting_thanks"})), "en", "friendly")
    assert facts_of(reply) == []
    result = GuardedRewriter(Fake(lambda r: "Hello there! How can I help you today?")).apply(reply, "en", "friendly")
    assert result == RewriteResult("Hello there! How can I help you today?", True, ())
