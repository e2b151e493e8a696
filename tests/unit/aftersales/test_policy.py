"""The policy engine on hand-built orders: cent-exact money, windows in shop calendar days, explainable decisions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from aftersales.policy.decisions import Case, DefectFinding
from aftersales.policy.engine import PolicyEngine
from aftersales.store.views import OrderItemView, OrderView

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine.from_dir(ROOT / "configs" / "policies")


def item(sku: str = "S1", paid: int = 9999, now: int = 8990, quantity: int = 1, category: str = "apparel",
         **kw) -> OrderItemView:
    base = dict(sku=sku, title=f"title {sku}", category=category, quantity=quantity, unit_price_cents=paid,
                current_price_cents=now, current_price_currency="CNY", current_price_since=None, presale=False,
                restock_date=None, stock=10)
    return OrderItemView(**{**base, **kw})


def order(*items: OrderItemView, paid_days: float | None = 3, delivered_days: float | None = 1,
          status: str | None = None, **kw) -> OrderView:
    paid = NOW - timedelta(days=paid_days) if paid_days is not None else None
    delivered = NOW - timedelta(days=delivered_days) if delivered_days is not None else None
    if status is None:
        status = "delivered" if delivered else ("paid" if paid else "pending_payment")
    base = dict(id="O9", customer_id="C9", status=status, currency="CNY", created_at=paid or NOW, paid_at=paid,
                shipped_at=delivered, delivered_at=delivered, destination_country="CN", shipping_address="x",
                coupons=(), items=items or (item(),))
    return OrderView(**{**base, **kw})


def case(intent: str, o: OrderView | None, sku: str | None = None, defects=(), now: datetime = NOW) -> Case:
    return Case(intent, o, sku, tuple(defects), now)


def test_refund_is_cent_exact_times_quantity(engine):
    d = engine.decide(case("price_protection", order(item(paid=9999, now=8990, quantity=2))))
    assert d.rule == "price_protection" and not d.manual
    (refund,) = d.actions
    assert (refund.type, refund.amount_cents, refund.currency) == ("refund_price_difference", 2018, "CNY")
    assert refund.to_dict()["amount"] == 20.18 and refund.to_dict()["amount_cents"] == 2018
    assert d.inputs["days_since_payment"] == 3 and d.inputs["window_days"] == 7
    (facts,) = d.inputs["items"]
    assert facts["paid_unit_price"].cents == 9999 and facts["current_price"].cents == 8990


def test_refund_only_for_items_that_dropped(engine):
    o = order(item("A", paid=29900, now=26900), item("B", paid=7900, now=7900, quantity=2))
    d = engine.decide(case("price_protection", o))
    assert [(a.params["sku"], a.amount_cents) for a in d.actions] == [("A", 3000)]
    only_b = engine.decide(case("price_protection", o, sku="B"))
    assert only_b.rule == "price_protection.no_drop" and all(a.amount_cents is None for a in only_b.actions)


def test_window_counts_calendar_days_in_the_shop_zone(engine):
    # Paid 12 Nov 16:30 UTC = 13 Nov 00:30 in Shanghai: on 20 Nov that is day 8 by UTC dates but day 7 for the shop.
    paid = datetime(2026, 11, 12, 16, 30, tzinfo=timezone.utc)
    o = order(item(), paid_at=paid, created_at=paid)
    inside = engine.decide(case("price_protection", o))
    outside = engine.decide(case("price_protection", o, now=NOW + timedelta(days=1)))
    assert (inside.rule, inside.inputs["days_since_payment"]) == ("price_protection", 7)
    assert (outside.rule, outside.inputs["days_since_payment"]) == ("price_protection.outside_window", 8)


def test_outside_window_gives_coupon_and_reminder(engine):
    o = order(item("DR", paid=39900, now=35900), paid_days=8, delivered_days=5)  # 12 Nov: after 双11
    d = engine.decide(case("price_protection", o))
    assert d.rule == "price_protection.outside_window" and not d.manual
    coupon, reminder = d.actions
    assert (coupon.type, coupon.amount_cents, coupon.params["kind"]) == ("issue_coupon", 1000, "no_threshold")
    assert coupon.params["valid_days"] == 30
    assert (reminder.type, reminder.params["sku"]) == ("restock_reminder", "DR")
    presale = order(item("SW", paid=26900, now=23900, presale=True, stock=0, restock_date=date(2026, 12, 5)),
                    paid_days=20)
    (_, reminder) = engine.decide(case("price_protection", presale)).actions
    assert reminder.type == "presale_reminder" and reminder.params["restock_date"] == date(2026, 12, 5)


@pytest.mark.parametrize(("paid_days", "refunded"), [(12, True), (15, True), (16, False)])
def test_an_order_paid_during_double11_is_protected_for_15_days(engine, paid_days, refunded):
    # NOW is 20 Nov; paid 12-16 days before falls inside 双11 (20 Oct 20:00 - 11 Nov 23:59 Shanghai).
    d = engine.decide(case("price_protection", order(item(paid=39900, now=35900), paid_days=paid_days)))
    assert d.inputs["paid_during_promotion"] == "double11" and d.inputs["window_days"] == 15
    assert (d.rule == "price_protection") is refunded


def test_outside_window_in_unconfigured_currency_goes_to_a_human(engine):
    foreign = order(item(paid=500000, now=400000, current_price_currency="IDR"), paid_days=8, currency="IDR")
    d = engine.decide(case("price_protection", foreign))
    assert d.manual and all(a.type != "issue_coupon" for a in d.actions)


def test_prices_in_different_currencies_are_not_compared(engine):
    mixed = order(item(paid=500000, now=30000, current_price_currency="CNY"), currency="IDR")
    d = engine.decide(case("price_protection", mixed))
    assert d.manual and d.rule == "price_protection.currency_mismatch"
    assert all(a.amount_cents is None for a in d.actions)


def test_no_drop_explains_without_money(engine):
    d = engine.decide(case("price_protection", order(item(paid=8000, now=8500))))
    assert d.rule == "price_protection.no_drop"
    assert [a.type for a in d.actions] == ["explain_no_price_drop"] and d.actions[0].amount_cents is None


def test_unpaid_order_shows_status(engine):
    d = engine.decide(case("price_protection", order(paid_days=None, delivered_days=None)))
    assert d.rule == "price_protection.not_paid" and d.actions[0].params["status"] == "pending_payment"


def _snag(conf: float = 0.8, source: str = "image") -> DefectFinding:
    return DefectFinding("snag", conf, source, (1.0, 2.0, 3.0, 4.0) if source == "image" else None)


def test_fabric_defect_on_apparel_offers_exchange_and_free_return(engine):
    d = engine.decide(case("defect_complaint", order(item(paid=32900, now=32900), delivered_days=2),
                           defects=[_snag()]))
    assert d.rule == "defect_remedy" and not d.manual
    assert [a.type for a in d.actions] == ["offer_exchange", "offer_return"]
    assert d.actions[1].params["return_shipping"] == "free"
    assert (d.inputs["defect"], d.inputs["group"], d.inputs["days_since_delivery"]) == ("snag", "fabric", 2)


def test_exchange_request_with_a_defect_goes_to_the_defect_rule(engine):
    d = engine.decide(case("exchange", order(), defects=[_snag(source="text", conf=0.9)]))
    assert d.rule == "defect_remedy"
    plain = engine.decide(case("exchange", order()))
    assert plain.rule == "return.no_reason" and plain.actions[0].type == "offer_exchange"


def test_hard_goods_crack_refunds_the_paid_price_or_reships(engine):
    mug = item("MUG", paid=4900, now=4900, quantity=2, category="home")
    d = engine.decide(case("defect_complaint", order(mug), defects=[DefectFinding("crack", 0.9, "text")]))
    refund, reship = d.actions
    assert (refund.type, refund.amount_cents) == ("offer_refund", 9800)
    assert reship.type == "offer_reship" and reship.params["quantity"] == 2


@pytest.mark.parametrize(("unit", "quantity", "manual"), [(25000, 2, False), (25001, 2, True)])
def test_a_refund_above_the_per_order_cap_goes_to_a_person(engine, unit, quantity, manual):
    lamp = item("LAMP", paid=unit, now=unit, quantity=quantity, category="home")
    d = engine.decide(case("defect_complaint", order(lamp), defects=[DefectFinding("broken", 0.9, "text")]))
    assert d.manual is manual  # the cap is 500.00 CNY: exactly 500.00 is still offered
    if manual:
        assert d.rule == "defect_remedy.above_cap" and [a.type for a in d.actions] == ["handoff_to_human"]
        assert d.inputs["largest_offer"].cents == 50002 and d.inputs["max_compensation"].cents == 50000
    else:
        assert d.actions[0].amount_cents == 50000


def test_defect_outside_window_is_manual(engine):
    d = engine.decide(case("defect_complaint", order(delivered_days=16, paid_days=20), defects=[_snag()]))
    assert d.manual and d.rule == "defect_remedy.outside_window" and d.inputs["days_since_delivery"] == 16


def test_weak_detection_asks_for_a_photo(engine):
    d = engine.decide(case("defect_complaint", order(), defects=[_snag(conf=0.2)]))
    assert d.rule == "defect_remedy.need_photo" and [a.type for a in d.actions] == ["ask_for_photo"]


def test_defect_not_covered_by_any_group_is_manual(engine):
    d = engine.decide(case("defect_complaint", order(item(category="home")), defects=[_snag()]))
    assert d.manual and d.rule == "defect_remedy.not_covered"


def test_defect_on_multi_item_order_asks_which_item(engine):
    o = order(item("A"), item("B"))
    d = engine.decide(case("defect_complaint", o, defects=[_snag()]))
    assert d.rule == "defect_remedy.which_item"
    assert engine.decide(case("defect_complaint", o, sku="B", defects=[_snag()])).inputs["sku"] == "B"


def test_presale_order_not_shipped_explains_restock(engine):
    o = order(item(presale=True, stock=0, restock_date=date(2026, 12, 5)), delivered_days=None, paid_days=2)
    d = engine.decide(case("logistics_status", o))
    assert d.rule == "logistics.not_shipped"
    (explain,) = d.actions
    assert explain.type == "explain_presale" and explain.params["restock_date"] == date(2026, 12, 5)
    assert json.loads(json.dumps(d.to_dict()))["actions"][0]["params"]["restock_date"] == "2026-12-05"


def test_shipped_order_shows_status(engine):
    o = order(delivered_days=None, status="shipped", shipped_at=NOW - timedelta(days=1))
    d = engine.decide(case("logistics_status", o))
    assert d.rule == "logistics.status"
    assert d.actions[0].params["status"] == "shipped"
    assert d.actions[0].params["shipped_on"] == date(2026, 11, 19)


def test_no_reason_return_within_window(engine):
    d = engine.decide(case("return_refund", order(delivered_days=7, paid_days=9)))
    assert d.rule == "return.no_reason"
    (offer,) = d.actions
    assert offer.type == "offer_return" and offer.params["return_shipping"] == "customer"
    assert offer.params["deadline"] == date(2026, 11, 20)
    late = engine.decide(case("return_refund", order(delivered_days=8, paid_days=9)))
    assert late.rule == "return.no_reason.outside_window" and late.actions[0].type == "explain_return_window"


def test_no_reason_return_excludes_categories(engine):
    d = engine.decide(case("return_refund", order(item(category="beauty"))))
    assert d.rule == "return.no_reason.excluded" and d.actions[0].type == "explain_return_excluded"


def test_undelivered_return_shows_status(engine):
    d = engine.decide(case("return_refund", order(delivered_days=None)))
    assert d.rule == "return.no_reason.not_delivered"


def test_fallbacks(engine):
    need = engine.decide(case("price_protection", None))
    assert need.rule == "price_protection.need_order" and need.actions[0].type == "need_order_info"
    general = engine.decide(case("other", None))
    assert general.rule == "general_help" and general.actions[0].type == "general_help"
    human = engine.decide(case("ask_human", None))
    assert human.manual and human.actions[0].type == "handoff_to_human"


def test_decisions_are_json_safe_and_pure(engine):
    c = case("defect_complaint", order(), defects=[_snag()])
    first, second = engine.decide(c), engine.decide(replace(c))
    assert first == second
    out = json.loads(json.dumps(first.to_dict()))
    assert out["inputs"]["defects"][0]["box"] == [1.0, 2.0, 3.0, 4.0]
    assert set(out) == {"rule", "inputs", "actions", "manual"}
    assert {"type", "amount", "amount_cents", "currency", "params"} <= set(out["actions"][0])


def test_case_requires_aware_now():
    with pytest.raises(ValueError):
        Case("other", None, None, (), datetime(2026, 1, 1))


def test_an_address_changed_and_coupons_that_stack_settle_the_question_but_asking_for_an_address_does_not():
    from aftersales.policy.decisions import Action, Decision

    def concrete(action: Action) -> bool:
        return Decision("r", {}, [action]).concrete

    assert concrete(Action("change_address", params={"variant": "given", "new_address": "上海市徐汇区 88 号"}))
    assert not concrete(Action("change_address", params={"variant": "ask", "new_address": ""}))
    assert concrete(Action("explain_coupon_stack", 3000, "CNY", {"variant": "some"}))
    assert not concrete(Action("explain_coupon_stack", 0, "CNY", {"variant": "none"}))
    assert concrete(Action("apply_coupons", 3000, "CNY"))
