"""The order store and the demo seed: views out, validation in, idempotent seeding relative to `now`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from aftersales.errors import Conflict, InvalidInput, NotFound, SeedError
from aftersales.seed import seed_demo
from aftersales.store import Store
from aftersales.views import ConversationContext, ProductView

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "catalog_index" / "demo" / "catalog.csv"
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)


@pytest.fixture()
def store(tmp_path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'nested' / 'kefu.db'}")


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


def test_store_survives_reopening_the_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    first = Store(url)
    seed_demo(first, CATALOG, NOW)
    first.close()
    assert Store(url).get_order("O1003").delivered_at == NOW - timedelta(days=2)


def test_bad_url_is_invalid_input():
    with pytest.raises(InvalidInput):
        Store("not a url")


def test_in_memory_store_keeps_data_across_sessions():
    store = Store("sqlite://")
    store.ensure_customer("C1")
    assert store.get_customer("C1").id == "C1"
