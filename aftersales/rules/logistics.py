"""Logistics: where the order is, and why a paid order waiting on presale or restock has not shipped."""

from __future__ import annotations

from aftersales.decisions import Action, Case, Decision
from aftersales.policy_config import PolicySettings
from aftersales.rules.base import Rule
from aftersales.rules.common import item_brief, require_order, show_status


def logistics(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    order = require_order(case)
    inputs = {"order_id": order.id, "status": order.status, "paid_at": order.paid_at, "shipped_at": order.shipped_at,
              "delivered_at": order.delivered_at}
    if order.status == "paid":
        waiting = [i for i in order.items if i.presale or i.stock <= 0]
        if waiting:
            inputs["waiting_items"] = [{**item_brief(i), "presale": i.presale, "stock": i.stock,
                                        "restock_date": i.restock_date} for i in waiting]
            return Decision(f"{rule.id}.not_shipped", inputs, [
                Action("explain_presale", params={
                    **item_brief(i), "presale": i.presale, "restock_date": i.restock_date,
                    "variant": "dated" if i.restock_date else "undated"}) for i in waiting])
    return Decision(f"{rule.id}.status", inputs, [show_status(order, settings)])
