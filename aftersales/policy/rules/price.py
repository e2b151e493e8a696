"""Price protection: refund a price drop inside the window, a coupon and a reminder past it."""

from __future__ import annotations

from dataclasses import dataclass, field

from aftersales.policy.decisions import Action, Case, Decision
from aftersales.money import Money
from aftersales.policy.config import Days, PolicySettings, PositiveDays, Strict
from aftersales.policy.rules.base import Rule, RuleFile
from aftersales.policy.rules.common import (
    CouponFile,
    CouponParams,
    handoff,
    in_question,
    item_brief,
    local_days,
    require_order,
    show_status,
)


@dataclass(frozen=True)
class PriceProtectionParams:
    """Refund a price drop within `window_days` of payment; past it, a coupon and a reminder of the same product.

    The refund is (paid unit price − current price) × quantity: the price the customer sees when asking, as Tmall and
    JD compute it; a lower price that came and went inside the window is not refunded.

    Attributes:
        window_days: Calendar days after payment during which a drop is refunded.
        coupon: Coupon offered past the window, None for none.
        remind_same_product: Past the window, also offer a restock/presale reminder of the product.
        promotion_window_days: Promotion id → window for orders paid during that promotion (platforms lengthen
            price protection around 双11); ids must name promotions of the policy.
    """

    window_days: int
    coupon: CouponParams | None
    remind_same_product: bool
    promotion_window_days: dict[str, int] = field(default_factory=dict)

    def window_for(self, paid_at, settings: PolicySettings) -> tuple[int, str | None]:
        """The window that applies to an order paid at `paid_at`, and the promotion that set it (None: the usual)."""
        promotion = settings.promotion_at(paid_at)
        if promotion is not None and promotion.id in self.promotion_window_days:
            return self.promotion_window_days[promotion.id], promotion.id
        return self.window_days, None


class _OutsideWindow(Strict):
    coupon: CouponFile | None = None
    remind_same_product: bool = True


class PriceProtectionFile(RuleFile):
    window_days: Days = 7
    outside_window: _OutsideWindow | None = None
    promotion_window_days: dict[str, PositiveDays] = {}

    def params(self) -> PriceProtectionParams:
        outside = self.outside_window or _OutsideWindow()
        return PriceProtectionParams(self.window_days, outside.coupon.params() if outside.coupon else None,
                                     outside.remind_same_product, dict(self.promotion_window_days))


def price_protection(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: PriceProtectionParams = rule.params
    order = require_order(case)
    if order.paid_at is None:
        return Decision(f"{rule.id}.not_paid", {"order_id": order.id, "status": order.status},
                        [show_status(order, settings)])
    days = local_days(order.paid_at, case.now, settings)
    items = in_question(order, case.sku)
    foreign = [i.sku for i in items if i.current_price_currency != order.currency]
    if foreign:
        # Prices in two currencies cannot be compared without an exchange-rate policy; a person decides.
        return Decision(f"{rule.id}.currency_mismatch", {"order_id": order.id, "currency": order.currency,
                                                         "skus": foreign}, [handoff("policy")], manual=True)
    facts = [{
        "sku": i.sku, "title": i.title, "quantity": i.quantity,
        "paid_unit_price": Money(i.unit_price_cents, order.currency),
        "current_price": Money(i.current_price_cents, order.currency),
        "current_price_since": i.current_price_since,
    } for i in items]
    window, promotion = p.window_for(order.paid_at, settings)
    inputs = {"order_id": order.id, "paid_at": order.paid_at, "days_since_payment": days,
              "window_days": window, "paid_during_promotion": promotion, "items": facts}
    dropped = [(i, f) for i, f in zip(items, facts) if i.current_price_cents < i.unit_price_cents]
    if not dropped:
        return Decision(f"{rule.id}.no_drop", inputs, [
            Action("explain_no_price_drop", params={k: f[k] for k in ("sku", "title", "paid_unit_price",
                                                                      "current_price")}) for f in facts])
    if days <= window:
        return Decision(rule.id, inputs, [
            Action("refund_price_difference", (i.unit_price_cents - i.current_price_cents) * i.quantity,
                   order.currency, {k: f[k] for k in ("sku", "title", "quantity", "paid_unit_price", "current_price")})
            for i, f in dropped])
    actions, manual = [], False
    if p.coupon is not None:
        coupon = p.coupon.action(order.currency)
        if coupon is None:
            manual = True  # no coupon value configured for this currency: a person decides
        else:
            actions.append(coupon)
    if p.remind_same_product:
        for i, _ in dropped:
            kind = "presale_reminder" if i.presale or i.stock <= 0 else "restock_reminder"
            actions.append(Action(kind, params={**item_brief(i), "restock_date": i.restock_date}))
    if not actions:
        actions.append(handoff("policy"))
        manual = True
    return Decision(f"{rule.id}.outside_window", inputs, actions, manual)
