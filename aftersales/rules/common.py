"""Helpers the rule families share: the shop's calendar days, the items asked about, status and hand-off actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aftersales.decisions import Action, Case
from aftersales.errors import InvalidInput
from aftersales.policy_config import ConfigReader, PolicySettings
from aftersales.views import OrderItemView, OrderView


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
    return Action("show_status", params={
        "variant": order.status, "order_id": order.id, "status": order.status,
        "paid_on": local_date(order.paid_at, settings), "shipped_on": local_date(order.shipped_at, settings),
        "delivered_on": local_date(order.delivered_at, settings), "destination_country": order.destination_country,
    })


def handoff(reason: str) -> Action:
    return Action("handoff_to_human", params={"variant": reason, "reason": reason})


def no_params(r: ConfigReader) -> None:
    return None
