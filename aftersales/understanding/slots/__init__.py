"""Slot values in a chat message in any of kefu's seven languages: order ids, phone numbers, tracking numbers, amounts,
dates, a new address.

One module an idea: order ids and phones (order_ids), money (amounts), dates (dates), the new address (addresses);
`extract` runs them in the order that lets each skip what an earlier one took (a phone is no order id, an order id
no amount, a house number no date).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from aftersales.errors import InvalidInput
from aftersales.understanding.slots import order_ids
from aftersales.understanding.slots.addresses import address_shaped, new_address
from aftersales.understanding.slots.amounts import amounts, zh_number
from aftersales.understanding.slots.dates import DEFAULT_YEAR, dates
from aftersales.understanding.slots.order_ids import written_order

__all__ = ["DEFAULT_YEAR", "Slots", "address_shaped", "extract", "fold", "new_address", "written_order", "zh_number"]


@dataclass(frozen=True)
class Slots:
    """The slot values of one message.

    Attributes:
        order_id: The order id written, upper-cased, None when none.
        phone: A phone number, digits (and a leading +) only.
        amounts: Money written, in minor units (cents), in order of appearance.
        dates: Dates written, ISO (the year DEFAULT_YEAR where none is written).
        new_address: The address the customer asks to change to, as written.
        tracking_number: A parcel's tracking number, upper-cased, None when none.
    """

    order_id: str | None = None
    phone: str | None = None
    amounts: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    new_address: str | None = None
    tracking_number: str | None = None


def fold(text: str) -> str:
    """Lower case without diacritics (Vietnamese typed without them reads the same): "Địa chỉ" → "dia chi"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def extract(text: str, language: str | None = None) -> Slots:
    """Every slot of `text` (NFKC-normalised by the caller or not); `language` picks date order and separators."""
    if not isinstance(text, str):
        raise InvalidInput(f"text must be a string, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text)
    phones = order_ids.phones(text)
    tracking = order_ids.tracking_numbers(text)
    order_id = order_ids.order_id(text, phones, tracking)
    taken = [order_id] if order_id else []
    id_spans = _spans(text, taken) + [(start, end) for start, end, _ in [*phones, *tracking]]
    money, money_spans = amounts(text, language, id_spans)
    address = new_address(text, id_spans)
    # A unit or house number in the address ("Jalan Kemuning 2/4", "Blok H5/12") is not a date.
    address_spans = _spans(text, [address]) if address else []
    return Slots(order_id=order_id.upper() if order_id else None,
                 phone=re.sub(r"[^\d+]", "", phones[0][2]) if phones else None,
                 amounts=money,
                 dates=dates(text, language, [*money_spans, *id_spans, *address_spans]),
                 new_address=address,
                 tracking_number=tracking[0][2].upper() if tracking else None)


def _spans(text: str, values: list[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for v in values for m in re.finditer(re.escape(v), text)]
