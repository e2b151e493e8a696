"""The order store and the demo seed on SQLite and PostgreSQL: views out, validation in, idempotent seeding relative
to `now`, and the same answers from both backends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from aftersales.errors import Conflict, InvalidInput, NotFound, SeedError
from aftersales.integrations.seed import seed_demo
from aftersales.store.core import Store
from aftersales.store.views import ConversationContext, ProductView

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "catalog_index" / "demo" / "catalog.csv"
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)


@pytest.fixture()
def store(store_url) -> Iterator[Store]:
    store = Store(store_url)
    yield store
    store.close()


@pytest.fixture()
def seeded(store) -> Store:
    seed_demo(store, CATALOG, NOW)
    return store


def _product(sku: str = "SKU-1", price: int = 9999, **kw) -> ProductView:
    base = dict(sku=sku, title="测试商品", description="", category="apparel", price_cents=price, currency="CNY",
                stock=3, presale=False, restock_date=None, style_tags=("a", "b"))
    return ProductView(**{**base, **kw})


def test_seed_is_idempotent(seeded):
    first = seeded.counts()
    seed_demo(seeded, CATALOG, NOW)
    assert seeded.counts() == first
    assert first["products"] == 32 and first["orders"] == 6 and first["customers"] == 6
    assert first["order_items"] == 7


def test_seed_dates_follow_now(seeded):
    later = NOW + timedelta(days=40)
    seed_demo(seeded, CATALOG, later)
    order = seeded.get_order("O1001")
    assert order.paid_at == later - timedelta(days=3)
    history = seeded.price_history("KF-SW-001")
    assert [(p.price_cents, p.effective_at) for p in history][-1] == (26900, later - timedelta(days=2))
    assert history[0].price_cents == 29900


def test_seeded_orders_carry_product_facts(seeded):
    o1001 = seeded.get_order("O1001")
    (item,) = o1001.items
    assert (item.sku, item.unit_price_cents, item.current_price_cents) == ("KF-SW-001", 29900, 26900)
    assert item.current_price_since == NOW - timedelta(days=2)
    assert item.current_price_since.tzinfo is not None
    o1004 = seeded.get_order("O1004")
    assert o1004.status == "paid" and o1004.shipped_at is None
    assert o1004.items[0].presale and o1004.items[0].stock == 0 and o1004.items[0].restock_date == date(2026, 12, 5)
    o1005 = seeded.get_order("O1005")
    assert o1005.destination_country == "ID" and {(i.sku, i.quantity) for i in o1005.items} == {
        ("KF-JK-001", 1), ("KF-TS-001", 2)}
    assert seeded.get_product("KF-SW-001").style_tags == ("french_retro", "knit", "cream")


def test_seed_links_channel_identities(seeded):
    assert seeded.customer_for("douyin", "dy_zhaomin").id == "C1003"
    assert seeded.customer_for("wechat", "wx_zhaomin_1990").id == "C1003"
    with pytest.raises(NotFound):
        seeded.customer_for("tmall", "nobody")


def test_seed_rejects_a_bad_catalog(store, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(CATALOG.read_text(encoding="utf-8").replace("269.00", "26x.00"), encoding="utf-8")
    with pytest.raises(SeedError, match="row 2: product KF-SW-001: price"):
        seed_demo(store, bad, NOW)
    with pytest.raises(SeedError, match=r"missing column\(s\) price, image"):
        (tmp_path / "cols.csv").write_text("sku,title\nA,B\n", encoding="utf-8")
        seed_demo(store, tmp_path / "cols.csv", NOW)
    with pytest.raises(SeedError):
        seed_demo(store, tmp_path / "missing.csv", NOW)


def test_orders_newest_first_and_unknown_customer_has_none(store):
    store.upsert_product(_product())
    store.ensure_customer("C1")
    for n, days in (("A", 5), ("B", 1), ("C", 3)):
        store.add_order(n, "C1", [("SKU-1", 1, 100)], created_at=NOW - timedelta(days=days),
                        paid_at=NOW - timedelta(days=days))
    assert [o.id for o in store.orders_for("C1")] == ["B", "C", "A"]
    assert store.orders_for("ghost") == []


def test_get_order_unknown_raises_not_found(store):
    with pytest.raises(NotFound) as err:
        store.get_order("NOPE")
    assert err.value.code == "order_not_found" and "NOPE" in str(err.value)


def test_add_order_validates(store):
    store.upsert_product(_product())
    store.ensure_customer("C1")
    ok = dict(created_at=NOW, paid_at=NOW)
    with pytest.raises(InvalidInput, match="status"):
        store.add_order("X", "C1", [("SKU-1", 1, 100)], status="lost", **ok)
    with pytest.raises(InvalidInput, match="quantity"):
        store.add_order("X", "C1", [("SKU-1", 0, 100)], **ok)
    with pytest.raises(InvalidInput, match="delivered_at"):
        store.add_order("X", "C1", [("SKU-1", 1, 100)], status="delivered", shipped_at=NOW, **ok)
    with pytest.raises(InvalidInput, match="tz-aware"):
        store.add_order("X", "C1", [("SKU-1", 1, 100)], created_at=datetime(2026, 1, 1))
    with pytest.raises(NotFound):
        store.add_order("X", "C1", [("NO-SKU", 1, 100)], **ok)
    with pytest.raises(NotFound):
        store.add_order("X", "ghost", [("SKU-1", 1, 100)], **ok)
    store.add_order("X", "C1", [("SKU-1", 2, 100)], **ok)
    with pytest.raises(Conflict):
        store.add_order("X", "C1", [("SKU-1", 1, 100)], **ok)
    replaced = store.add_order("X", "C1", [("SKU-1", 3, 50)], replace=True, **ok)
    assert [(i.quantity, i.unit_price_cents) for i in replaced.items] == [(3, 50)]
    assert store.counts()["order_items"] == 1


def test_upsert_product_and_price_history(store):
    store.upsert_product(_product(price=100))
    store.upsert_product(_product(price=80, stock=0, presale=True, restock_date=date(2026, 12, 1)))
    product = store.get_product("SKU-1")
    assert (product.price_cents, product.presale, product.restock_date) == (80, True, date(2026, 12, 1))
    store.replace_price_history("SKU-1", [(80, NOW), (100, NOW - timedelta(days=9))])
    assert [p.price_cents for p in store.price_history("SKU-1")] == [100, 80]
    with pytest.raises(NotFound):
        store.price_history("NOPE")
    with pytest.raises(InvalidInput):
        store.upsert_product(_product(price=-1))


def test_customers_and_identities(store):
    created = store.ensure_customer("ext-42", "shopee")
    assert (created.id, created.name, created.language) == ("ext-42", "", None)
    again = store.ensure_customer("ext-42", "shopee", name="Siti", language="ms")
    assert (again.name, again.language) == ("Siti", "ms")
    assert store.counts()["customers"] == 1 and store.counts()["channel_identities"] == 1
    store.ensure_customer("other")
    with pytest.raises(Conflict):
        store.ensure_customer("other", "shopee", external_id="ext-42")
    with pytest.raises(InvalidInput, match="channel"):
        store.ensure_customer("x", "fax")
    with pytest.raises(InvalidInput):
        store.ensure_customer("  ")


def test_conversation_context_and_messages(store):
    store.ensure_customer("C1")
    store.ensure_customer("C2")
    conv = store.open_conversation("t1", "C1", "web", NOW)
    assert conv.context == ConversationContext()
    store.update_context("t1", ConversationContext(order_id="O1", sku="S1"))
    assert store.get_context("t1") == ConversationContext(order_id="O1", sku="S1")
    store.update_context("t1", ConversationContext(order_id="O2", sku="S1"))
    assert store.open_conversation("t1", "C1", "web", NOW).context.order_id == "O2"
    with pytest.raises(Conflict):
        store.open_conversation("t1", "C2", "web", NOW)
    store.append_message("t1", "customer", "你好", {"intent": "greeting_thanks"}, NOW)
    store.append_message("t1", "assistant", "您好", {"rule": "general_help"}, NOW + timedelta(seconds=1))
    messages = store.messages("t1")
    assert [(m.role, m.text, m.payload) for m in messages] == [
        ("customer", "你好", {"intent": "greeting_thanks"}), ("assistant", "您好", {"rule": "general_help"})]
    assert messages[0].created_at == NOW
    with pytest.raises(InvalidInput):
        store.append_message("t1", "bot", "x", {}, NOW)
    with pytest.raises(NotFound):
        store.get_context("nope")


def test_store_survives_reopening(store_url):
    first = Store(store_url)
    seed_demo(first, CATALOG, NOW)
    first.close()
    again = Store(store_url)
    assert again.get_order("O1003").delivered_at == NOW - timedelta(days=2)
    again.close()


def test_bad_url_is_invalid_input():
    with pytest.raises(InvalidInput):
        Store("not a url")
    with pytest.raises(InvalidInput, match="sqlite"):
        Store("mysql://kefu@db/kefu")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_bare_postgresql_scheme_uses_psycopg(pg_url, scheme):
    store = Store(pg_url.replace("postgresql+psycopg", scheme, 1))
    assert store.engine.dialect.driver == "psycopg"
    assert store.ensure_customer("C1").id == "C1"
    store.close()


def test_in_memory_store_keeps_data_across_sessions():
    store = Store("sqlite://")
    store.ensure_customer("C1")
    assert store.get_customer("C1").id == "C1"


def _order(store: Store, order_id: str, created_at: datetime = NOW, **kw) -> None:
    store.add_order(order_id, "C1", [("SKU-1", 1, 100)], created_at=created_at, paid_at=created_at, **kw)


def test_datetimes_round_trip_to_the_microsecond_as_utc(store):
    nepal, newfoundland = timezone(timedelta(hours=5, minutes=45)), timezone(-timedelta(hours=3, minutes=30))
    created = datetime(2026, 3, 8, 23, 59, 59, 999999, tzinfo=nepal)
    paid = datetime(2026, 3, 9, 0, 0, 0, 1, tzinfo=newfoundland)
    shipped = datetime(2026, 3, 29, 1, 30, 0, 250000, tzinfo=ZoneInfo("Europe/Berlin"))
    delivered = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
    store.upsert_product(_product())
    store.ensure_customer("C1")
    store.add_order("O1", "C1", [("SKU-1", 1, 100)], status="delivered", created_at=created, paid_at=paid,
                    shipped_at=shipped, delivered_at=delivered)
    conversation = store.open_conversation("t1", "C1", "web", created)
    store.append_message("t1", "customer", "hi", {}, paid)
    store.replace_price_history("SKU-1", [(9999, shipped)])
    order = store.get_order("O1")
    got = [order.created_at, order.paid_at, order.shipped_at, order.delivered_at, conversation.created_at,
           store.get_order("O1").created_at, store.messages("t1")[0].created_at,
           store.price_history("SKU-1")[0].effective_at, order.items[0].current_price_since]
    want = [created, paid, shipped, delivered, created, created, paid, shipped, shipped]
    assert got == want
    assert [g.tzinfo for g in got] == [timezone.utc] * len(got)
    assert [g.replace(tzinfo=None) for g in got] == [w.astimezone(timezone.utc).replace(tzinfo=None) for w in want]


def test_price_points_are_ordered_by_instant_not_wall_clock(store):
    store.upsert_product(_product())
    shanghai_ten = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # 02:00 UTC
    utc_three = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
    store.replace_price_history("SKU-1", [(200, utc_three), (100, shanghai_ten)])
    assert [p.price_cents for p in store.price_history("SKU-1")] == [100, 200]


def test_json_round_trips_exactly(store):
    tags = ("法式复古", "ภาษาไทย", "🧶", 'quote " and \\ backslash', "")
    store.upsert_product(_product(style_tags=tags))
    assert store.get_product("SKU-1").style_tags == tags
    store.ensure_customer("C1")
    _order(store, "O1", coupons=["满300减30", "TH-ลด10%", "A" * 500])
    assert store.get_order("O1").coupons == ("满300减30", "TH-ลด10%", "A" * 500)
    store.open_conversation("t1", "C1", "web", NOW)
    payload = {"z": 1, "intent": "退货", "scores": [0.5, 1e-9, -3, 2**62], "nested": {"ok": True, "none": None,
               "empty": [[], {}]}, "raw": "a\x00b", "a": "ภาษาไทย"}
    store.append_message("t1", "assistant", "", payload, NOW)
    got = store.messages("t1")[0].payload
    # Key order too: the column is JSON, kept as written, not PostgreSQL's JSONB, which sorts keys.
    assert got == payload and list(got) == list(payload) and list(got["nested"]) == ["ok", "none", "empty"]
    store.update_context("t1", ConversationContext(order_id="O1", sku="ภาษาไทย-1"))
    assert store.get_context("t1") == ConversationContext(order_id="O1", sku="ภาษาไทย-1")


def test_unicode_round_trips(store):
    names = {"C-zh": "王丽", "C-th": "สมชาย ใจดี", "C-emoji": "Ana 👩🏽‍💻", "C-ชื่อ": "Zoë Ñúñez"}
    for customer_id, name in names.items():
        store.ensure_customer(customer_id, "web", external_id=f"外部-{customer_id}", name=name)
    assert {c: store.get_customer(c).name for c in names} == names
    assert store.customer_for("web", "外部-C-th").id == "C-th"
    store.upsert_product(_product(sku="ผ้า-中-1", title="泰式 ภาษาไทย 🧵", description="纯棉\nผ้าฝ้าย\t100%"))
    product = store.get_product("ผ้า-中-1")
    assert (product.title, product.description) == ("泰式 ภาษาไทย 🧵", "纯棉\nผ้าฝ้าย\t100%")
    store.add_order("订单-1", "C-th", [("ผ้า-中-1", 1, 100)], created_at=NOW, paid_at=NOW,
                    shipping_address="123 ถนนสุขุมวิท กรุงเทพฯ 10110 / 上海市徐汇区")
    assert store.get_order("订单-1").shipping_address == "123 ถนนสุขุมวิท กรุงเทพฯ 10110 / 上海市徐汇区"
    store.open_conversation("对话-ภาษาไทย", "C-th", "web", NOW)
    store.append_message("对话-ภาษาไทย", "customer", "สวัสดีค่ะ 你好 🙏", {}, NOW)
    assert store.messages("对话-ภาษาไทย")[0].text == "สวัสดีค่ะ 你好 🙏"


def test_string_lengths_are_enforced_in_characters(store):
    # 200 Thai characters are 600 bytes of UTF-8: VARCHAR(200) counts characters on PostgreSQL, and so does the store.
    store.ensure_customer("C1", name="ไ" * 200)
    assert store.get_customer("C1").name == "ไ" * 200
    with pytest.raises(InvalidInput, match="name must be at most 200"):
        store.ensure_customer("C1", name="ไ" * 201)
    with pytest.raises(InvalidInput, match="language must be at most 8"):
        store.ensure_customer("C1", language="zh-Hans-CN")
    with pytest.raises(InvalidInput, match="external_id must be at most 128"):
        store.ensure_customer("C1", "web", external_id="x" * 129)
    with pytest.raises(InvalidInput, match="sku must be at most 64"):
        store.upsert_product(_product(sku="S" * 65))
    with pytest.raises(InvalidInput, match="title must be at most 300"):
        store.upsert_product(_product(title="长" * 301))
    store.upsert_product(_product(title="长" * 300))
    with pytest.raises(InvalidInput, match="id must be at most 64"):
        _order(store, "O" * 65)
    with pytest.raises(InvalidInput, match="channel must be at most 16"):
        store.open_conversation("t1", "C1", "c" * 17, NOW)
    assert store.get_customer("C1").name == "ไ" * 200
    assert store.counts()["orders"] == 0 and store.counts()["channel_identities"] == 0


def test_nul_and_lone_surrogates_are_refused_and_never_found(store):
    store.ensure_customer("C1")
    store.open_conversation("t1", "C1", "web", NOW)
    with pytest.raises(InvalidInput, match="NUL"):
        store.ensure_customer("C1", name="a\x00b")
    with pytest.raises(InvalidInput, match="NUL"):
        store.append_message("t1", "customer", "hi\x00", {}, NOW)
    with pytest.raises(InvalidInput, match="surrogate"):
        store.append_message("t1", "customer", "\ud800", {}, NOW)
    with pytest.raises(InvalidInput):
        store.upsert_product(_product(sku="S\x00"))
    for lookup in (lambda: store.get_customer("C1\x00"), lambda: store.get_order("O\x00"),
                   lambda: store.get_product("\ud800"), lambda: store.get_context("t1\x00"),
                   lambda: store.customer_for("web", "x\x00"),
                   lambda: store.append_message("t\x00", "customer", "", {}, NOW),
                   lambda: store.open_conversation("t2", "C\x00", "web", NOW)):
        with pytest.raises(NotFound):
            lookup()
    assert store.orders_for("C1\x00") == [] and store.messages("t1\x00") == []
    assert store.messages("t1") == []


def test_reingest_is_idempotent(store):
    for _ in range(3):
        store.upsert_product(_product(title="测试商品 ภาษาไทย"))
        store.replace_price_history("SKU-1", [(100, NOW - timedelta(days=9)), (9999, NOW)])
        store.ensure_customer("C1", "wechat", external_id="wx1", name="王丽", language="zh")
        store.ensure_customer("C1", "app")
        _order(store, "O1", replace=True)
        store.open_conversation("t1", "C1", "wechat", NOW)
    assert store.counts() == {"customers": 1, "channel_identities": 2, "products": 1, "price_history": 2,
                              "orders": 1, "order_items": 1, "conversations": 1, "chat_records": 0, "coupons": 0,
                              "logistics_events": 0, "turns": 0, "turn_answers": 0, "handoffs": 0, "audit_log": 0,
                              "product_channel_items": 0, "faq_entries": 0, "store_revision": 1}
    assert store.get_customer("C1").name == "王丽" and store.get_product("SKU-1").title == "测试商品 ภาษาไทย"


def test_ordering_is_by_code_point_and_stable(store):
    skus = ["SKU-1", "b-1", "B-2", "a-1", "Z-9", "_x", "中-1", "ก-1", "10", "9", "a-10", "a-2"]
    for sku in skus:
        store.upsert_product(_product(sku=sku))
    # SQLite compares bytes; a PostgreSQL database in en_US (or ICU) would say "a-1" < "B-2" but for COLLATE "C".
    assert [p.sku for p in store.products()] == sorted(skus)
    store.ensure_customer("C1")
    ids = ["o-b", "O-A", "o-a", "O-B", "o-10", "o-9"]
    for order_id in ids:
        _order(store, order_id)
    _order(store, "older", created_at=NOW - timedelta(microseconds=1))
    assert [o.id for o in store.orders_for("C1")] == sorted(ids, reverse=True) + ["older"]
    store.open_conversation("t1", "C1", "web", NOW)
    for n in range(6):
        store.append_message("t1", "customer", str(n), {}, NOW if n % 2 else NOW - timedelta(seconds=1))
    assert [m.text for m in store.messages("t1")] == ["0", "2", "4", "1", "3", "5"]


def test_concurrent_replicas_write_the_same_rows(store_url):
    """Four stores (as four Ray Serve replicas) starting together on one database, then greeting the same new
    customer, opening the same conversation and re-seeding the same product and order at once."""
    barrier = threading.Barrier(4, timeout=30)

    def replica(n: int) -> Store:
        try:
            barrier.wait()
            store = Store(store_url)
            barrier.wait()
        except BaseException:
            barrier.abort()  # the others stop waiting, and the first error is the one reported
            raise
        store.upsert_product(_product(stock=n))
        store.ensure_customer("C1", "wechat", external_id="wx1", name=f"王丽{n}")
        store.open_conversation("t1", "C1", "wechat", NOW)
        store.update_context("t1", ConversationContext(order_id="O1"))
        store.replace_price_history("SKU-1", [(100, NOW - timedelta(days=9)), (9999, NOW)])
        _order(store, "O1", replace=True)
        store.append_message("t1", "customer", str(n), {"n": n}, NOW)
        return store

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(replica, n) for n in range(4)]
    errors = [f.exception() for f in futures if f.exception() is not None]
    # The replica that failed first, not the ones its abort woke.
    causes = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)] or errors
    if causes:
        raise causes[0]
    stores = [f.result() for f in futures]
    assert stores[0].counts() == {"customers": 1, "channel_identities": 1, "products": 1, "price_history": 2,
                                  "orders": 1, "order_items": 1, "conversations": 1, "chat_records": 4, "coupons": 0,
                                  "logistics_events": 0, "turns": 0, "turn_answers": 0, "handoffs": 0, "audit_log": 0,
                                  "product_channel_items": 0, "faq_entries": 0, "store_revision": 1}
    assert stores[0].get_context("t1").order_id == "O1"
    with pytest.raises(Conflict):
        stores[1].add_order("O1", "C1", [("SKU-1", 1, 100)], created_at=NOW, paid_at=NOW)
    for store in stores:
        store.close()
