"""Address changes: allowed until the parcel leaves (the coupons already applied stay), and new coupons in one go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aftersales.policy.decisions import Action, Case, Decision
from aftersales.policy.config import PolicySettings
from aftersales.policy.rules.base import Rule
from aftersales.policy.rules.common import handoff, require_order
from aftersales.policy.rules.coupons import (
    CouponStackingFile,
    CouponStackingParams,
    apply_stack,
    candidates,
    explain_stack,
    lines_of,
    stack,
)

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


class AddressChangeFile(CouponStackingFile):
    intercept_after_shipping: bool = True

    def params(self) -> AddressChangeParams:
        return AddressChangeParams(self.stacking(), self.intercept_after_shipping)


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
    asks = case.asks_coupons or bool(case.mentioned_coupons)
    wanted = candidates(case) if asks else []
    if wanted and order.status == "pending_payment":
        result, facts = stack(lines_of(order), wanted, case.now, order.currency, p.stacking.rules)
        inputs.update(facts)
        if result.applied:
            actions.append(apply_stack(result, facts, order.currency, order.id))
        if result.rejected:
            actions.append(explain_stack(result, facts, order.currency, order.id))
    elif asks and order.status == "paid":
        actions.append(Action("explain_coupons_after_payment", params={"order_id": order.id}))
    return Decision(rule.id, inputs, actions)


__all__ = ["AddressChangeParams", "AddressChangeFile", "address_change"]
