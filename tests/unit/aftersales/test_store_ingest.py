"""The store side of the ingest API on SQLite and PostgreSQL: PUTs create then update, the same body twice changes
nothing, unknown references name their field, coupons a customer may still use, and an older database upgrades."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, Text, insert, inspect

from aftersales.policy.stacking import Coupon
from aftersales.store.crypto import KeyRing, new_key
from aftersales.errors import Conflict, InvalidInput, NotFound, UnknownReference
from aftersales.integrations.ingest import CouponIn, CustomerIn, FaqIn, OrderIn, ProductIn
from aftersales.store.core import Store
from aftersales.store.sql import make_engine
from aftersales.store.tables import Base, UTCDateTime, identifier
from aftersales.store.views import LogisticsEventView

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture()
def store(store_url) -> Iterator[Store]:
    store = Store(store_url)
    yield store
    store.close()


def product(price: str = "329.00", **kw: Any) -> ProductIn:
    return ProductIn.model_validate({"title": "毛衣", "category": "apparel", "price": price, "currency": "cny",
                                     "stock": 4, "style_tags": ["knit"], **kw})


def order(**kw: Any) -> OrderIn:
    body = {"customer_id": "C1", "status": "shipped", "currency": "CNY", "created_at": "2026-11-01T10:00:00+08:00",
            "paid_at": "2026-11-01T10:01:00+08:00", "shipped_at": "2026-11-02T09:00:00+08:00",
            "carrier": "SF Express", "tracking_number": "SF1234567890",
            "items": [{"sku": "S1", "quantity": 2, "unit_price": "299.00"}, {"sku": "S2", "quantity": 1,
                                                                             "unit_price": 59.9}],
            "logistics": [
                {"at": "2026-11-03T08:00:00+08:00", "status": "in_transit", "location": "杭州"},
                {"at": "2026-11-02T09:30:00+08:00", "status": "picked_up", "description": "已揽收",
                 "location": "上海"},
            ], **kw}
    return OrderIn.model_validate(body)


def coupon(**kw: Any) -> CouponIn:
    return CouponIn.model_validate({"kind": "no_threshold", "amount": "10", **kw})


def history(store: Store, sku: str = "S1") -> list[tuple[int, datetime]]:
    return [(p.price_cents, p.effective_at) for p in store.price_history(sku)]


def with_catalog(store: Store) -> Store:
    store.put_product("S1", product(), NOW)
    store.put_product("S2", product("59.90"), NOW)
    return store


def test_put_customer_creates_then_updates_and_adds_identities(store):
    body = CustomerIn.model_validate({"name": "王丽", "language": "zh",
                                      "identities": [{"channel": "tmall", "external_id": "tb_wl"}]})
    assert store.put_customer("C1", body) is True
    assert store.put_customer("C1", body) is False
    assert store.counts()["customers"] == 1 and store.counts()["channel_identities"] == 1
    renamed = CustomerIn.model_validate({"name": "Wang Li", "identities": [{"channel": "app", "external_id": "C1"}]})
    assert store.put_customer("C1", renamed) is False
    customer = store.get_customer("C1")
    assert (customer.name, customer.language) == ("Wang Li", None)
    # Identities are added, never dropped by a body that leaves them out.
    assert store.customer_for("tmall", "tb_wl").id == "C1" and store.customer_for("app", "C1").id == "C1"


def test_an_identity_of_another_customer_is_a_conflict_and_writes_nothing(store):
    store.put_customer("C1", CustomerIn.model_validate({"identities": [{"channel": "jd", "external_id": "x"}]}))
    taken = CustomerIn.model_validate({"name": "Other", "identities": [
        {"channel": "web", "external_id": "C2"}, {"channel": "jd", "external_id": "x"}]})
    with pytest.raises(Conflict, match="identities.1"):
        store.put_customer("C2", taken)
    assert store.counts()["customers"] == 1 and store.counts()["channel_identities"] == 1
    with pytest.raises(InvalidInput):
        store.put_customer("C\x00", CustomerIn())


def test_put_product_records_the_current_price_once(store):
    assert store.put_product("S1", product(), NOW) is True
    assert history(store) == [(32900, NOW)]
    # The same body later adds no point.
    assert store.put_product("S1", product(), NOW + timedelta(days=1)) is False
    assert history(store) == [(32900, NOW)]
    store.put_product("S1", product("299.00", stock=0, presale=True), NOW + timedelta(days=2))
    assert history(store) == [(32900, NOW), (29900, NOW + timedelta(days=2))]
    got = store.get_product("S1")
    assert (got.price_cents, got.currency, got.stock, got.presale, got.style_tags) == (29900, "CNY", 0, True,
                                                                                        ("knit",))


def test_given_price_history_replaces_the_stored_one(store):
    earlier = NOW - timedelta(days=30)
    store.put_product("S1", product(), NOW - timedelta(days=5))
    body = product("299.00", price_history=[{"price": "359.00", "effective_at": earlier.isoformat()}])
    store.put_product("S1", body, NOW)
    assert history(store) == [(35900, earlier), (29900, NOW)]
    # Re-sent later: the point the current price got stays where it was, nothing is added.
    for later in (NOW + timedelta(hours=1), NOW + timedelta(days=3)):
        store.put_product("S1", body, later)
        assert history(store) == [(35900, earlier), (29900, NOW)]
    # A history that ends at the current price needs no point of the store's.
    ends_current = product("299.00", price_history=[
        {"price": "359.00", "effective_at": earlier.isoformat()},
        {"price": "299.00", "effective_at": (earlier + timedelta(days=1)).isoformat()}])
    store.put_product("S1", ends_current, NOW + timedelta(days=4))
    assert history(store) == [(35900, earlier), (29900, earlier + timedelta(days=1))]
    # No history, or an empty one (a body passed on as JSON lists every field): the stored history stays.
    for body in (product("299.00"), ProductIn.model_validate(product("299.00").model_dump(mode="json"))):
        store.put_product("S1", body, NOW + timedelta(days=5))
        assert history(store) == [(35900, earlier), (29900, earlier + timedelta(days=1))]
    assert store.counts()["price_history"] == 2
    twice = product(price_history=[{"price": "1", "effective_at": earlier.isoformat()},
                                   {"price": "2", "effective_at": earlier.astimezone(SHANGHAI).isoformat()}])
    with pytest.raises(InvalidInput, match="same time"):
        store.put_product("S1", twice, NOW)


def test_put_order_creates_the_customer_then_replaces_the_order(store):
    with_catalog(store)
    assert store.put_order("O1", order()) is True
    assert store.get_customer("C1").name == ""
    first = store.get_order("O1")
    assert [(i.sku, i.quantity, i.unit_price_cents) for i in first.items] == [("S1", 2, 29900), ("S2", 1, 5990)]
    assert (first.carrier, first.tracking_number, first.status) == ("SF Express", "SF1234567890", "shipped")
    assert store.put_order("O1", order()) is False
    assert store.get_order("O1") == first
    counts = store.counts()
    assert (counts["orders"], counts["order_items"], counts["logistics_events"]) == (1, 2, 2)
    delivered = order(status="delivered", delivered_at="2026-11-04T15:00:00+08:00", carrier="",
                      items=[{"sku": "S2", "quantity": 3, "unit_price": "50"}], logistics=[])
    assert store.put_order("O1", delivered) is False
    after = store.get_order("O1")
    assert [(i.sku, i.quantity) for i in after.items] == [("S2", 3)] and after.logistics == ()
    assert after.carrier == "" and after.delivered_at == datetime(2026, 11, 4, 7, 0, tzinfo=timezone.utc)
    assert store.counts()["order_items"] == 1 and store.counts()["logistics_events"] == 0


def test_logistics_events_round_trip_oldest_first_in_utc(store):
    with_catalog(store)
    store.put_order("O1", order())
    events = store.get_order("O1").logistics
    assert events == (
        LogisticsEventView(datetime(2026, 11, 2, 1, 30, tzinfo=timezone.utc), "picked_up", "已揽收", "上海"),
        LogisticsEventView(datetime(2026, 11, 3, 0, 0, tzinfo=timezone.utc), "in_transit", "", "杭州"),
    )
    assert all(e.at.tzinfo == timezone.utc for e in events)
    assert store.orders_for("C1")[0].logistics == events


def test_unknown_references_name_their_field_and_write_nothing(store):
    with_catalog(store)
    items = [{"sku": "S1", "quantity": 1, "unit_price": 1}, {"sku": "NOPE", "quantity": 1, "unit_price": 1}]
    with pytest.raises(UnknownReference) as caught:
        store.put_order("O1", order(customer_id="C9", items=items))
    assert (caught.value.field, caught.value.kind, caught.value.key) == ("items.1.sku", "product", "NOPE")
    assert isinstance(caught.value, InvalidInput) and caught.value.code == "unknown_reference"
    store.put_coupon("K1", coupon())
    with pytest.raises(UnknownReference) as caught:
        store.put_order("O1", order(coupons=["K1", "K404"]))
    assert (caught.value.field, caught.value.kind, caught.value.key) == ("coupons.1", "coupon", "K404")
    assert store.counts()["orders"] == 0 and store.counts()["customers"] == 0
    again = pickle.loads(pickle.dumps(caught.value))
    assert (type(again), again.field, again.kind, again.key, str(again)) == (
        UnknownReference, "coupons.1", "coupon", "K404", str(caught.value))


def test_put_coupon_round_trips_as_a_coupon(store):
    body = coupon(kind="percentage", amount=None, percent=12.5, max_discount="30", threshold="100.50",
                  customer_id="C1", issuer="platform", group="plat", exclusive=True,
                  valid_from="2026-11-01T00:00:00+08:00", valid_to="2026-11-30T23:59:59+08:00",
                  categories=["apparel"], skus=["S1"])
    assert store.put_coupon("P-12", body) is True
    assert store.put_coupon("P-12", body) is False
    assert store.get_customer("C1").id == "C1"
    assert store.coupons_for("C1") == [Coupon(
        id="P-12", kind="percentage", issuer="platform", currency="CNY", threshold_cents=10050, percent=12.5,
        max_discount_cents=3000, group="plat", exclusive=True,
        valid_from=datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc),
        valid_to=datetime(2026, 11, 30, 15, 59, 59, tzinfo=timezone.utc), categories=("apparel",), skus=("S1",))]
    store.put_coupon("P-12", coupon(amount="5"))
    assert store.coupons_for("C1")[0].amount_cents == 500 and store.counts()["coupons"] == 1


def test_coupons_for_own_and_shop_wide_less_the_spent(store):
    with_catalog(store)
    for coupon_id, holder in (("shop-b", None), ("mine-2", "C1"), ("mine-1", "C1"), ("theirs", "C2"),
                              ("shop-a", None)):
        store.put_coupon(coupon_id, coupon(customer_id=holder))
    everything = ["mine-1", "mine-2", "shop-a", "shop-b"]
    assert [c.id for c in store.coupons_for("C1")] == everything
    assert [c.id for c in store.coupons_for("nobody")] == ["shop-a", "shop-b"]
    unpaid = {"status": "pending_payment", "paid_at": None, "shipped_at": None, "logistics": []}
    store.put_order("O1", order(coupons=["mine-1", "shop-a"], **unpaid))
    assert [c.id for c in store.coupons_for("C1")] == everything
    store.put_order("O2", order(coupons=["mine-2"], **{**unpaid, "status": "closed"}))
    assert [c.id for c in store.coupons_for("C1")] == everything
    store.put_order("O1", order(coupons=["mine-1", "shop-a"]))
    assert [c.id for c in store.coupons_for("C1")] == ["mine-2", "shop-b"]
    # A shop-wide coupon spent by C1 is still C2's to use.
    assert [c.id for c in store.coupons_for("C2")] == ["shop-a", "shop-b", "theirs"]


def test_concurrent_identical_puts_leave_one_copy(store_url):
    """Four replicas receiving the same webhooks at once."""
    setup = with_catalog(Store(store_url))
    setup.close()
    barrier = threading.Barrier(4, timeout=30)

    def replica(n: int) -> tuple[bool, bool]:
        store = Store(store_url)
        try:
            barrier.wait()
            made = store.put_order("O1", order()), store.put_product("S1", product("199.00"), NOW + timedelta(1))
            store.put_coupon("K1", coupon(customer_id="C7"))
            return made
        except BaseException:
            barrier.abort()
            raise
        finally:
            store.close()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(replica, range(4)))
    assert sorted(created for created, _ in results) == [False, False, False, True]
    check = Store(store_url)
    counts = check.counts()
    assert (counts["orders"], counts["order_items"], counts["logistics_events"], counts["coupons"]) == (1, 2, 2, 1)
    assert history(check) == [(32900, NOW), (19900, NOW + timedelta(1))]
    check.close()


def _old_schema() -> MetaData:
    """The tables as kefu shipped them before the ingest API: no coupons or logistics, orders without carrier, and
    messages kept in the clear."""
    old = MetaData()
    for name in ("customers", "channel_identities", "products", "price_history", "order_items", "conversations"):
        Base.metadata.tables[name].to_metadata(old)
    Table("messages", old,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("conversation_id", ForeignKey("conversations.id")), Column("role", String(16)),
          Column("text", Text), Column("payload", JSON), Column("created_at", UTCDateTime))
    Table("orders", old,
          Column("id", identifier(64), primary_key=True), Column("customer_id", ForeignKey("customers.id")),
          Column("status", String(20)), Column("currency", String(3)), Column("created_at", UTCDateTime),
          Column("paid_at", UTCDateTime), Column("shipped_at", UTCDateTime), Column("delivered_at", UTCDateTime),
          Column("destination_country", String(2)), Column("shipping_address", Text), Column("coupons", JSON))
    return old


def test_a_database_from_before_upgrades_on_open_and_keeps_its_rows(store_url):
    old = _old_schema()
    engine = make_engine(store_url)
    with engine.begin() as conn:
        old.create_all(conn)
        conn.execute(insert(old.tables["customers"]).values(id="C1", name="王丽"))
        conn.execute(insert(old.tables["products"]).values(
            sku="S1", title="毛衣", description="", category="apparel", price_cents=100, currency="CNY", stock=1,
            presale=False, style_tags=[]))
        conn.execute(insert(old.tables["orders"]).values(
            id="O-old", customer_id="C1", status="paid", currency="CNY", created_at=NOW, paid_at=NOW,
            destination_country="CN", shipping_address="上海", coupons=["满300减30"]))
        conn.execute(insert(old.tables["order_items"]).values(order_id="O-old", sku="S1", quantity=1,
                                                                 unit_price_cents=100))
        conn.execute(insert(old.tables["conversations"]).values(id="t-old", customer_id="C1", channel="wechat",
                                                                created_at=NOW, context={}))
        conn.execute(insert(old.tables["messages"]).values(conversation_id="t-old", role="customer",
                                                           text="毛衣勾丝了", payload={"intent": "defect_complaint"},
                                                           created_at=NOW))
    engine.dispose()
    assert not {"coupons", "logistics_events"} & set(old.tables)
    keys = KeyRing.parse(f"k1:{new_key()}")
    for _ in range(2):  # a second open finds nothing left to upgrade
        store = Store(store_url, keys)
        # The clear-text messages of before are sealed into chat_records, and their table is gone.
        assert [(m.text, m.payload, m.created_at) for m in store.messages("t-old")] == [
            ("毛衣勾丝了", {"intent": "defect_complaint"}, NOW)]
        assert "messages" not in inspect(store.engine).get_table_names()
        kept = store.get_order("O-old")
        assert (kept.customer_id, kept.paid_at, kept.coupons, kept.carrier, kept.tracking_number) == (
            "C1", NOW, ("满300减30",), "", "")
        assert [(i.sku, i.unit_price_cents) for i in kept.items] == [("S1", 100)]
        store.close()
    store = Store(store_url)
    store.put_product("S2", product(), NOW)
    store.put_order("O-new", order(items=[{"sku": "S1", "quantity": 1, "unit_price": 1}]))
    assert store.get_order("O-new").carrier == "SF Express" and store.get_customer("C1").name == "王丽"
    assert store.counts()["orders"] == 2
    store.close()


def test_product_knowledge_titles_and_listings_round_trip(store):
    chart = {"rows": [{"size": "M", "height": [160, 168], "weight": [50, 58]},
                      {"size": "L", "height": [168, 175], "weight": [58, 68]}]}
    store.put_product("S1", product(titles={"en": "Wool sweater", "id": "Sweter wol"}, size_chart=chart,
                                    care={"en": "Hand wash cold", "zh": "冷水手洗"}, warranty="1 year",
                                    channel_items=[{"channel": "tmall", "item_id": "652301234567",
                                                    "url": "https://Detail.Tmall.com/item.htm?id=652301234567/"}]),
                      NOW)
    got = store.get_product("S1")
    assert got.titles == {"en": "Wool sweater", "id": "Sweter wol"} and got.title_in("id") == "Sweter wol"
    assert got.title_in("vi") == "Wool sweater"  # a Chinese title falls back to English for other languages
    assert got.knowledge["size_chart"]["rows"][1] == {"size": "L", "height": [168, 175], "weight": [58, 68]}
    assert got.knowledge["care"] == {"en": "Hand wash cold", "zh": "冷水手洗"} and got.knowledge["warranty"] == "1 year"
    assert store.product_listed("tmall", "652301234567").sku == "S1"
    assert store.product_listed(None, url="https://detail.tmall.com/item.htm?id=652301234567").sku == "S1"
    # A page URL of another form still names it by the channel's item id among its numbers.
    assert store.product_listed("tmall", url="https://m.tmall.com/x?id=652301234567&spm=1").sku == "S1"
    # The listings become exactly those given: another PUT without them removes them.
    store.put_product("S1", product(), NOW)
    with pytest.raises(NotFound):
        store.product_listed("tmall", "652301234567")


def test_faq_entries_create_update_and_name_a_known_product(store):
    assert store.put_faq("ship", FaqIn(language="en", question="How long is shipping?", answer="2-4 days")) is True
    assert store.put_faq("ship", FaqIn(language="en", question="How long is shipping?", answer="3 days")) is False
    assert [(f.id, f.answer, f.sku) for f in store.faqs()] == [("ship", "3 days", None)]
    with pytest.raises(UnknownReference) as raised:
        store.put_faq("care", FaqIn(language="zh", question="怎么洗", answer="手洗", sku="NOPE"))
    assert raised.value.field == "sku" and [f.id for f in store.faqs()] == ["ship"]
