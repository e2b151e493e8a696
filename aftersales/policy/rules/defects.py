"""Defect remedy: exchange, return, refund or reship for a defect reported within the window."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aftersales.policy.decisions import DEFECT_TAXONOMY, SEVERITIES, Action, Case, Decision, DefectFinding
from aftersales.money import Money, percent_of
from pydantic import Field, ValidationInfo, field_validator

from aftersales.policy.config import Choices, Days, Fraction, MoneyMap, PolicySettings, Strict, Text
from aftersales.policy.rules.base import Rule, RuleFile
from aftersales.policy.rules.common import handoff, in_question, item_brief, local_days, require_order

REMEDY_ACTIONS = ("offer_exchange", "offer_return", "offer_refund", "offer_partial_refund", "offer_reship")


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
        max_compensation: Cents per currency: a refund above it goes to a person instead (the shop's per-order cap);
            currencies not listed have no cap.
    """

    window_days: int
    min_confidence: float
    groups: tuple[DefectGroup, ...]
    max_compensation: dict[str, int] = field(default_factory=dict)


class _RemedyFile(Strict):
    type: Text
    params: dict[str, Any] = Field(default_factory=dict, validate_default=True)

    @field_validator("type")
    @classmethod
    def _known(cls, kind: str) -> str:
        if kind not in REMEDY_ACTIONS:
            raise ValueError(f"unknown remedy {kind!r}; expected one of {list(REMEDY_ACTIONS)}")
        return kind

    @field_validator("params")
    @classmethod
    def _plain(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if not all(isinstance(v, (str, int, float, bool)) for v in params.values()):
            raise ValueError("expected a mapping of plain values")
        if info.data.get("type") == "offer_partial_refund":
            percent = params.get("percent")
            if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 < percent < 100:
                raise ValueError(f"offer_partial_refund needs a percent between 0 and 100, got {percent!r}")
        return params


_Labels = Choices(DEFECT_TAXONOMY)
_Severities = Choices(SEVERITIES)


class _GroupFile(Strict):
    id: Text
    labels: _Labels = ()
    categories: tuple[Text, ...] = ()
    actions: list[_RemedyFile] = Field(min_length=1)
    severities: _Severities = ()


class DefectRemedyFile(RuleFile):
    window_days: Days = 15
    min_confidence: Fraction = 0.5
    groups: list[_GroupFile] = Field(min_length=1)
    max_compensation: MoneyMap | None = None

    def params(self) -> DefectRemedyParams:
        groups = tuple(DefectGroup(g.id, g.labels, g.categories, tuple((a.type, dict(a.params)) for a in g.actions),
                                   g.severities) for g in self.groups)
        return DefectRemedyParams(self.window_days, self.min_confidence, groups, dict(self.max_compensation or {}))


def defect_remedy(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: DefectRemedyParams = rule.params
    order = require_order(case)
    findings = sorted((d for d in case.defects if d.confidence >= p.min_confidence), key=lambda d: -d.confidence)
    inputs: dict[str, Any] = {"order_id": order.id, "defects": list(case.defects), "min_confidence": p.min_confidence}
    if not findings:
        return Decision(f"{rule.id}.need_photo", inputs, [Action("ask_for_photo")])
    items = in_question(order, case.sku)
    if len(items) > 1:
        return Decision(f"{rule.id}.which_item", inputs,
                        [Action("ask_which_item", params={"items": [item_brief(i) for i in items]})])
    item = items[0]
    inputs.update({"sku": item.sku, "title": item.title, "category": item.category})
    match = next(((d, g) for d in findings for g in p.groups if g.covers(d, item.category)), None)
    if match is None:
        return Decision(f"{rule.id}.not_covered", inputs, [handoff("defect_not_covered")], manual=True)
    finding, group = match
    inputs.update({"defect": finding.label, "confidence": finding.confidence, "source": finding.source,
                   "severity": finding.severity, "count": finding.count, "group": group.id, "delivered_at": order.delivered_at, "window_days": p.window_days})
    if order.delivered_at is None:
        return Decision(f"{rule.id}.not_delivered", inputs, [handoff("not_delivered")], manual=True)
    days = local_days(order.delivered_at, case.now, settings)
    inputs["days_since_delivery"] = days
    if days > p.window_days:
        return Decision(f"{rule.id}.outside_window", inputs, [handoff("outside_window")], manual=True)
    actions = []
    for kind, extra in group.actions:
        base = {**item_brief(item), "quantity": item.quantity, "defect": finding.label, **extra}
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
    cap = p.max_compensation.get(order.currency)
    largest = max((a.amount_cents or 0 for a in actions), default=0)
    if cap is not None and largest > cap:
        # Above the cap no money is promised: a person looks at it (the other remedies wait for them too).
        inputs.update({"max_compensation": Money(cap, order.currency), "largest_offer": Money(largest, order.currency)})
        return Decision(f"{rule.id}.above_cap", inputs, [handoff("above_cap")], manual=True)
    return Decision(rule.id, inputs, actions)
