"""What a turn keeps of the shop's reference data, and when it must read it again: the store's revision moves on
every commit that writes customers, products, prices, orders, coupons or FAQ, on either backend and from any other
replica, and never for what a turn writes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.dialogue import DialogueService
from aftersales.errors import NotFound
from aftersales.integrations.ingest import CouponIn, CustomerIn, FaqIn, OrderIn, ProductIn
from aftersales.integrations.seed import seed_demo
from aftersales.policy.engine import PolicyEngine
from aftersales.replies.templates import ReplyWriter
from aftersales.store.core import Store
from aftersales.store.reference import ReferenceReads
from aftersales.understanding.keywords import KeywordUnderstanding
from tests.unit.aftersales.test_dialogue import NOW, ROOT, turn

CATALOG = ROOT / "catalog_index" / "demo" / "catalog.csv"


@pytest.fixture()
def replicas(store_url):
    """Two stores on one database, as the Dialogue and Desk replicas of one shop hold them."""
    first = Store(store_url)
    seed_demo(first, CATALOG, NOW)
    second = Store(store_url)
    yield first, second
    first.close()
    second.close()


ORDER = {"customer_id": "C1001", "status": "paid", "currency": "CNY", "created_at": NOW.isoformat(),
         "paid_at": NOW.isoformat(), "items": [{"sku": "KF-SW-001", "quantity": 1, "unit_price": "10.00"}]}
WRITES = {
    "put_order": lambda s: s.put_order("O-NEW", OrderIn.model_validate(ORDER)),
    "put_product": lambda s: s.put_product("SKU-NEW", ProductIn.model_validate(
        {"title": "New mug", "category": "home", "price": "9.90", "currency": "CNY", "stock": 1}), NOW),
    "put_coupon": lambda s: s.put_coupon("CP-NEW", CouponIn.model_validate(
        {"kind": "no_threshold", "amount": "5.00", "currency": "CNY"})),
    "put_faq": lambda s: s.put_faq("FAQ-NEW", FaqIn.model_validate(
        {"language": "en", "question": "Do you ship to Mars?", "answer": "Not yet."})),
    "put_customer": lambda s: s.put_customer("C1001", CustomerIn.model_validate({"name": "Li", "language": "en"})),
    "price_history": lambda s: s.replace_price_history("KF-SW-001", [(100, NOW - timedelta(days=1))]),
    "customer_renamed": lambda s: s.ensure_customer("C1001", name="Wang"),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_reference_write_moves_the_revision_seen_by_another_replica(replicas, write):
    first, second = replicas
    before = second.revision()
    WRITES[write](first)
    assert second.revision() == before + 1


def test_what_a_turn_writes_leaves_the_revision_where_it_was(replicas):
    first, second = replicas
    service = DialogueService(first, PolicyEngine.from_dir(ROOT / "configs" / "policies"), KeywordUnderstanding(),
                              ReplyWriter(), clock=lambda: NOW)
    before = second.revision()
    service.handle(turn("C1001", "我的订单发货了吗", conversation="a"))
    service.handle(turn("first-contact", "hello, where is my parcel?", conversation="b"))  # a new customer
    first.queue_handoff("a", "asked_human", NOW)
    assert second.revision() == before
    assert first.customer_for("web", "first-contact").id == "first-contact"


def test_kept_readings_answer_without_the_store_until_the_revision_moves(replicas):
    first, second = replicas
    reads = ReferenceReads(first)
    loads = []
    orders_for = first.orders_for
    first.orders_for = lambda customer: loads.append(customer) or orders_for(customer)
    reads.refresh()
    seen = [o.id for o in reads.orders_for("C1001")]
    reads.refresh()
    assert [o.id for o in reads.orders_for("C1001")] == seen and loads == ["C1001"]
    with pytest.raises(NotFound):
        reads.get_order("O-NEW")
    WRITES["put_order"](second)  # another replica ingests an order
    with pytest.raises(NotFound):  # within the turn that read the old revision, the absence stands
        reads.get_order("O-NEW")
    reads.refresh()
    assert reads.get_order("O-NEW").id == "O-NEW"
    assert "O-NEW" in [o.id for o in reads.orders_for("C1001")] and loads == ["C1001", "C1001"]


def test_a_missing_customer_is_read_again_while_a_kept_one_is_not(replicas):
    first, _ = replicas
    reads = ReferenceReads(first)
    reads.refresh()
    with pytest.raises(NotFound):
        reads.customer_for("web", "newcomer")
    first.ensure_customer("newcomer", "web")  # a first turn: the revision stays
    reads.refresh()
    assert reads.customer_for("web", "newcomer").id == "newcomer"


def test_readings_past_the_bound_are_dropped_and_read_again(replicas):
    first, _ = replicas
    reads = ReferenceReads(first, max_entries=3)
    reads.refresh()
    skus = [p.sku for p in first.products()][:5]
    for sku in skus:
        reads.get_product(sku)
    assert len(reads._memo) <= 3
    assert [reads.get_product(sku).sku for sku in skus] == skus


def test_a_turn_sees_an_order_shipped_by_another_replica(replicas):
    first, second = replicas
    service = DialogueService(first, PolicyEngine.from_dir(ROOT / "configs" / "policies"), KeywordUnderstanding(),
                              ReplyWriter(), clock=lambda: NOW)
    asked = service.handle(turn("C1001", "O-NEW 发货了吗", conversation="a", order_id=None))
    assert asked.order_id != "O-NEW"
    WRITES["put_order"](second)
    again = service.handle(turn("C1001", "O-NEW 发货了吗", conversation="a", order_id="O-NEW"))
    assert again.order_id == "O-NEW"
