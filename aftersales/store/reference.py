"""The shop's reference data as a turn reads it: kept in the replica between turns while the store's revision stands.

A text turn used to read the customer's account, their orders (twice), the products and the FAQ afresh, about a dozen
transactions of ORM loading for data that changes only when the shop's systems send it. `ReferenceReads` keeps what
it read, keyed by what was asked, and forgets all of it once the store's revision (one row, raised by every commit
that writes those tables, on any replica or node) moves: one small query a turn instead of the dozen. What a turn
sees is never older than the revision it read at its start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aftersales.errors import NotFound

if TYPE_CHECKING:
    from aftersales.policy.stacking import Coupon
    from aftersales.store.core import Store
    from aftersales.store.views import CustomerView, FaqView, OrderView, ProductView

T = TypeVar("T")

# Readings kept at most; past it they are all dropped and read again (a promotion brings many customers).
MAX_ENTRIES = 50_000


class ReferenceReads:
    """Read-through memo of `store`'s customers, products, orders, coupons and FAQ. Thread-safe.

    Call `refresh()` at the start of each turn; the reads then answer from what this replica has read since the
    revision last moved. A missing order, product or listing is remembered too (its creation moves the revision);
    a missing customer is not (a first turn creates it without moving the revision).
    """

    def __init__(self, store: Store, max_entries: int = MAX_ENTRIES):
        self.store = store
        self.max_entries = max_entries
        self._memo: dict[tuple[Any, ...], tuple[Any, NotFound | None]] = {}
        self._revision: int | None = None
        self._lock = threading.Lock()

    def refresh(self) -> int:
        """Read the store's revision; forget every reading when it moved. Returns the revision."""
        revision = self.store.revision()
        with self._lock:
            if revision != self._revision:
                self._memo = {}
                self._revision = revision
        return revision

    def _read(self, key: tuple[Any, ...], load: Callable[[], T], *, keep_missing: bool = True) -> T:
        memo = self._memo
        hit = memo.get(key)
        if hit is None:
            try:
                hit = (load(), None)
            except NotFound as missing:
                if not keep_missing:
                    raise
                hit = (None, missing)
            if len(memo) >= self.max_entries:
                memo.clear()
            memo[key] = hit
        value, missing = hit
        if missing is not None:
            raise missing
        return value

    def customer_for(self, channel: str, external_id: str) -> CustomerView:
        return self._read(("customer", channel, external_id), lambda: self.store.customer_for(channel, external_id),
                          keep_missing=False)

    def get_product(self, sku: str) -> ProductView:
        return self._read(("product", sku), lambda: self.store.get_product(sku))

    def products(self) -> list[ProductView]:
        return list(self._read(("products",), lambda: tuple(self.store.products())))

    def product_listed(self, channel: str | None, item_id: str | None = None, url: str | None = None) -> ProductView:
        return self._read(("listed", channel, item_id, url), lambda: self.store.product_listed(channel, item_id, url))

    def get_order(self, order_id: str) -> OrderView:
        return self._read(("order", order_id), lambda: self.store.get_order(order_id))

    def orders_for(self, customer_id: str) -> list[OrderView]:
        return list(self._read(("orders", customer_id), lambda: tuple(self.store.orders_for(customer_id))))

    def coupons_for(self, customer_id: str) -> list[Coupon]:
        return list(self._read(("coupons", customer_id), lambda: tuple(self.store.coupons_for(customer_id))))

    def faqs(self) -> list[FaqView]:
        return list(self._read(("faqs",), lambda: tuple(self.store.faqs())))
