"""Money stays exact in cents from text to JSON and reads naturally per language."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from aftersales.errors import InvalidInput
from aftersales.money import Money, format_money, money_dict, parse_amount


@pytest.mark.parametrize(
    ("value", "cents"),
    [("269.00", 26900), ("99.99", 9999), (99.99, 9999), (0.1, 10), ("10", 1000), (10, 1000), (" 89.9 ", 8990),
     (Decimal("0.01"), 1), ("-3.50", -350), (1234567.89, 123456789)],
)
def test_parse_amount_is_exact(value, cents):
    assert parse_amount(value) == cents


@pytest.mark.parametrize("value", ["abc", "1.005", "", "NaN", "inf", True, None, 0.001])
def test_parse_amount_rejects_nonsense(value):
    with pytest.raises(InvalidInput):
        parse_amount(value)


def test_money_dict_has_float_and_cents():
    out = money_dict(2018, "CNY")
    assert out == {"amount": 20.18, "amount_cents": 2018, "currency": "CNY"}
    assert json.loads(json.dumps(Money(3000, "CNY").to_dict())) == {"amount": 30.0, "amount_cents": 3000,
                                                                   "currency": "CNY"}


@pytest.mark.parametrize(
    ("cents", "currency", "language", "text"),
    [(3000, "CNY", "zh", "30.00元"), (3000, "CNY", "en", "¥30.00"), (105, "CNY", "zh", "1.05元"),
     (123456789, "CNY", "en", "¥1,234,567.89"), (-350, "CNY", "en", "-¥3.50"), (1500, "IDR", "en", "Rp15"), (2500050, "IDR", "id", "Rp25.000,50"), (50000000, "VND", "vi", "500.000₫"),
     (700, "XYZ", "en", "7.00 XYZ"), (700, "USD", "zh", "$7.00")],
)
def test_format_money(cents, currency, language, text):
    assert format_money(cents, currency, language) == text
