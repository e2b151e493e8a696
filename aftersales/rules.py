"""Rule types of the policy: each a YAML parser for its params and a small pure function Case → Decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aftersales.decisions import DEFECT_TAXONOMY, SEVERITIES, Action, Case, Decision, DefectFinding
from aftersales.errors import InvalidInput
from aftersales.money import Money, percent_of
from aftersales.policy_config import ConfigReader, PolicySettings
from aftersales.views import OrderItemView, OrderView

REMEDY_ACTIONS = ("offer_exchange", "offer_return", "offer_refund", "offer_partial_refund", "offer_reship")


@dataclass(frozen=True)
class Rule:
    """One rule of the shop's policy.

    Attributes:
        id: Unique id; decisions carry it (plus an outcome suffix) as their `rule`.
        type: Key into RULE_TYPES.
        intents: Intents it answers ("*" for any).
        with_defects: Further intents it answers only when the customer showed or described a defect.
        params: The type's parsed parameters.
        source: File it came from (for messages).
    """

    id: str
    type: str
    intents: tuple[str, ...]
    with_defects: tuple[str, ...]
    params: Any
    source: str

    def matches(self, case: Case) -> bool:
        return ("*" in self.intents or case.intent in self.intents
                or (bool(case.defects) and case.intent in self.with_defects))


def local_days(since: datetime, now: datetime, settings: PolicySettings) -> int:
    """Calendar days between two instants in the shop's zone (paid yesterday 23:50 → 1 day today at 00:10)."""
    return (now.astimezone(settings.timezone).date() - since.astimezone(settings.timezone).date()).days


def _in_question(order: OrderView, sku: str | None) -> tuple[OrderItemView, ...]:
    item = order.item(sku) if sku else None
    return (item,) if item else order.items


def _order(case: Case) -> OrderView:
    # The engine calls order-needing rules only with an order; this guards direct callers.
    if case.order is None:
        raise InvalidInput(f"intent {case.intent} needs an order")
    return case.order


def _item_brief(item: OrderItemView) -> dict[str, Any]:
    return {"sku": item.sku, "title": item.title}


def _local_date(at: datetime | None, settings: PolicySettings) -> date | None:
    return at.astimezone(settings.timezone).date() if at is not None else None


def _status(order: OrderView, settings: PolicySettings) -> Action:
    # Replies show the shop's calendar dates; the exact instants stay in the decision inputs.
    return Action("show_status", params={
        "variant": order.status, "order_id": order.id, "status": order.status,
        "paid_on": _local_date(order.paid_at, settings), "shipped_on": _local_date(order.shipped_at, settings),
        "delivered_on": _local_date(order.delivered_at, settings), "destination_country": order.destination_country,
    })


def _handoff(reason: str) -> Action:
    return Action("handoff_to_human", params={"variant": reason, "reason": reason})


# Price protection ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CouponParams:
    """Compensation coupon.

    Attributes:
        amounts: Cents per currency; an order in a currency not listed gets no coupon and goes to a human.
        kind: Coupon kind, e.g. "no_threshold" (usable on any order).
        valid_days: Days the coupon stays valid.
    """

    amounts: dict[str, int]
    kind: str
    valid_days: int


@dataclass(frozen=True)
class PriceProtectionParams:
    """Refund a price drop within `window_days` of payment; past it, a coupon and a reminder of the same product.

    The refund is (paid unit price − current price) × quantity: the price the customer sees when asking, as Tmall and
    JD compute it; a lower price that came and went inside the window is not refunded.

    Attributes:
        window_days: Calendar days after payment during which a drop is refunded.
        coupon: Coupon offered past the window, None for none.
        remind_same_product: Past the window, also offer a restock/presale reminder of the product.
    """

    window_days: int
    coupon: CouponParams | None
    remind_same_product: bool


def _parse_price_protection(r: ConfigReader) -> PriceProtectionParams:
    coupon, remind = None, True
    outside = r.child("outside_window", {})
    if outside is not None:
        c = outside.child("coupon")
        if c is not None:
            coupon = CouponParams(c.money_map("amount"), c.string("kind", "no_threshold"),
                                  c.integer("valid_days", 30, 1))
            c.done()
        remind = outside.boolean("remind_same_product", True)
        outside.done()
    return PriceProtectionParams(r.integer("window_days", 7), coupon, remind)


def _price_protection(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: PriceProtectionParams = rule.params
    order = _order(case)
    if order.paid_at is None:
        return Decision(f"{rule.id}.not_paid", {"order_id": order.id, "status": order.status},
                        [_status(order, settings)])
    days = local_days(order.paid_at, case.now, settings)
    items = _in_question(order, case.sku)
    foreign = [i.sku for i in items if i.current_price_currency != order.currency]
    if foreign:
        # Prices in two currencies cannot be compared without an exchange-rate policy; a person decides.
        return Decision(f"{rule.id}.currency_mismatch", {"order_id": order.id, "currency": order.currency,
                                                         "skus": foreign}, [_handoff("policy")], manual=True)
    facts = [{
        "sku": i.sku, "title": i.title, "quantity": i.quantity,
        "paid_unit_price": Money(i.unit_price_cents, order.currency),
        "current_price": Money(i.current_price_cents, order.currency),
        "current_price_since": i.current_price_since,
    } for i in items]
    inputs = {"order_id": order.id, "paid_at": order.paid_at, "days_since_payment": days,
              "window_days": p.window_days, "items": facts}
    dropped = [(i, f) for i, f in zip(items, facts) if i.current_price_cents < i.unit_price_cents]
    if not dropped:
        return Decision(f"{rule.id}.no_drop", inputs, [
            Action("explain_no_price_drop", params={k: f[k] for k in ("sku", "title", "paid_unit_price",
                                                                      "current_price")}) for f in facts])
    if days <= p.window_days:
        return Decision(rule.id, inputs, [
            Action("refund_price_difference", (i.unit_price_cents - i.current_price_cents) * i.quantity,
                   order.currency, {k: f[k] for k in ("sku", "title", "quantity", "paid_unit_price", "current_price")})
            for i, f in dropped])
    actions, manual = [], False
    if p.coupon is not None:
        cents = p.coupon.amounts.get(order.currency)
        if cents is None:
            manual = True  # no coupon value configured for this currency: a person decides
        else:
            actions.append(Action("issue_coupon", cents, order.currency,
                                  {"kind": p.coupon.kind, "valid_days": p.coupon.valid_days, "variant": p.coupon.kind}))
    if p.remind_same_product:
        for i, _ in dropped:
            kind = "presale_reminder" if i.presale or i.stock <= 0 else "restock_reminder"
            actions.append(Action(kind, params={**_item_brief(i), "restock_date": i.restock_date}))
    if not actions:
        actions.append(_handoff("policy"))
        manual = True
    return Decision(f"{rule.id}.outside_window", inputs, actions, manual)


# Defects ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefectGroup:
    """Defect labels handled alike.

    Attributes:
        id: Name shown in the decision inputs ("fabric", "hard_goods").
        labels: Taxonomy ids it covers.
        categories: Product categories it applies to; empty for any.
        severities: Severities it applies to ("minor", "moderate", "severe"); empty for any.
        actions: (action type, params) offered, in order. `offer_partial_refund` takes `percent` of what was paid.
    """

    id: str
    labels: tuple[str, ...]
    categories: tuple[str, ...]
    actions: tuple[tuple[str, dict[str, Any]], ...]
    severities: tuple[str, ...] = ()

    def covers(self, finding: DefectFinding, category: str | None) -> bool:
        return (finding.label in self.labels and (not self.categories or category in self.categories)
                and (not self.severities or finding.severity in self.severities))


@dataclass(frozen=True)
class DefectRemedyParams:
    """Remedies for defects reported within `window_days` of delivery; later ones go to a human.

    Attributes:
        window_days: Calendar days after delivery.
        min_confidence: Findings below it are ignored (a weak detection alone asks for a clearer photo).
        groups: First group matching the finding's label and the product's category decides.
    """

    window_days: int
    min_confidence: float
    groups: tuple[DefectGroup, ...]


def _parse_defect_remedy(r: ConfigReader) -> DefectRemedyParams:
    groups = []
    for g in r.children("groups"):
        actions = []
        for a in g.children("actions"):
            kind = a.string("type", required=True)
            if kind not in REMEDY_ACTIONS:
                raise a.fail("type", f"unknown remedy {kind!r}; expected one of {list(REMEDY_ACTIONS)}")
            params = a.raw("params", {})
            if not isinstance(params, dict) or not all(isinstance(v, (str, int, float, bool)) for v in params.values()):
                raise a.fail("params", "expected a mapping of plain values")
            if kind == "offer_partial_refund":
                percent = params.get("percent")
                if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 < percent < 100:
                    raise a.fail("params", f"offer_partial_refund needs a percent between 0 and 100, got {percent!r}")
            a.done()
            actions.append((kind, dict(params)))
        groups.append(DefectGroup(g.string("id", required=True), g.str_list("labels", allowed=DEFECT_TAXONOMY),
                                  g.str_list("categories"), tuple(actions), g.str_list("severities", allowed=SEVERITIES)))
        g.done()
    return DefectRemedyParams(r.integer("window_days", 15), r.fraction("min_confidence", 0.5), tuple(groups))


def _defect_remedy(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: DefectRemedyParams = rule.params
    order = _order(case)
    findings = sorted((d for d in case.defects if d.confidence >= p.min_confidence), key=lambda d: -d.confidence)
    inputs: dict[str, Any] = {"order_id": order.id, "defects": list(case.defects), "min_confidence": p.min_confidence}
    if not findings:
        return Decision(f"{rule.id}.need_photo", inputs, [Action("ask_for_photo")])
    items = _in_question(order, case.sku)
    if len(items) > 1:
        return Decision(f"{rule.id}.which_item", inputs,
                        [Action("ask_which_item", params={"items": [_item_brief(i) for i in items]})])
    item = items[0]
    inputs.update({"sku": item.sku, "title": item.title, "category": item.category})
    match = next(((d, g) for d in findings for g in p.groups if g.covers(d, item.category)), None)
    if match is None:
        return Decision(f"{rule.id}.not_covered", inputs, [_handoff("defect_not_covered")], manual=True)
    finding, group = match
    inputs.update({"defect": finding.label, "confidence": finding.confidence, "source": finding.source,
                   "severity": finding.severity, "count": finding.count, "group": group.id, "delivered_at": order.delivered_at, "window_days": p.window_days})
    if order.delivered_at is None:
        return Decision(f"{rule.id}.not_delivered", inputs, [_handoff("not_delivered")], manual=True)
    days = local_days(order.delivered_at, case.now, settings)
    inputs["days_since_delivery"] = days
    if days > p.window_days:
        return Decision(f"{rule.id}.outside_window", inputs, [_handoff("outside_window")], manual=True)
    actions = []
    for kind, extra in group.actions:
        base = {**_item_brief(item), "quantity": item.quantity, "defect": finding.label, **extra}
        if kind == "offer_refund":
            actions.append(Action(kind, item.unit_price_cents * item.quantity, order.currency, base))
        elif kind == "offer_partial_refund":
            paid = item.unit_price_cents * item.quantity
            actions.append(Action(kind, percent_of(paid, extra["percent"]), order.currency, base))
        elif kind == "offer_return":
            shipping = base.setdefault("return_shipping", "customer")
            actions.append(Action(kind, params={**base, "variant": shipping}))
        else:
            actions.append(Action(kind, params=base))
    return Decision(rule.id, inputs, actions)


# Logistics -------------------------------------------------------------------------------------------------------


def _logistics(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    order = _order(case)
    inputs = {"order_id": order.id, "status": order.status, "paid_at": order.paid_at, "shipped_at": order.shipped_at,
              "delivered_at": order.delivered_at}
    if order.status == "paid":
        waiting = [i for i in order.items if i.presale or i.stock <= 0]
        if waiting:
            inputs["waiting_items"] = [{**_item_brief(i), "presale": i.presale, "stock": i.stock,
                                        "restock_date": i.restock_date} for i in waiting]
            return Decision(f"{rule.id}.not_shipped", inputs, [
                Action("explain_presale", params={
                    **_item_brief(i), "presale": i.presale, "restock_date": i.restock_date,
                    "variant": "dated" if i.restock_date else "undated"}) for i in waiting])
    return Decision(f"{rule.id}.status", inputs, [_status(order, settings)])


# 7-day no-reason return ------------------------------------------------------------------------------------------


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


def _parse_no_reason_return(r: ConfigReader) -> NoReasonReturnParams:
    shipping = r.string("return_shipping", "customer")
    if shipping not in ("customer", "free"):
        raise r.fail("return_shipping", f"expected customer or free, got {shipping!r}")
    return NoReasonReturnParams(r.integer("window_days", 7), r.str_list("excluded_categories"), shipping)


def _no_reason_return(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: NoReasonReturnParams = rule.params
    order = _order(case)
    items = _in_question(order, case.sku)
    inputs: dict[str, Any] = {"order_id": order.id, "status": order.status, "delivered_at": order.delivered_at,
                              "window_days": p.window_days, "excluded_categories": list(p.excluded_categories),
                              "items": [{**_item_brief(i), "category": i.category} for i in items]}
    if order.delivered_at is None:
        return Decision(f"{rule.id}.not_delivered", inputs, [_status(order, settings)])
    days = local_days(order.delivered_at, case.now, settings)
    inputs["days_since_delivery"] = days
    if days > p.window_days:
        return Decision(f"{rule.id}.outside_window", inputs, [Action("explain_return_window", params={
            "window_days": p.window_days, "delivered_on": _local_date(order.delivered_at, settings)})])
    deadline = order.delivered_at.astimezone(settings.timezone).date() + timedelta(days=p.window_days)
    # Asked for an exchange: offered first, the return stays as the alternative.
    swaps = [Action("offer_exchange", params={**_item_brief(i), "quantity": i.quantity, "deadline": deadline,
                                              "return_shipping": p.return_shipping, "variant": "no_reason"})
             for i in items if case.intent == "exchange" and i.category not in p.excluded_categories]
    actions = swaps + [
        Action("explain_return_excluded", params={**_item_brief(i), "category": i.category})
        if i.category in p.excluded_categories else
        Action("offer_return", params={**_item_brief(i), "quantity": i.quantity, "return_shipping": p.return_shipping,
                                       "variant": p.return_shipping, "deadline": deadline})
        for i in items
    ]
    ok = any(a.type == "offer_return" for a in actions)
    return Decision(rule.id if ok else f"{rule.id}.excluded", inputs, actions)


# Hand-off and general help ---------------------------------------------------------------------------------------


def _handoff_rule(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    return Decision(rule.id, {"intent": case.intent}, [_handoff("customer_asked")], manual=True)


def _general_help(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    return Decision(rule.id, {"intent": case.intent}, [Action("general_help", params={"variant": case.intent})])


def _no_params(r: ConfigReader) -> None:
    return None


@dataclass(frozen=True)
class RuleType:
    """How to read and apply one kind of rule.

    Attributes:
        parse: Reads the type's own YAML keys into its params (the reader rejects unknown keys afterwards).
        decide: The pure decision.
        needs_order: Without a resolved order the engine asks for the order id instead of calling `decide`.
    """

    parse: Callable[[ConfigReader], Any]
    decide: Callable[[Rule, Case, PolicySettings], Decision]
    needs_order: bool


# Rule types in modules of their own; imported here, at the end, because they need nothing from this module.
from aftersales.rules_cross_border import cross_border, parse_cross_border  # noqa: E402

# New rule types (coupon stacking, address change) register here.
RULE_TYPES: dict[str, RuleType] = {
    "price_protection": RuleType(_parse_price_protection, _price_protection, True),
    "defect_remedy": RuleType(_parse_defect_remedy, _defect_remedy, True),
    "logistics": RuleType(_no_params, _logistics, True),
    "no_reason_return": RuleType(_parse_no_reason_return, _no_reason_return, True),
    "handoff": RuleType(_no_params, _handoff_rule, False),
    "general_help": RuleType(_no_params, _general_help, False),
    "cross_border": RuleType(parse_cross_border, cross_border, True),
}
