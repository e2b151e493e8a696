"""Address changes and coupon questions decided by the shipped policy: exact prices, and why a coupon is left out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from aftersales.policy.stacking import Coupon
from aftersales.policy.decisions import Case
from aftersales.policy.engine import PolicyEngine
from aftersales.replies.templates import ReplyWriter
from tests.unit.aftersales.test_policy import NOW, item, order

ROOT = Path(__file__).resolve().parents[3]
SHOP20 = Coupon("SHOP20", "threshold", "shop", amount_cents=2000, threshold_cents=20000)
PLAT30 = Coupon("PLAT30", "threshold", "platform", amount_cents=3000, threshold_cents=29900)
SHOP10 = Coupon("SHOP10", "no_threshold", "shop", amount_cents=1000)


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine.from_dir(ROOT / "configs" / "policies")


def unpaid(**kw):
    return order(item(sku="KF-SW-002", paid=32900), paid_days=None, delivered_days=None, coupons=(), **kw)


def actions(decision) -> dict:
    return {a.type: a for a in decision.actions}


def test_seed_case_change_the_address_and_use_two_coupons(engine):
    """修改收货地址同时使用两张优惠券: both happen in one decision, the price exact to the cent."""
    case = Case("address_change", unpaid(), None, (), NOW, coupons=(SHOP20, PLAT30), asks_coupons=True,
                new_address="上海市浦东新区世纪大道 100 号")
    decision = engine.decide(case)
    got = actions(decision)
    assert decision.rule == "address_change" and not decision.manual
    assert got["change_address"].params["new_address"] == "上海市浦东新区世纪大道 100 号"
    assert got["apply_coupons"].params["coupon_ids"] == ["SHOP20", "PLAT30"]
    # 329.00 - 20.00 = 309.00 ≥ 299.00, so the platform coupon applies too: 279.00 to pay.
    assert (got["apply_coupons"].amount_cents, got["apply_coupons"].params["final_price"].cents) == (5000, 27900)
    reply = ReplyWriter().render(decision, "zh", "friendly")
    assert "世纪大道" in reply and "279.00元" in reply and "SHOP20" in reply


def test_a_paid_order_keeps_its_coupons_and_takes_no_new_ones(engine):
    paid = order(item(sku="KF-SW-002", paid=30900), paid_days=1, delivered_days=None, coupons=("SHOP20",))
    decision = engine.decide(Case("address_change", paid, None, (), NOW, coupons=(PLAT30,), asks_coupons=True))
    got = actions(decision)
    assert got["change_address"].params["kept"] == ["SHOP20"] and got["change_address"].params["variant"] == "ask"
    assert "explain_coupons_after_payment" in got and "apply_coupons" not in got


def test_an_order_already_shipped_cannot_change_address_and_goes_to_a_person(engine):
    shipped = order(item(), paid_days=3, delivered_days=None, status="shipped", shipped_at=NOW - timedelta(days=1))
    decision = engine.decide(Case("address_change", shipped, None, (), NOW, new_address="x"))
    assert decision.rule == "address_change.already_shipped" and decision.manual
    assert [a.type for a in decision.actions] == ["explain_address_locked", "handoff_to_human"]
    delivered = engine.decide(Case("address_change", order(item()), None, (), NOW))
    assert not delivered.manual and [a.type for a in delivered.actions] == ["explain_address_locked"]


def test_coupons_that_must_not_stack(engine):
    decision = engine.decide(Case("coupon_question", unpaid(), None, (), NOW, coupons=(SHOP20, SHOP10, PLAT30)))
    assert decision.rule == "coupon_stacking"
    assert [a["coupon_id"] for a in decision.inputs["applied"]] == ["SHOP20", "PLAT30"]
    assert decision.inputs["rejected"] == {"SHOP10": "same_group_as_chosen"}
    assert decision.inputs["final_price"].cents == 27900
    assert "SHOP10 (same_group_as_chosen)" in actions(decision)["explain_coupon_stack"].params["left_out"]


def test_only_the_named_coupons_are_considered_and_unknown_ones_said(engine):
    named = engine.decide(Case("coupon_question", unpaid(), None, (), NOW, coupons=(SHOP20, PLAT30),
                               mentioned_coupons=("PLAT30",)))
    assert [a["coupon_id"] for a in named.inputs["applied"]] == ["PLAT30"]
    unknown = engine.decide(Case("coupon_question", unpaid(), None, (), NOW, coupons=(SHOP20,),
                                 mentioned_coupons=("GHOST",)))
    assert unknown.rule == "coupon_stacking.no_coupons" and unknown.actions[0].params["not_held"] == "GHOST"


def test_an_expired_coupon_is_left_out_with_its_reason(engine):
    old = Coupon("OLD5", "no_threshold", "platform", amount_cents=500, valid_to=NOW - timedelta(days=1))
    decision = engine.decide(Case("coupon_question", unpaid(), None, (), NOW, coupons=(SHOP20, old)))
    assert decision.inputs["rejected"] == {"OLD5": "expired"}
    assert ReplyWriter().render(decision, "en", "friendly").count("OLD5 (expired)") == 1


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_coupon_sentence_of_an_unpaid_order_is_filled(engine, language, caplog):
    decision = engine.decide(Case("coupon_question", unpaid(), None, (), NOW, coupons=(SHOP20, PLAT30)))
    assert [a.type for a in decision.actions] == ["explain_coupon_stack", "apply_coupons"]
    reply = ReplyWriter().render(decision, language, "friendly")
    assert "cannot be filled" not in caplog.text
    assert reply.count("SHOP20, PLAT30") == 2  # what stacks, and what was applied
