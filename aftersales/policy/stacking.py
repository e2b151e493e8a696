"""Coupon stacking: which coupons may combine on a cart, the best legal combination and the final price, to the cent.

Pure: coupons and cart lines in, a `StackResult` out, with the reason every coupon left out was left out. The
rules are the platforms' usual ones, each a setting of `StackingRules`: coupons apply issuer by issuer (shop
coupons first, then platform ones), at most one coupon per stacking group, an exclusive coupon combines with nothing,
a threshold ("spend 200, get 20 off") is checked on what the lines it covers cost after the coupons applied before it,
and no coupon takes a line below zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import product
from typing import Any, Sequence

from aftersales.errors import InvalidInput

COUPON_KINDS = ("no_threshold", "threshold", "percentage")
ISSUERS = ("shop", "platform")
# Above this many combinations the search is refused rather than left to run: a customer holds a handful of coupons.
_MAX_COMBINATIONS = 50_000


@dataclass(frozen=True)
class Coupon:
    """One coupon the customer holds.

    Attributes:
        id: The shop's or platform's coupon id.
        kind: "no_threshold" (amount off), "threshold" (amount off once the covered lines cost `threshold_cents`),
            or "percentage" (`percent` off the covered lines, from `threshold_cents` if set, at most
            `max_discount_cents` if set).
        issuer: "shop" or "platform".
        currency: ISO 4217 code; a coupon in another currency than the cart never applies.
        amount_cents: Amount off (no_threshold, threshold).
        threshold_cents: Least the covered lines must cost (threshold; optional for percentage).
        percent: Percent off, 0 < percent < 100 (percentage).
        max_discount_cents: Cap of a percentage coupon; None for no cap.
        group: Stacking group; at most one coupon of a group applies. Defaults to the issuer.
        exclusive: Combines with no other coupon.
        valid_from, valid_to: Tz-aware validity window (inclusive); None for open-ended.
        categories: Product categories it covers; empty for all.
        skus: SKUs it covers; empty for all (both given: a line must match one of either).
    """

    id: str
    kind: str
    issuer: str = "shop"
    currency: str = "CNY"
    amount_cents: int = 0
    threshold_cents: int = 0
    percent: float = 0.0
    max_discount_cents: int | None = None
    group: str | None = None
    exclusive: bool = False
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    categories: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("a coupon needs an id")
        if self.kind not in COUPON_KINDS:
            raise InvalidInput(f"coupon {self.id}: kind must be one of {COUPON_KINDS}, got {self.kind!r}")
        if self.issuer not in ISSUERS:
            raise InvalidInput(f"coupon {self.id}: issuer must be one of {ISSUERS}, got {self.issuer!r}")
        if self.kind in ("no_threshold", "threshold") and self.amount_cents <= 0:
            raise InvalidInput(f"coupon {self.id}: a {self.kind} coupon needs a positive amount")
        if self.kind == "threshold" and self.threshold_cents <= 0:
            raise InvalidInput(f"coupon {self.id}: a threshold coupon needs a positive threshold")
        if self.kind == "percentage" and not 0 < self.percent < 100:
            raise InvalidInput(f"coupon {self.id}: percent must be between 0 and 100, got {self.percent!r}")
        if self.threshold_cents < 0 or (self.max_discount_cents is not None and self.max_discount_cents <= 0):
            raise InvalidInput(f"coupon {self.id}: threshold and cap must be positive")
        for instant in (self.valid_from, self.valid_to):
            if instant is not None and instant.tzinfo is None:
                raise InvalidInput(f"coupon {self.id}: validity must be tz-aware")
        object.__setattr__(self, "categories", tuple(self.categories))
        object.__setattr__(self, "skus", tuple(self.skus))

    @property
    def stacking_group(self) -> str:
        return self.group or self.issuer

    def covers(self, line: "CartLine") -> bool:
        if not self.categories and not self.skus:
            return True
        return line.sku in self.skus or line.category in self.categories


@dataclass(frozen=True)
class CartLine:
    """One line of a cart or order: `quantity` × `unit_price_cents` of `sku`."""

    sku: str
    category: str
    unit_price_cents: int
    quantity: int = 1

    def __post_init__(self) -> None:
        if self.unit_price_cents < 0 or self.quantity < 1:
            raise InvalidInput(f"cart line {self.sku}: price must be ≥ 0 and quantity ≥ 1")

    @property
    def total_cents(self) -> int:
        return self.unit_price_cents * self.quantity


@dataclass(frozen=True)
class StackingRules:
    """How coupons combine (a shop or platform setting, from policy YAML).

    Attributes:
        issuer_order: Issuers in the order their coupons apply; each sees the prices the ones before left.
        one_per_group: At most one coupon per stacking group.
        threshold_after_previous: Thresholds are checked on the price after earlier coupons (True, as Tmall and JD
            do) or on the list price (False).
    """

    issuer_order: tuple[str, ...] = ("shop", "platform")
    one_per_group: bool = True
    threshold_after_previous: bool = True


@dataclass(frozen=True)
class Applied:
    """A coupon in the chosen combination and what it took off."""

    coupon_id: str
    discount_cents: int


@dataclass(frozen=True)
class StackResult:
    """The best legal combination.

    Attributes:
        subtotal_cents: The cart before coupons.
        applied: Coupons applied, in application order, each with its discount.
        discount_cents: Total taken off.
        final_cents: What the customer pays.
        rejected: Coupon id → why it is not in the combination ("expired", "threshold_not_met", ...).
        currency: The cart's currency.
    """

    subtotal_cents: int
    applied: tuple[Applied, ...]
    discount_cents: int
    final_cents: int
    rejected: dict[str, str] = field(default_factory=dict)
    currency: str = "CNY"

    def to_dict(self) -> dict[str, Any]:
        return {"subtotal_cents": self.subtotal_cents, "discount_cents": self.discount_cents,
                "final_cents": self.final_cents, "currency": self.currency,
                "applied": [{"coupon_id": a.coupon_id, "discount_cents": a.discount_cents} for a in self.applied],
                "rejected": dict(self.rejected)}


def best_stack(lines: Sequence[CartLine], coupons: Sequence[Coupon], now: datetime, *, currency: str = "CNY",
               rules: StackingRules = StackingRules()) -> StackResult:
    """The legal combination of `coupons` that takes the most off `lines` at `now` (ties: fewer coupons, then ids).

    Raises:
        InvalidInput: An empty cart, a naive `now`, duplicate coupon ids, or more combinations than can be searched.
    """
    if not lines:
        raise InvalidInput("the cart is empty")
    if now.tzinfo is None:
        raise InvalidInput("now must be tz-aware")
    ids = [c.id for c in coupons]
    if len(set(ids)) != len(ids):
        raise InvalidInput("a coupon is listed twice")
    subtotal = sum(line.total_cents for line in lines)
    rejected: dict[str, str] = {}
    usable = []
    for coupon in coupons:
        reason = _unusable(coupon, lines, now, currency, rules)
        if reason:
            rejected[coupon.id] = reason
        else:
            usable.append(coupon)
    best: tuple[int, int, tuple[str, ...]] | None = None
    best_applied: tuple[Applied, ...] = ()
    for combination in _combinations(usable, rules):
        applied = _apply(lines, combination, rules)
        if applied is None:
            continue
        total = sum(a.discount_cents for a in applied)
        key = (-total, len(applied), tuple(a.coupon_id for a in applied))
        if best is None or key < best:
            best, best_applied = key, applied
    chosen = {a.coupon_id for a in best_applied}
    for coupon in usable:
        if coupon.id not in chosen:
            rejected[coupon.id] = _why_left_out(coupon, best_applied, lines, usable, rules)
    discount = sum(a.discount_cents for a in best_applied)
    return StackResult(subtotal, best_applied, discount, subtotal - discount, rejected, currency)


def _unusable(coupon: Coupon, lines: Sequence[CartLine], now: datetime, currency: str, rules: StackingRules) -> str:
    if coupon.currency != currency:
        return "currency_mismatch"
    if coupon.valid_from is not None and now < coupon.valid_from:
        return "not_yet_valid"
    if coupon.valid_to is not None and now > coupon.valid_to:
        return "expired"
    if coupon.issuer not in rules.issuer_order:
        return "issuer_not_accepted"
    covered = [line for line in lines if coupon.covers(line)]
    if not covered:
        return "no_eligible_items"
    if coupon.threshold_cents and sum(line.total_cents for line in covered) < coupon.threshold_cents:
        return "threshold_not_met"
    return ""


def _combinations(usable: Sequence[Coupon], rules: StackingRules):
    """Every legal subset: none, each exclusive coupon alone, and the stackable ones at most one per group."""
    yield ()
    yield from ((c,) for c in usable if c.exclusive)
    shared = [c for c in usable if not c.exclusive]
    if rules.one_per_group:
        groups: dict[str, list[Coupon | None]] = {}
        for coupon in shared:
            groups.setdefault(coupon.stacking_group, [None]).append(coupon)
        choices = list(groups.values())
        count = 1
        for options in choices:
            count *= len(options)
    else:
        choices = [[None, c] for c in shared]
        count = 2 ** len(shared)
    if count > _MAX_COMBINATIONS:
        raise InvalidInput(f"{count} coupon combinations are too many to compare; offer fewer coupons")
    for choice in product(*choices):
        picked = tuple(c for c in choice if c is not None)
        if picked:
            yield picked


def _apply(lines: Sequence[CartLine], combination: Sequence[Coupon], rules: StackingRules
           ) -> tuple[Applied, ...] | None:
    """Apply issuer by issuer (within an issuer: amount coupons, then percentages, then by id); None if a threshold
    fails on the running price."""
    remaining = [line.total_cents for line in lines]
    order = {issuer: i for i, issuer in enumerate(rules.issuer_order)}
    kinds = {"threshold": 0, "no_threshold": 0, "percentage": 1}
    applied = []
    for coupon in sorted(combination, key=lambda c: (order[c.issuer], kinds[c.kind], c.id)):
        covered = [i for i, line in enumerate(lines) if coupon.covers(line)]
        base = sum(remaining[i] for i in covered)
        checked = base if rules.threshold_after_previous else sum(lines[i].total_cents for i in covered)
        if coupon.threshold_cents and checked < coupon.threshold_cents:
            return None
        if coupon.kind == "percentage":
            wanted = _percent(base, coupon.percent)
            if coupon.max_discount_cents is not None:
                wanted = min(wanted, coupon.max_discount_cents)
        else:
            wanted = coupon.amount_cents
        discount = min(wanted, base)
        _spread(remaining, covered, discount)
        applied.append(Applied(coupon.id, discount))
    return tuple(applied)


def _percent(cents: int, percent: float) -> int:
    share = Decimal(cents) * Decimal(repr(percent)) / 100
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _spread(remaining: list[int], covered: list[int], discount: int) -> None:
    """Take `discount` off the covered lines in proportion to what each still costs (largest remainders get the
    odd cents), so later coupons see each line's own remaining price."""
    base = sum(remaining[i] for i in covered)
    if base == 0 or discount == 0:
        return
    shares = [(remaining[i] * discount // base, (remaining[i] * discount) % base, i) for i in covered]
    left = discount - sum(s for s, _, _ in shares)
    for rank, (share, _, i) in enumerate(sorted(shares, key=lambda s: (-s[1], s[2]))):
        remaining[i] -= share + (1 if rank < left else 0)


def _why_left_out(coupon: Coupon, chosen: Sequence[Applied], lines: Sequence[CartLine], usable: Sequence[Coupon],
                  rules: StackingRules) -> str:
    by_id = {c.id: c for c in usable}
    picked = [by_id[a.coupon_id] for a in chosen]
    if coupon.exclusive and picked:
        return "exclusive_worse_than_chosen"
    if any(c.exclusive for c in picked):
        return "blocked_by_exclusive"
    if rules.one_per_group and any(c.stacking_group == coupon.stacking_group for c in picked):
        return "same_group_as_chosen"
    if _apply(lines, [*picked, coupon], rules) is None:
        return "threshold_not_met_after_other_coupons"
    return "no_gain"


__all__ = ["Applied", "CartLine", "Coupon", "StackResult", "StackingRules", "best_stack"]
