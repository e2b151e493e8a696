"""The vocabulary the policy speaks: intents, the defect taxonomy, a Case in and a Decision of Actions out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aftersales.errors import InvalidInput
from aftersales.money import Money, money_dict
from aftersales.store.views import OrderView, jsonable

INTENTS = (
    "logistics_status", "price_protection", "coupon_question", "return_refund", "defect_complaint", "exchange",
    "address_change", "size_fit", "duty_tax", "product_question", "ask_human", "greeting_thanks", "other",
)
FABRIC_DEFECTS = ("snag", "hole", "stain", "tear", "open_seam", "pilling")
HARD_GOODS_DEFECTS = ("scratch", "dent", "crack", "broken")
DEFECT_TAXONOMY = FABRIC_DEFECTS + HARD_GOODS_DEFECTS
DEFECT_SOURCES = ("image", "text")
SEVERITIES = ("minor", "moderate", "severe")
# Actions that settle something for the customer; an angry customer without one of them goes to a human.
CONCRETE_ACTIONS = frozenset({
    "refund_price_difference", "issue_coupon", "offer_exchange", "offer_return", "offer_refund", "offer_reship",
    "offer_partial_refund",
    "explain_presale", "apply_coupons",
})
# Actions that settle something only in some variants: an address actually changed (not one asked for), coupons
# that stack (not the news that none does).
_CONCRETE_VARIANTS = {"change_address": frozenset({"given"}), "explain_coupon_stack": frozenset({"all", "some"})}


@dataclass(frozen=True)
class DefectFinding:
    """A defect the customer showed or described.

    Attributes:
        label: Taxonomy id (DEFECT_TAXONOMY).
        confidence: In [0, 1]; detector score for photos, a fixed keyword confidence for text.
        source: "image" or "text".
        box: (x1, y1, x2, y2) pixels in the photo, None for text.
        severity: "minor", "moderate" or "severe" (aftersales/defects.py judges it from size and count; a described
            defect takes its label's base severity); None when nobody judged it.
        count: Boxes of this label in the turn's photos (1 for text).
        location: Where in the photo ("upper left", ...), None for text.
    """

    label: str
    confidence: float
    source: str
    box: tuple[float, float, float, float] | None = None
    severity: str | None = None
    count: int = 1
    location: str | None = None

    def __post_init__(self) -> None:
        if self.source not in DEFECT_SOURCES:
            raise InvalidInput(f"defect source must be one of {DEFECT_SOURCES}, got {self.source!r}")
        if not 0.0 <= self.confidence <= 1.0:
            raise InvalidInput(f"defect confidence must be in [0, 1], got {self.confidence!r}")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise InvalidInput(f"defect severity must be one of {SEVERITIES}, got {self.severity!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DefectFinding":
        """The inverse of to_dict (a conversation's memory stores findings so)."""
        box = data.get("box")
        return cls(str(data["label"]), float(data["confidence"]), str(data["source"]),
                   tuple(float(v) for v in box) if box else None,  # type: ignore[arg-type]
                   data.get("severity"), int(data.get("count") or 1), data.get("location"))

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "confidence": round(float(self.confidence), 4), "source": self.source,
                "box": list(self.box) if self.box is not None else None, "severity": self.severity,
                "count": self.count, "location": self.location}


@dataclass(frozen=True)
class Case:
    """Everything the policy may look at for one decision.

    Attributes:
        intent: One of INTENTS.
        order: The order in question, None when none could be resolved.
        sku: The product in question (from a photo or the conversation), None when unknown.
        defects: Defects shown or described.
        now: Tz-aware instant the decision is taken at (injected, never read from the wall clock here).
        coupons: Coupons the customer holds (aftersales.policy.stacking.Coupon), for stacking questions.
        mentioned_coupons: Coupon ids the customer named; empty when they named none (then all held ones count).
        asks_coupons: The customer asked about or to use coupons in this turn (with or without naming them).
        new_address: The address the customer asked to change to, None when not given yet.
        knowledge: What the product knowledge says to the question (aftersales.policy.knowledge.Answer), None when the
            turn asked none.
    """

    intent: str
    order: OrderView | None
    sku: str | None
    defects: tuple[DefectFinding, ...]
    now: datetime
    coupons: tuple[Any, ...] = ()
    mentioned_coupons: tuple[str, ...] = ()
    asks_coupons: bool = False
    new_address: str | None = None
    knowledge: Any = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise InvalidInput("Case.now must be tz-aware")
        object.__setattr__(self, "defects", tuple(self.defects))
        object.__setattr__(self, "coupons", tuple(self.coupons))
        object.__setattr__(self, "mentioned_coupons", tuple(self.mentioned_coupons))


@dataclass(frozen=True)
class Action:
    """One thing the shop offers or explains.

    Attributes:
        type: Action type ("refund_price_difference", "offer_exchange", ...); ReplyWriter has a sentence for each.
        amount_cents: Money involved, in cents, None when none.
        currency: ISO 4217 code of `amount_cents`.
        params: Facts the reply needs (sku, title, dates, Money values); JSON-safe through `to_dict`.
    """

    type: str
    amount_cents: int | None = None
    currency: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def money(self) -> Money | None:
        return Money(self.amount_cents, self.currency or "") if self.amount_cents is not None else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.amount_cents is not None:
            out.update(money_dict(self.amount_cents, self.currency or ""))
        else:
            out.update({"amount": None, "amount_cents": None, "currency": self.currency})
        out["params"] = jsonable(self.params)
        return out


@dataclass(frozen=True)
class Decision:
    """What the policy decided and why.

    Attributes:
        rule: Id of the YAML rule that decided, with a suffix naming the outcome when it is not the rule's main one
            ("price_protection", "price_protection.outside_window", "logistics.not_shipped").
        inputs: Exactly the facts the rule used (prices, days, windows), so every answer can be explained.
        actions: What to offer or explain, in order.
        manual: A human must take over.
    """

    rule: str
    inputs: dict[str, Any]
    actions: list[Action]
    manual: bool = False

    @property
    def concrete(self) -> bool:
        return any(a.type in CONCRETE_ACTIONS or a.params.get("variant") in _CONCRETE_VARIANTS.get(a.type, ())
                   for a in self.actions)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "inputs": jsonable(self.inputs), "actions": [a.to_dict() for a in self.actions],
                "manual": self.manual}
