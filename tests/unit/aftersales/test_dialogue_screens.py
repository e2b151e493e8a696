"""Turns that carry screenshots: what the screen says names the order and fills what the words left out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.dialogue import with_screen_slots
from aftersales.errors import InvalidInput
from aftersales.integrations.ingest import OrderIn
from aftersales.understanding.keywords import KeywordUnderstanding
from tests.unit.aftersales.test_dialogue import NOW, service, store, turn  # noqa: F401  (fixtures)


@pytest.fixture()
def two_orders(store):
    """C1001 has O1001 (the cardigan, delivered) and a second order, O1042, shipped with a tracking number."""
    paid = (NOW - timedelta(days=2)).isoformat()
    store.put_order("O1042", OrderIn.model_validate({
        "customer_id": "C1001", "status": "shipped", "currency": "CNY", "created_at": paid, "paid_at": paid,
        "shipped_at": (NOW - timedelta(days=1)).isoformat(), "carrier": "SF", "tracking_number": "SF1234567890123",
        "items": [{"sku": "KF-HM-001", "quantity": 1, "unit_price": "89.00"}]}))
    return store


def test_the_order_on_a_screenshot_is_the_one_the_turn_is_about_even_read_with_a_zero(service, two_orders):
    result = service.handle(turn("C1001", "这个单什么时候到", screens=("订单编号：01042\n实付款 ¥89.00\n运输中",)))
    assert result.order_id == "O1042"


def test_a_tracking_number_on_a_label_names_its_order(service, two_orders):
    result = service.handle(turn("C1001", "where is this parcel?", screens=("SF EXPRESS\nTracking number:\n"
                                                                              "SF1234567890123\nShip to: Lee",)))
    assert result.order_id == "O1042"
    typed = service.handle(turn("C1001", "运单号SF1234567890123到哪了", conversation="typed"))
    assert typed.order_id == "O1042"


def test_an_order_id_typed_exactly_is_never_matched_loosely(service, two_orders):
    plain = service.handle(turn("C1001", "订单O1001什么时候到", conversation="plain"))
    assert plain.order_id == "O1001"


def test_a_screenshot_sent_alone_is_read_as_the_message(service, two_orders):
    result = service.handle(turn("C1001", screens=("Order O1042\nShipped - in transit\nTracking SF1234567890123",)))
    assert result.order_id == "O1042" and result.intent == "logistics_status"


def test_the_screens_text_is_kept_with_the_customers_message(service, two_orders, store):
    service.handle(turn("C1001", "看下这个", conversation="kept", screens=("订单编号：O1042\n实付款 ¥89.00",)))
    said = [m for m in store.messages("kept") if m.role == "customer"][0]
    assert said.text == "看下这个" and said.payload["screens"] == ["订单编号：O1042\n实付款 ¥89.00"]


def test_screen_slots_fill_only_what_the_words_left_empty():
    understood = KeywordUnderstanding().understand("降价了，订单O1001，差价¥30", "zh")
    filled = with_screen_slots(understood, "订单编号：O1042\n实付款 ¥89.00\n运单号 SF1234567890123", "zh")
    assert filled.slots["order_id"] == "O1001" and filled.slots["amounts"] == understood.slots["amounts"]
    assert filled.slots["tracking_number"] == "SF1234567890123"


@pytest.mark.parametrize("screens", ["订单编号：O1042", [1, 2]])
def test_screens_must_be_a_list_of_texts(screens):
    with pytest.raises(InvalidInput):
        turn("C1001", "hi", screens=screens)
