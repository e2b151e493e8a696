"""No-reason return: return (or exchange) without a reason within the window after delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from aftersales.policy.decisions import Action, Case, Decision
from aftersales.policy.config import Days, PolicySettings, Text
from aftersales.policy.rules.base import Rule, RuleFile
from aftersales.policy.rules.common import in_question, item_brief, local_date, local_days, require_order, show_status


@dataclass(frozen=True)
class NoReasonReturnParams:
    """Returns without a reason within `window_days` of delivery.

    Attributes:
        window_days: Calendar days after delivery.
        excluded_categories: Categories never returned without a reason (opened cosmetics, ...).
        return_shipping: Who pays the return ("customer" or "free").
    """

    window_days: int
    excluded_categories: tuple[str, ...]
    return_shipping: str


class NoReasonReturnFile(RuleFile):
    window_days: Days = 7
    excluded_categories: tuple[Text, ...] = ()
    return_shipping: Literal["customer", "free"] = "customer"

    def params(self) -> NoReasonReturnParams:
        return NoReasonReturnParams(self.window_days, self.excluded_categories, self.return_shipping)


def no_reason_return(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: NoReasonReturnParams = rule.params
    order = require_order(case)
    items = in_question(order, case.sku)
    inputs: dict[str, Any] = {"order_id": order.id, "status": order.status, "delivered_at": order.delivered_at,
                              "window_days": p.window_days, "excluded_categories": list(p.excluded_categories),
                              "items": [{**item_brief(i), "category": i.category} for i in items]}
    if order.delivered_at is None:
        return Decision(f"{rule.id}.not_delivered", inputs, [show_status(order, settings)])
    days = local_days(order.delivered_at, case.now, settings)
    inputs["days_since_delivery"] = days
    if days > p.window_days:
        return Decision(f"{rule.id}.outside_window", inputs, [Action("explain_return_window", params={
            "window_days": p.window_days, "delivered_on": local_date(order.delivered_at, settings)})])
    deadline = order.delivered_at.astimezone(settings.timezone).date() + timedelta(days=p.window_days)
    # Asked for an exchange: offered first, the return stays as the alternative.
    swaps = [Action("offer_exchange", params={**item_brief(i), "quantity": i.quantity, "deadline": deadline,
                                              "return_shipping": p.return_shipping, "variant": "no_reason"})
             for i in items if case.intent == "exchange" and i.category not in p.excluded_categories]
    actions = swaps + [
        Action("explain_return_excluded", params={**item_brief(i), "category": i.category})
        if i.category in p.excluded_categories else
        Action("offer_return", params={**item_brief(i), "quantity": i.quantity, "return_shipping": p.return_shipping,
                                       "variant": p.return_shipping, "deadline": deadline})
        for i in items
    ]
    ok = any(a.type == "offer_return" for a in actions)
    return Decision(rule.id if ok else f"{rule.id}.excluded", inputs, actions)
