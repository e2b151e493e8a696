"""Address changes: allowed until the parcel leaves (the coupons already applied stay), and new coupons in one go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aftersales.coupons import best_stack
from aftersales.decisions import Action, Case, Decision
from aftersales.policy_config import ConfigReader, PolicySettings
from aftersales.rules.base import Rule
from aftersales.rules.common import handoff, require_order
from aftersales.rules.coupons import CouponStackingParams, candidates, lines_of, parse_coupon_stacking, stack_facts

# Statuses in which the shop can still change where the parcel goes.
CHANGEABLE = ("pending_payment", "paid")


@dataclass(frozen=True)
class AddressChangeParams:
    """Attributes:
        stacking: How coupons combine when the customer also wants to use coupons (unpaid orders only).
        intercept_after_shipping: After shipping, hand over to a person who can ask the carrier to reroute;
            False answers that the address can no longer be changed.
    """

    stacking: CouponStackingParams
    intercept_after_shipping: bool


def parse_address_change(r: ConfigReader) -> AddressChangeParams:
    return AddressChangeParams(parse_coupon_stacking(r), r.boolean("intercept_after_shipping", True))


def address_change(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: AddressChangeParams = rule.params
    order = require_order(case)
    inputs: dict[str, Any] = {"order_id": order.id, "status": order.status, "current_address": order.shipping_address,
                              "new_address": case.new_address, "coupons_applied": list(order.coupons)}
    if order.status not in CHANGEABLE:
        inputs["changeable_statuses"] = list(CHANGEABLE)
        actions = [Action("explain_address_locked", params={"variant": order.status, "order_id": order.id})]
        if p.intercept_after_shipping and order.status == "shipped":
            return Decision(f"{rule.id}.already_shipped", inputs, [*actions, handoff("reroute_parcel")], manual=True)
        return Decision(f"{rule.id}.already_shipped", inputs, actions)
    actions = [Action("change_address", params={
        "variant": "given" if case.new_address else "ask", "order_id": order.id, "new_address": case.new_address or "",
        "coupons_kept": ", ".join(order.coupons), "kept": list(order.coupons)})]
    wanted = candidates(case) if (case.asks_coupons or case.mentioned_coupons) else []
    if wanted and order.status == "pending_payment":
        result = best_stack(lines_of(order), wanted, case.now, currency=order.currency, rules=p.stacking.rules)
        facts = stack_facts(result, order.currency)
        inputs.update(facts)
        if result.applied:
            actions.append(Action("apply_coupons", result.discount_cents, order.currency, {
                "order_id": order.id, "coupon_ids": [a.coupon_id for a in result.applied],
                "coupons": ", ".join(a.coupon_id for a in result.applied), "final_price": facts["final_price"]}))
        if result.rejected:
            actions.append(Action("explain_coupon_stack", result.discount_cents, order.currency, {
                "variant": "some" if result.applied else "none", "order_id": order.id,
                "coupons": ", ".join(a.coupon_id for a in result.applied), "final_price": facts["final_price"],
                "subtotal": facts["subtotal"],
                "left_out": ", ".join(f"{cid} ({why})" for cid, why in result.rejected.items())}))
    elif (case.asks_coupons or case.mentioned_coupons) and order.status == "paid":
        actions.append(Action("explain_coupons_after_payment", params={"order_id": order.id}))
    return Decision(rule.id, inputs, actions)


__all__ = ["AddressChangeParams", "address_change", "parse_address_change"]
