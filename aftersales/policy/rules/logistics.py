"""Logistics: where the order is, why a paid order has not shipped (presale, restock), and compensation when late."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aftersales.policy.decisions import Action, Case, Decision
from aftersales.policy.config import PolicySettings, PositiveDays
from aftersales.policy.rules.base import Rule, RuleFile
from aftersales.policy.rules.common import CouponFile, CouponParams, item_brief, local_days, require_order, show_status


@dataclass(frozen=True)
class LogisticsParams:
    """Shipping promises and what breaking them earns the customer.

    Attributes:
        ship_within_days: Calendar days after payment the shop promises to ship in (items in stock); None: no
            promise.
        deliver_within_days: Calendar days after shipping a parcel should arrive in; None: no promise.
        late_coupon: Coupon given when a promise is broken (None: the late order goes to a person instead).
    """

    ship_within_days: int | None = None
    deliver_within_days: int | None = None
    late_coupon: CouponParams | None = None


class LogisticsFile(RuleFile):
    ship_within_days: PositiveDays | None = None
    deliver_within_days: PositiveDays | None = None
    late_compensation: CouponFile | None = None

    def params(self) -> LogisticsParams:
        late = self.late_compensation
        return LogisticsParams(self.ship_within_days, self.deliver_within_days, late.params() if late else None)


def logistics(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: LogisticsParams = rule.params or LogisticsParams()
    order = require_order(case)
    inputs: dict[str, Any] = {"order_id": order.id, "status": order.status, "paid_at": order.paid_at,
                              "shipped_at": order.shipped_at, "delivered_at": order.delivered_at}
    if order.status == "paid":
        waiting = [i for i in order.items if i.presale or i.stock <= 0]
        if waiting:
            inputs["waiting_items"] = [{**item_brief(i), "presale": i.presale, "stock": i.stock,
                                        "restock_date": i.restock_date} for i in waiting]
            return Decision(f"{rule.id}.not_shipped", inputs, [
                Action("explain_presale", params={
                    **item_brief(i), "presale": i.presale, "restock_date": i.restock_date,
                    "variant": "dated" if i.restock_date else "undated"}) for i in waiting])
        if p.ship_within_days is not None and order.paid_at is not None:
            days = local_days(order.paid_at, case.now, settings)
            inputs.update({"days_since_payment": days, "ship_within_days": p.ship_within_days})
            if days > p.ship_within_days:
                return _late(rule, p, order.currency, inputs, "late_shipment", show_status(order, settings))
    if order.status == "shipped" and p.deliver_within_days is not None and order.shipped_at is not None:
        days = local_days(order.shipped_at, case.now, settings)
        inputs.update({"days_since_shipping": days, "deliver_within_days": p.deliver_within_days})
        if days > p.deliver_within_days:
            return _late(rule, p, order.currency, inputs, "late_delivery", show_status(order, settings))
    return Decision(f"{rule.id}.status", inputs, [show_status(order, settings)])


def _late(rule: Rule, p: LogisticsParams, currency: str, inputs: dict[str, Any], outcome: str,
          status: Action) -> Decision:
    """A broken promise: an apology with a coupon, or a person when no coupon is set for the order's currency."""
    apology = Action("apologise_late", params={"variant": outcome, "order_id": inputs["order_id"]})
    coupon = p.late_coupon.action(currency, variant="late") if p.late_coupon else None
    if coupon is None:
        return Decision(f"{rule.id}.{outcome}", inputs, [status, apology, Action(
            "handoff_to_human", params={"variant": outcome, "reason": outcome})], manual=True)
    return Decision(f"{rule.id}.{outcome}", inputs, [status, apology, coupon])


__all__ = ["LogisticsFile", "LogisticsParams", "logistics"]
