"""The ingest contract: what an ERP or webhook may send, and the field path of whatever is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aftersales.integrations.ingest import CouponIn, CustomerIn, OrderIn, ProductIn

ORDER = {"customer_id": "C1", "status": "delivered", "currency": "cny", "created_at": "2026-11-01T10:00:00+08:00",
         "paid_at": "2026-11-01T10:01:00+08:00", "shipped_at": "2026-11-02T09:00:00+08:00",
         "delivered_at": "2026-11-04T15:00:00+08:00", "destination_country": "id",
         "items": [{"sku": "KF-SW-002", "quantity": 2, "unit_price": "329.00"}, {"sku": "M", "quantity": 1,
                                                                                 "unit_price": 59.9}]}


def errors(model, data) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()]


def test_a_good_order_is_normalised_to_cents_and_codes():
    order = OrderIn.model_validate(ORDER)
    assert (order.currency, order.destination_country) == ("CNY", "ID")
    assert [i.unit_price_cents for i in order.items] == [32900, 5990]  # 59.9 read exactly, never 5989


@pytest.mark.parametrize(("change", "where", "message"), [
    ({"items": [{"sku": "A", "quantity": 1, "unit_price": "1.005"}]}, "items.0.unit_price", "two decimals"),
    ({"items": [{"sku": "A", "quantity": 1, "unit_price": "-1"}]}, "items.0.unit_price", "negative"),
    ({"items": [{"sku": "A", "quantity": 0, "unit_price": "1"}]}, "items.0.quantity", "greater than"),
    ({"items": []}, "items", "at least 1"),
    ({"status": "lost"}, "status", "Input should be"),
    ({"currency": "yuan"}, "currency", "pattern"),
    ({"paid_at": "2026-11-01 10:01:00"}, "paid_at", "timezone"),
    ({"delivered_at": "2026-11-01T09:00:00+08:00"}, "", "delivered_at is before shipped_at"),
    ({"status": "shipped", "shipped_at": None, "delivered_at": None}, "", "needs shipped_at"),
    ({"items": [{"sku": "A", "quantity": 1, "unit_price": 1}] * 2}, "", "each sku appears once"),
    ({"coupons": ["X", "X"]}, "", "listed twice"),
    ({"colour": "red"}, "colour", "Extra inputs"),
])
def test_a_bad_order_names_the_field(change, where, message):
    found = errors(OrderIn, {**ORDER, **change})
    assert any(path == where and message in text for path, text in found), found


def test_products_customers_and_coupons():
    product = ProductIn.model_validate({"title": "毛衣", "category": "apparel", "price": "329.00", "currency": "CNY",
                                        "price_history": [{"price": "359.00",
                                                           "effective_at": "2026-10-01T00:00:00+08:00"}]})
    assert product.price_history[0].price == "359.00"
    assert ("identities.0.channel", "Input should be 'tmall', 'jd', 'douyin', 'wechat', 'app', 'phone', 'web', "
            "'shopee' or 'lazada'") in errors(CustomerIn, {"identities": [{"channel": "fax", "external_id": "x"}]})
    assert any("needs a threshold" in m for _, m in errors(CouponIn, {"kind": "threshold", "amount": "20"}))
    assert any(p == "percent" for p, _ in errors(CouponIn, {"kind": "percentage", "percent": 120}))
    assert any("before valid_from" in m for _, m in errors(CouponIn, {
        "kind": "no_threshold", "amount": 5, "valid_from": "2026-11-02T00:00:00Z", "valid_to": "2026-11-01T00:00:00Z"}))
    assert any(p == "price" for p, _ in errors(ProductIn, {"title": "x", "category": "c", "price": "abc",
                                                          "currency": "CNY"}))
