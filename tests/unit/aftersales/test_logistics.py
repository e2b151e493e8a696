"""Logistics decisions: presale explanations, and late shipment or delivery compensated by the shop's promise."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from aftersales.policy.decisions import Case
from aftersales.policy.engine import PolicyEngine
from aftersales.replies.templates import ReplyWriter
from tests.unit.aftersales.test_policy import NOW, item, order

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine.from_dir(ROOT / "configs" / "policies")


def paid(days: float, **kw):
    return order(item(**kw), paid_days=days, delivered_days=None, status="paid")


def shipped(days: float, currency: str = "CNY"):
    return order(item(), paid_days=days + 1, delivered_days=None, status="shipped",
                 shipped_at=NOW - timedelta(days=days), currency=currency)


def test_paid_two_days_ago_is_on_time_three_is_late_with_a_coupon(engine):
    on_time = engine.decide(Case("logistics_status", paid(2), None, (), NOW))
    assert on_time.rule == "logistics.status" and on_time.inputs["days_since_payment"] == 2
    late = engine.decide(Case("logistics_status", paid(3), None, (), NOW))
    assert late.rule == "logistics.late_shipment"
    coupon = next(a for a in late.actions if a.type == "issue_coupon")
    assert (coupon.amount_cents, coupon.currency) == (500, "CNY") and not late.manual
    assert "5.00元" in ReplyWriter().render(late, "zh", "soothing")


def test_a_presale_item_is_explained_not_compensated(engine):
    decision = engine.decide(Case("logistics_status", paid(10, presale=True, stock=0), None, (), NOW))
    assert decision.rule == "logistics.not_shipped" and decision.actions[0].type == "explain_presale"


def test_late_delivery_and_a_currency_without_a_coupon_goes_to_a_person(engine):
    assert engine.decide(Case("logistics_status", shipped(7), None, (), NOW)).rule == "logistics.status"
    late = engine.decide(Case("logistics_status", shipped(8), None, (), NOW))
    assert late.rule == "logistics.late_delivery" and late.inputs["days_since_shipping"] == 8
    abroad = engine.decide(Case("logistics_status", shipped(8, currency="USD"), None, (), NOW))
    assert abroad.manual and abroad.actions[-1].type == "handoff_to_human"
    assert "8 days ago" in ReplyWriter().render(late, "en", "soothing")


def test_a_shipped_order_shows_the_carriers_latest_scan_in_shop_time(engine):
    from aftersales.store.views import LogisticsEventView

    events = (LogisticsEventView(NOW - timedelta(days=2), "picked_up", "已揽收", "杭州"),
              LogisticsEventView(NOW - timedelta(hours=3), "in_transit", "运输中", "上海转运中心"))
    parcel = order(item(), paid_days=3, delivered_days=None, status="shipped", shipped_at=NOW - timedelta(days=2),
                   logistics=events, carrier="SF", tracking_number="SF1234567890")
    decision = engine.decide(Case("logistics_status", parcel, None, (), NOW))
    status = decision.actions[0]
    assert status.params["variant"] == "shipped_tracked" and status.params["last_location"] == "上海转运中心"
    assert status.params["last_at"] == "2026-11-20 09:00"  # 01:00 UTC is 09:00 in Shanghai
    reply = ReplyWriter().render(decision, "zh", "friendly")
    assert "SF1234567890" in reply and "上海转运中心" in reply and "运输中" in reply
