"""Helpers the rule families share: the shop's calendar days, the items asked about, status and hand-off actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aftersales.policy.decisions import Action, Case
from aftersales.errors import InvalidInput
from aftersales.policy.config import MoneyMap, PolicySettings, PositiveDays, Strict, Text
from aftersales.store.views import OrderItemView, OrderView


def local_days(since: datetime, now: datetime, settings: PolicySettings) -> int:
    """Calendar days between two instants in the shop's zone (paid yesterday 23:50 → 1 day today at 00:10)."""
    return (now.astimezone(settings.timezone).date() - since.astimezone(settings.timezone).date()).days


def in_question(order: OrderView, sku: str | None) -> tuple[OrderItemView, ...]:
    item = order.item(sku) if sku else None
    return (item,) if item else order.items


def require_order(case: Case) -> OrderView:
    # The engine calls order-needing rules only with an order; this guards direct callers.
    if case.order is None:
        raise InvalidInput(f"intent {case.intent} needs an order")
    return case.order


def item_brief(item: OrderItemView) -> dict[str, Any]:
    return {"sku": item.sku, "title": item.title}


def local_date(at: datetime | None, settings: PolicySettings) -> date | None:
    return at.astimezone(settings.timezone).date() if at is not None else None


def show_status(order: OrderView, settings: PolicySettings) -> Action:
    # Replies show the shop's calendar dates; the exact instants stay in the decision inputs.
    params: dict[str, Any] = {
        "variant": order.status, "order_id": order.id, "status": order.status,
        "paid_on": local_date(order.paid_at, settings), "shipped_on": local_date(order.shipped_at, settings),
        "delivered_on": local_date(order.delivered_at, settings), "destination_country": order.destination_country,
    }
    if order.status == "shipped" and order.logistics:
        # The carrier's latest scan, in the shop's local time: what a customer asking "where is it" wants.
        last = order.logistics[-1]
        local = last.at.astimezone(settings.timezone)
        params.update({"variant": "shipped_tracked", "last_event": last.description or last.status,
                       "last_location": last.location, "last_at": local.strftime("%Y-%m-%d %H:%M"),
                       "carrier": order.carrier, "tracking_number": order.tracking_number})
    return Action("show_status", params=params)


def handoff(reason: str) -> Action:
    return Action("handoff_to_human", params={"variant": reason, "reason": reason})


@dataclass(frozen=True)
class CouponParams:
    """A compensation coupon the policy hands out.

    Attributes:
        amounts: Cents per currency; an order in a currency not listed gets no coupon and goes to a human.
        kind: Coupon kind, e.g. "no_threshold" (usable on any order).
        valid_days: Days the coupon stays valid.
    """

    amounts: dict[str, int]
    kind: str
    valid_days: int

    def action(self, currency: str, **params: Any) -> Action | None:
        """The `issue_coupon` action for an order in `currency`; None when no amount is set for that currency."""
        cents = self.amounts.get(currency)
        if cents is None:
            return None
        return Action("issue_coupon", cents, currency,
                      {"kind": self.kind, "valid_days": self.valid_days, "variant": self.kind, **params})


class CouponFile(Strict):
    """A compensation coupon as the policy YAML writes it (CouponParams' defaults)."""

    amount: MoneyMap
    kind: Text = "no_threshold"
    valid_days: PositiveDays = 30

    def params(self) -> CouponParams:
        return CouponParams(dict(self.amount), self.kind, self.valid_days)
