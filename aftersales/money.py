"""Money as integer cents (fen): parsing, JSON output and human formatting. Never floats inside."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from aftersales.errors import InvalidInput

# Symbol written before the amount in every language but Chinese CNY, which reads "30.00元".
CURRENCY_SYMBOLS: dict[str, str] = {
    "CNY": "¥",
    "USD": "$",
    "SGD": "S$",
    "MYR": "RM",
    "IDR": "Rp",
    "THB": "฿",
    "VND": "₫",
    "PHP": "₱",
}


# Currencies whose minor unit exists only on paper: a whole amount is written without ".00".
_NO_MINOR_UNITS = frozenset({"IDR", "VND"})
# (thousands, decimal) separators where they differ from "1,234.56".
_SEPARATORS = {"id": (".", ","), "vi": (".", ",")}


@dataclass(frozen=True)
class Money:
    """An amount of one currency.

    Attributes:
        cents: Amount in the currency's minor unit (fen for CNY); may be negative for differences.
        currency: ISO 4217 code, upper case.
    """

    cents: int
    currency: str

    def to_dict(self) -> dict[str, Any]:
        return money_dict(self.cents, self.currency)

    def __str__(self) -> str:
        return format_money(self.cents, self.currency, "en")


def parse_amount(value: str | int | float | Decimal) -> int:
    """"269.00", 269, 10.5 → cents, exactly; more than two decimals or non-numbers raise InvalidInput.

    Floats are accepted only because YAML reads `10.00` as one; they go through their shortest repr, so 99.99 stays
    9999 and never becomes 9998.
    """
    if isinstance(value, bool):
        raise InvalidInput(f"not an amount: {value!r}")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"not an amount: {value!r}") from None
    if not number.is_finite():
        raise InvalidInput(f"not an amount: {value!r}")
    cents = number * 100
    if cents != cents.to_integral_value():
        raise InvalidInput(f"amount {value!r} has more than two decimals")
    return int(cents)


def percent_of(cents: int, percent: int | float) -> int:
    """`percent` % of `cents`, rounded half up to the cent (20 % of 199.99 → 40.00), computed in Decimal."""
    from decimal import ROUND_HALF_UP

    share = Decimal(cents) * Decimal(repr(percent) if isinstance(percent, float) else str(percent)) / 100
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(cents: int) -> float:
    """Cents → a float with two decimals, for JSON only (30.0 for 3000)."""
    return round(cents / 100, 2)


def money_dict(cents: int, currency: str) -> dict[str, Any]:
    return {"amount": to_major(cents), "amount_cents": cents, "currency": currency}


def format_money(cents: int, currency: str, language: str) -> str:
    """3000 CNY → "30.00元" in Chinese, "¥30.00" otherwise; rupiah and dong, which have no coins in use, drop a zero
    fraction ("Rp25.000" in Indonesian, "500.000₫" in Vietnamese, which group thousands with dots); unknown
    currencies read "30.00 XXX"."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    group, point = _SEPARATORS.get(language, (",", "."))
    digits = f"{whole:,}".replace(",", group) if language != "zh" else str(whole)
    if not (currency in _NO_MINOR_UNITS and frac == 0):
        digits += f"{point}{frac:02d}"
    if language == "zh" and currency == "CNY":
        return f"{sign}{digits}元"
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol and language == "vi" and currency == "VND":
        return f"{sign}{digits}{symbol}"
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"