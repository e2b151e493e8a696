"""The cross-border rule: duty- and tax-free limits of the destination country, by effective date, with sources.

Answers about a duty-free limit come from the rule of the order's destination country in force on the day asked,
and say where the figure comes from. Whether the order is over the limit is computed only with an exchange rate the
shop configured (with its date), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from aftersales.policy.decisions import Action, Case, Decision
from aftersales.money import Money
from aftersales.policy.config import Currency, PolicySettings, Strict, Text, cents
from aftersales.policy.rules.base import Rule, RuleFile

CROSS_BORDER_COUNTRIES = ("ID", "TH", "VN", "MY", "PH", "SG")


@dataclass(frozen=True)
class CountryRule:
    """One country's import rule from `effective_from` on (until the next entry of that country).

    Attributes:
        country: ISO 3166-1 alpha-2 code.
        effective_from: First day the rule applies (in the shop's zone).
        limit_cents: Duty-free limit in `currency` cents (0: no de-minimis at all).
        currency: Currency of the limit.
        basis: Language → what the limit is measured on ("FOB value per consignment", ...).
        note: Language → one or two sentences on duty and import tax above the limit.
        source: Where the figure comes from (regulation, authority).
    """

    country: str
    effective_from: date
    limit_cents: int
    currency: str
    basis: dict[str, str]
    note: dict[str, str]
    source: str


@dataclass(frozen=True)
class CrossBorderParams:
    """Country rules and the exchange rates the shop maintains.

    Attributes:
        countries: Country → its rules, oldest first.
        rates: (from currency, to currency) → (rate, as-of date): `1 from = rate to`.
    """

    countries: dict[str, tuple[CountryRule, ...]]
    rates: dict[tuple[str, str], tuple[Decimal, date]]

    def rule_on(self, country: str, day: date) -> CountryRule | None:
        """The rule in force in `country` on `day`; None when the country has none (yet)."""
        current = None
        for rule in self.countries.get(country, ()):
            if rule.effective_from <= day:
                current = rule
        return current


def _texts(value: Any) -> dict[str, str]:
    """A text given per language: {en: ..., zh: ...} (English required: replies in other languages fall back to it)."""
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and 2 <= len(k) <= 3 and isinstance(v, str) and v.strip() for k, v in value.items()):
        raise ValueError("expected a mapping of language code → text")
    if "en" not in value:
        raise ValueError("needs an English text (en)")
    return dict(value)


def _day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _country(code: Any) -> str:
    if not isinstance(code, str) or len(code) != 2 or not code.isalpha() or not code.isupper():
        raise ValueError("country codes are ISO 3166-1 alpha-2, upper case (ID, TH, ...)")
    return code


def _limit_cents(value: Any) -> int:
    limit = cents(value)
    if limit < 0:
        raise ValueError("must not be negative")
    return limit


def _rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("expected a number") from None
    if not rate.is_finite() or rate <= 0:
        raise ValueError("must be a positive number")
    return rate


Texts = Annotated[dict[str, str], BeforeValidator(_texts)]
Day = Annotated[date, BeforeValidator(_day)]


class _LimitFile(Strict):
    amount: Annotated[int, BeforeValidator(_limit_cents)]
    currency: Currency
    basis: Texts


class _EntryFile(Strict):
    effective_from: Day
    duty_free_limit: _LimitFile
    note: Texts
    source: Text


def _one_per_day(entries: list[_EntryFile]) -> list[_EntryFile]:
    dates = [e.effective_from for e in entries]
    if len(set(dates)) != len(dates):
        raise ValueError("two rules take effect on the same day")
    return entries


class _RateFile(Strict):
    from_: Currency = Field(alias="from")
    to: Currency
    rate: Annotated[Decimal, BeforeValidator(_rate)]
    as_of: Day


class CrossBorderFile(RuleFile):
    countries: dict[Annotated[str, BeforeValidator(_country)],
                    Annotated[list[_EntryFile], Field(min_length=1), AfterValidator(_one_per_day)]]
    exchange_rates: list[_RateFile] = []

    def params(self) -> CrossBorderParams:
        countries = {code: tuple(sorted((CountryRule(code, e.effective_from, e.duty_free_limit.amount,
                                                     e.duty_free_limit.currency, e.duty_free_limit.basis, e.note,
                                                     e.source) for e in entries), key=lambda x: x.effective_from))
                     for code, entries in self.countries.items()}
        rates = {(x.from_, x.to): (x.rate, x.as_of) for x in self.exchange_rates}
        return CrossBorderParams(countries, rates)


def cross_border(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    p: CrossBorderParams = rule.params
    order = case.order
    if order is None:  # the engine asks for the order first; this guards direct callers
        return Decision(f"{rule.id}.need_order", {"intent": case.intent}, [Action("need_order_info")])
    country = order.destination_country
    today = case.now.astimezone(settings.timezone).date()
    found = p.rule_on(country, today)
    inputs: dict[str, Any] = {"order_id": order.id, "destination_country": country, "on": today}
    if found is None:
        return Decision(f"{rule.id}.no_rule", inputs, [Action("explain_no_duty_rule", params={"country": country})])
    value = sum(item.unit_price_cents * item.quantity for item in order.items)
    inputs.update({"rule_effective_from": found.effective_from, "source": found.source,
                   "limit": Money(found.limit_cents, found.currency), "basis": found.basis,
                   "order_value": Money(value, order.currency)})
    over: bool | None = None
    if order.currency == found.currency:
        inputs["order_value_converted"] = Money(value, order.currency)
        over = value > found.limit_cents
    elif (converted := _convert(value, order.currency, found.currency, p)) is not None:
        cents, rate, as_of = converted
        inputs.update({"order_value_converted": Money(cents, found.currency), "exchange_rate": str(rate),
                       "exchange_rate_as_of": as_of})
        over = cents > found.limit_cents
    inputs["over_limit"] = over
    variant = "none" if found.limit_cents == 0 else "over" if over else "under" if over is not None else "limit"
    action = Action("explain_duty_limit", found.limit_cents, found.currency, {
        "variant": variant, "country": country, "basis": found.basis, "source": found.source,
        "effective_from": found.effective_from, "note": found.note, "order_value": Money(value, order.currency)})
    return Decision(rule.id, inputs, [action])


def _convert(cents: int, source: str, target: str, p: CrossBorderParams) -> tuple[int, Decimal, date] | None:
    if (source, target) in p.rates:
        rate, as_of = p.rates[(source, target)]
    elif (target, source) in p.rates:
        inverse, as_of = p.rates[(target, source)]
        rate = Decimal(1) / inverse
    else:
        return None
    converted = (Decimal(cents) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(converted), rate, as_of


__all__ = ["CROSS_BORDER_COUNTRIES", "CountryRule", "CrossBorderParams", "CrossBorderFile", "cross_border"]
