"""Coupon questions: which of the customer's coupons stack on an order, the best legal set and the price to the cent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aftersales.policy.stacking import CartLine, Coupon, StackingRules, StackResult, best_stack
from aftersales.policy.decisions import Action, Case, Decision
from aftersales.money import Money
from pydantic import field_validator

from aftersales.policy.config import Choices, PolicySettings
from aftersales.policy.rules.base import Rule, RuleFile
from aftersales.policy.rules.common import require_order
from aftersales.store.views import OrderView


@dataclass(frozen=True)
class CouponStackingParams:
    """How coupons combine in this shop (see aftersales.policy.stacking.StackingRules).

    Attributes:
        rules: Issuer order, one coupon per group, thresholds on the running price.
    """

    rules: StackingRules


_Issuers = Choices(("shop", "platform"))


class CouponStackingFile(RuleFile):
    issuer_order: _Issuers = StackingRules.issuer_order
    one_per_group: bool = StackingRules.one_per_group
    threshold_after_previous: bool = StackingRules.threshold_after_previous

    @field_validator("issuer_order")
    @classmethod
    def _each_once(cls, order: tuple[str, ...]) -> tuple[str, ...]:
        if not order or len(set(order)) != len(order):
            raise ValueError("list each issuer once")
        return order

    def stacking(self) -> CouponStackingParams:
        return CouponStackingParams(StackingRules(self.issuer_order, self.one_per_group, self.threshold_after_previous))

    def params(self) -> CouponStackingParams:
        return self.stacking()


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


def stack(lines: list[CartLine], coupons: list[Coupon], now, currency: str, rules: StackingRules
          ) -> tuple[StackResult, dict[str, Any]]:
    """The best legal combination and its facts (Money values) for a decision's inputs."""
    result = best_stack(lines, coupons, now, currency=currency, rules=rules)
    return result, stack_facts(result, currency)


def explain_stack(result: StackResult, facts: dict[str, Any], currency: str, order_id: str) -> Action:
    """What stacks, what is left out and why, and the price to pay."""
    return Action("explain_coupon_stack", result.discount_cents, currency, {
        "variant": "all" if not result.rejected else "some" if result.applied else "none", "order_id": order_id,
        "coupons": ", ".join(a.coupon_id for a in result.applied), "final_price": facts["final_price"],
        "subtotal": facts["subtotal"], "left_out": ", ".join(f"{cid} ({why})" for cid, why in result.rejected.items())})


def apply_stack(result: StackResult, facts: dict[str, Any], currency: str, order_id: str | None = None) -> Action:
    """Apply the chosen coupons (to an unpaid order, or at a cart's checkout)."""
    params: dict[str, Any] = {"coupon_ids": [a.coupon_id for a in result.applied],
                              "coupons": ", ".join(a.coupon_id for a in result.applied),
                              "final_price": facts["final_price"]}
    if order_id is not None:
        params["order_id"] = order_id
    else:
        # At a cart's checkout there is no order to name: the reply says what stacks on this purchase.
        params.update(variant="cart" if result.applied else "cart_none" if result.rejected else "cart_no_coupons",
                      subtotal=facts["subtotal"],
                      left_out=", ".join(f"{cid} ({why})" for cid, why in result.rejected.items()))
    return Action("apply_coupons", result.discount_cents, currency, params)


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
    result, facts = stack(lines_of(order), coupons, case.now, order.currency, p.rules)
    inputs.update(facts)
    actions = [explain_stack(result, facts, order.currency, order.id)]
    if order.status == "pending_payment" and result.applied:
        actions.append(apply_stack(result, facts, order.currency, order.id))
    return Decision(rule.id, inputs, actions)


def cart_stacking(rule: Rule, lines: list[CartLine], coupons: list[Coupon], now, currency: str) -> Decision:
    """The same rule on a cart before checkout: the best legal set of `coupons` and the price to pay."""
    p: CouponStackingParams = rule.params
    result, facts = stack(lines, coupons, now, currency, p.rules)
    inputs: dict[str, Any] = {"coupons": [c.id for c in coupons], "issuer_order": list(p.rules.issuer_order), **facts}
    return Decision(f"{rule.id}.cart", inputs, [apply_stack(result, facts, currency)])


__all__ = ["CouponStackingParams", "apply_stack", "candidates", "cart_stacking", "coupon_stacking", "explain_stack",
           "lines_of", "CouponStackingFile", "stack"]
