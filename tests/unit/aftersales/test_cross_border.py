"""Cross-border duty answers: the destination country's rule in force that day, over/under with a dated rate."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml

from aftersales.policy.decisions import Case
from aftersales.errors import PolicyConfigError
from aftersales.policy.engine import PolicyEngine
from aftersales.replies.templates import ReplyWriter
from aftersales.policy.rules.cross_border import CROSS_BORDER_COUNTRIES
from tests.unit.aftersales.test_policy import item, order

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = yaml.safe_load((ROOT / "configs" / "policies" / "cross_border.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine.from_dir(ROOT / "configs" / "policies")


def ask(engine, country: str, *items, currency: str = "CNY", on: datetime | None = None):
    o = order(*(items or (item(paid=10000),)), destination_country=country, currency=currency)
    return engine.decide(Case("duty_tax", o, None, (), on or datetime(2026, 11, 20, 4, tzinfo=timezone.utc)))


def test_every_sea_market_has_a_sourced_rule(engine):
    params = engine.rules[0].params
    assert engine.rules[0].id == "cross_border_duty"
    for country in CROSS_BORDER_COUNTRIES:
        rule = params.rule_on(country, date(2026, 11, 20))
        assert rule is not None and rule.source and rule.note["en"] and rule.note["zh"], country


def test_indonesia_answers_usd_3_and_the_order_is_over_it(engine):
    decision = ask(engine, "ID")
    action = decision.actions[0]
    assert decision.rule == "cross_border_duty" and action.type == "explain_duty_limit"
    assert (action.amount_cents, action.currency, action.params["variant"]) == (300, "USD", "over")
    # 100.00 CNY at 0.1405 = 14.05 USD, exactly, with the rate and its date in the decision.
    assert decision.inputs["order_value_converted"].cents == 1405
    assert decision.inputs["exchange_rate_as_of"] == date(2026, 11, 1) and decision.inputs["over_limit"] is True
    assert "PMK" in decision.inputs["source"]


def test_the_rule_in_force_on_the_day_decides(engine):
    before = ask(engine, "VN", on=datetime(2025, 2, 17, 12, tzinfo=timezone.utc))
    on_the_day = ask(engine, "VN", on=datetime(2025, 2, 17, 17, tzinfo=timezone.utc))  # 18 Feb 01:00 Shanghai
    assert before.inputs["rule_effective_from"] == date(2010, 12, 1) and before.actions[0].params["variant"] == "under"
    assert on_the_day.inputs["rule_effective_from"] == date(2025, 2, 18)
    assert on_the_day.actions[0].params["variant"] == "none" and on_the_day.actions[0].amount_cents == 0


def test_an_order_in_the_limit_currency_needs_no_rate(engine):
    under = ask(engine, "TH", item(paid=150000), currency="THB")  # exactly THB 1,500: not over
    over = ask(engine, "TH", item(paid=150001), currency="THB")
    assert under.actions[0].params["variant"] == "under" and over.actions[0].params["variant"] == "over"
    assert "exchange_rate" not in under.inputs


def test_without_a_rate_the_limit_is_given_but_not_judged(engine):
    decision = ask(engine, "SG", item(paid=10000), currency="EUR")
    assert decision.inputs["over_limit"] is None and decision.actions[0].params["variant"] == "limit"


def test_a_country_without_a_rule_is_said_so(engine):
    decision = ask(engine, "JP")
    assert decision.rule == "cross_border_duty.no_rule" and decision.actions[0].type == "explain_no_duty_rule"


@pytest.mark.parametrize(("language", "expected"), [("en", ["Indonesia", "$3.00", "$14.05", "over", "PMK"]),
                                                    ("zh", ["印度尼西亚", "$3.00", "超过了免税额度", "每票货物离岸价"])])
def test_the_reply_states_the_limit_the_value_and_the_source(engine, language, expected):
    reply = ReplyWriter().render(ask(engine, "ID"), language, "friendly")
    assert all(text in reply for text in expected), reply


def _broken(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(yaml.safe_dump(SHIPPED, allow_unicode=True))
    edit(data["rules"][0])
    (tmp_path / "cross_border.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("edit", "key"), [
    (lambda r: r["countries"].update({"id": r["countries"]["ID"]}), "countries.id"),
    (lambda r: r["countries"]["ID"][0]["note"].pop("en"), "countries.ID[0].note"),
    (lambda r: r["countries"]["ID"][1].update({"effective_from": r["countries"]["ID"][0]["effective_from"]}),
     "countries.ID"),
    (lambda r: r["countries"]["ID"][0]["duty_free_limit"].update({"amount": "3.001"}),
     "countries.ID[0].duty_free_limit.amount"),
    (lambda r: r["countries"]["ID"][0].update({"effective_from": "soon"}), "countries.ID[0].effective_from"),
    (lambda r: r["exchange_rates"][0].update({"rate": "-1"}), "exchange_rates[0].rate"),
    (lambda r: r["exchange_rates"][0].update({"to": "DOLLARS"}), "exchange_rates[0].to"),
])
def test_bad_country_rules_are_refused_with_the_key(tmp_path, edit, key):
    with pytest.raises(PolicyConfigError) as caught:
        PolicyEngine.from_dir(_broken(tmp_path, edit))
    assert caught.value.key == f"rules[0].{key}"
