"""Coupon questions: which of the customer's coupons stack on an order, the best legal set and the price to the cent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aftersales.coupons import CartLine, Coupon, StackingRules, StackResult, best_stack
from aftersales.decisions import Action, Case, Decision
from aftersales.money import Money
from aftersales.policy_config import ConfigReader, PolicySettings
from aftersales.rules.base import Rule
from aftersales.rules.common import require_order
from aftersales.views import OrderView


@dataclass(frozen=True)
class CouponStackingParams:
    """How coupons combine in this shop (see aftersales.coupons.StackingRules).

    Attributes:
        rules: Issuer order, one coupon per group, thresholds on the running price.
    """

    rules: StackingRules


def parse_coupon_stacking(r: ConfigReader) -> CouponStackingParams:
    order = r.str_list("issuer_order", ("shop", "platform"), allowed=("shop", "platform"))
    if not order or len(set(order)) != len(order):
        raise r.fail("issuer_order", "list each issuer once")
    return CouponStackingParams(StackingRules(tuple(order), r.boolean("one_per_group", True),
                                              r.boolean("threshold_after_previous", True)))


def lines_of(order: OrderView) -> list[CartLine]:
    """The order's lines at the prices the customer would pay before coupons: what was paid, or for an unpaid order
    the price it was placed at."""
    return [CartLine(i.sku, i.category, i.unit_price_cents, i.quantity) for i in order.items]


def candidates(case: Case) -> list[Coupon]:
    """The coupons in question: those the customer named (even ones they do not hold, to say so), else all held."""
    held = [c for c in case.coupons if isinstance(c, Coupon)]
    if not case.mentioned_coupons:
        return held
    return [c for c in held if c.id in case.mentioned_coupons]


def stack_facts(result: StackResult, currency: str) -> dict[str, Any]:
    return {"subtotal": Money(result.subtotal_cents, currency), "discount": Money(result.discount_cents, currency),
            "final_price": Money(result.final_cents, currency),
            "applied": [{"coupon_id": a.coupon_id, "discount": Money(a.discount_cents, currency)}
                        for a in result.applied],
            "rejected": dict(result.rejected)}


def coupon_stacking(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: CouponStackingParams = rule.params
    order = require_order(case)
    coupons = candidates(case)
    unknown = [c for c in case.mentioned_coupons if c not in {x.id for x in coupons}]
    inputs: dict[str, Any] = {"order_id": order.id, "status": order.status, "coupons": [c.id for c in coupons],
                              "not_held": unknown, "issuer_order": list(p.rules.issuer_order)}
    if not coupons:
        return Decision(f"{rule.id}.no_coupons", inputs, [Action("explain_no_coupons", params={"variant": (
            "not_held" if unknown else "none"), "not_held": ", ".join(unknown)})])
    result = best_stack(lines_of(order), coupons, case.now, currency=order.currency, rules=p.rules)
    facts = stack_facts(result, order.currency)
    inputs.update(facts)
    params = {"order_id": order.id, "coupons": ", ".join(a["coupon_id"] for a in facts["applied"]),
              "left_out": ", ".join(f"{cid} ({why})" for cid, why in result.rejected.items()),
              "final_price": facts["final_price"], "subtotal": facts["subtotal"],
              "variant": "all" if not result.rejected else "some" if result.applied else "none"}
    actions = [Action("explain_coupon_stack", result.discount_cents, order.currency, params)]
    if order.status == "pending_payment" and result.applied:
        actions.append(Action("apply_coupons", result.discount_cents, order.currency,
                              {"order_id": order.id, "coupon_ids": [a.coupon_id for a in result.applied],
                               "final_price": facts["final_price"]}))
    return Decision(rule.id, inputs, actions)


def cart_stacking(rule: Rule, lines: list[CartLine], coupons: list[Coupon], now, currency: str) -> Decision:
    """The same rule on a cart before checkout: the best legal set of `coupons` and the price to pay."""
    p: CouponStackingParams = rule.params
    result = best_stack(lines, coupons, now, currency=currency, rules=p.rules)
    inputs: dict[str, Any] = {"coupons": [c.id for c in coupons], "issuer_order": list(p.rules.issuer_order),
                              **stack_facts(result, currency)}
    return Decision(f"{rule.id}.cart", inputs, [Action("apply_coupons", result.discount_cents, currency, {
        "coupon_ids": [a.coupon_id for a in result.applied], "final_price": inputs["final_price"]})])


__all__ = ["CouponStackingParams", "cart_stacking", "coupon_stacking", "lines_of", "parse_coupon_stacking",
           "stack_facts"]
