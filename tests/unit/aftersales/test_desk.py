"""AgentDesk: the agents' reads are audited, the reports use the measured automation rate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from aftersales.desk.agents import AgentDesk
from aftersales.errors import InvalidInput, NotFound
from aftersales.store.chat import TurnOutcome
from tests.unit.aftersales.test_dialogue import NOW, service, store, turn  # noqa: F401 (fixtures)


@pytest.fixture()
def desk(store) -> AgentDesk:
    return AgentDesk(store, lambda: NOW)


def test_timeline_and_order_reads_are_audited(desk, service, store):
    store.ensure_customer("C1001", "wechat", external_id="wx-9")
    service.handle(turn("C1001", "我的包裹到哪了", conversation="a", channel="tmall"))
    service.handle(turn("wx-9", "还是没到", conversation="b", channel="wechat"))
    timeline = desk.timeline("C1001", 50, "lin", "agent")
    assert [(e["channel"], e["role"]) for e in timeline["entries"]] == [
        ("tmall", "customer"), ("tmall", "assistant"), ("wechat", "customer"), ("wechat", "assistant")]
    assert timeline["orders"][0]["id"] == "O1001" and {"channel": "wechat", "external_id": "wx-9"} in timeline[
        "identities"]
    assert desk.order("O1001", "lin", "agent")["id"] == "O1001"
    with pytest.raises(NotFound):
        desk.order("O404", "lin", "agent")
    assert [(a["actor"], a["action"], a["resource"]) for a in desk.audit_log(10)] == [
        ("lin", "order.read", "order:O1001"), ("lin", "timeline.read", "customer:C1001")]


def test_roi_uses_the_measured_rate_unless_one_is_given(desk, store):
    store.open_conversation("t", "C1001", "web", NOW)
    for minutes, reason in ((1, None), (2, None), (3, None), (4, "customer_asked")):
        store.record_turn(TurnOutcome("t", "C1001", "web", "zh", "other", "neutral", "general_help", reason,
                                      NOW - timedelta(minutes=minutes)))
    figures = {"daily_inquiries": Decimal(10000), "cost_per_inquiry": Decimal(5), "system_cost": Decimal(1000)}
    measured = desk.roi(dict(figures), 30)
    assert measured["automation"]["rate_used"] == 0.75 and measured["automation"]["source"] == "measured"
    assert (measured["labour_saved"], measured["benefit"]) == ("37500.00", "36500.00")
    given = desk.roi({**figures, "automation_rate": Decimal("0.7")}, 30)
    assert given["labour_saved"] == "35000.00" and given["automation"]["source"] == "given"
    with pytest.raises(InvalidInput, match="no turns"):
        AgentDesk(store, lambda: NOW + timedelta(days=400)).roi(dict(figures), 30)
    with pytest.raises(InvalidInput):
        desk.automation(0)
