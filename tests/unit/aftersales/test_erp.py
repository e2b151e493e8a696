"""The ERP adapter against a small fake ERP server: field mapping, statuses, local times, fen, and failures."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aftersales.integrations.erp import ErpConfig, ErpError, HttpErpAdapter, field_map
from aftersales.errors import InvalidInput, NotFound

# How a Taobao-style ERP might describe an order.
TRADE = {
    "tid": "T77",
    "buyer": {"nick": "C1003"},
    "trade_status": "WAIT_BUYER_CONFIRM_GOODS",
    "created": "2026-11-18 09:30:00",
    "pay_time": "2026-11-18 09:31:05",
    "consign_time": 1795049100000,
    "receiver": {"country": "cn", "address": "上海市徐汇区漕溪北路 88 号"},
    "orders": [{"outer_sku_id": "KF-SW-002", "num": 2, "payment_fen": 32900}],
    "coupon_ids": ["SHOP20"],
}
STATUSES = {"WAIT_SELLER_SEND_GOODS": "paid", "WAIT_BUYER_CONFIRM_GOODS": "shipped", "TRADE_FINISHED": "delivered"}
FIELDS = {
    "customer_id": "buyer.nick",
    "status": {"path": "trade_status", "values": STATUSES},
    "currency": "currency",
    "created_at": {"path": "created", "time_format": "%Y-%m-%d %H:%M:%S"},
    "paid_at": {"path": "pay_time", "time_format": "%Y-%m-%d %H:%M:%S"},
    "shipped_at": {"path": "consign_time", "time_format": "epoch_ms"},
    "destination_country": "receiver.country",
    "shipping_address": "receiver.address",
    "items": {"path": "orders", "fields": {"sku": "outer_sku_id", "quantity": "num",
                                           "unit_price": {"path": "payment_fen", "cents": True}}},
    "coupons": "coupon_ids",
}


class FakeErp(BaseHTTPRequestHandler):
    seen_headers: dict[str, str] = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        FakeErp.seen_headers = dict(self.headers)
        routes = {
            "/api/trades/T77": (200, json.dumps({**TRADE, "currency": "CNY"}).encode()),
            "/api/trades/BROKEN": (500, b"oops"),
            "/api/trades/HTML": (200, b"<html>login</html>"),
            "/api/trades/BADPRICE": (200, json.dumps({**TRADE, "currency": "CNY", "orders": [
                {"outer_sku_id": "KF-SW-002", "num": 0, "payment_fen": 100}]}).encode()),
        }
        if self.path == "/api/trades/SLOW":
            time.sleep(1.0)
        status, body = routes.get(self.path, (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def erp_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeErp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()


@pytest.fixture()
def adapter(erp_url, monkeypatch) -> HttpErpAdapter:
    monkeypatch.setenv("SHOP_ERP_TOKEN", "s3cret")
    return HttpErpAdapter(ErpConfig(erp_url, "/trades/{order_id}", {k: field_map(v) for k, v in FIELDS.items()},
                                    headers={"Authorization": "env:SHOP_ERP_TOKEN"}, timeout_s=0.5))


def test_an_erp_order_is_mapped_onto_kefus_contract(adapter):
    order = adapter.fetch_order("T77")
    assert (order.customer_id, order.status, order.currency, order.destination_country) == ("C1003", "shipped",
                                                                                            "CNY", "CN")
    # Local ERP times are Shanghai time; epoch milliseconds are UTC.
    assert order.paid_at == datetime(2026, 11, 18, 1, 31, 5, tzinfo=timezone.utc)
    assert order.shipped_at == datetime(2026, 11, 19, 0, 45, tzinfo=timezone.utc)
    assert [(i.sku, i.quantity, i.unit_price_cents) for i in order.items] == [("KF-SW-002", 2, 32900)]
    assert order.coupons == ["SHOP20"] and "漕溪北路" in order.shipping_address
    assert FakeErp.seen_headers.get("Authorization") == "s3cret"  # the token comes from the environment


def test_an_order_the_erp_does_not_have_is_not_found(adapter):
    with pytest.raises(NotFound):
        adapter.fetch_order("NOPE")


@pytest.mark.parametrize("order_id", ["BROKEN", "HTML", "SLOW"])
def test_a_failing_erp_is_an_erp_error(adapter, order_id):
    with pytest.raises(ErpError):
        adapter.fetch_order(order_id)


def test_a_mapped_order_that_breaks_the_contract_names_the_field(adapter):
    with pytest.raises(InvalidInput, match=r"items\.0\.quantity"):
        adapter.fetch_order("BADPRICE")


def test_unreachable_erp(monkeypatch):
    adapter = HttpErpAdapter(ErpConfig("http://127.0.0.1:9", timeout_s=0.5))
    with pytest.raises(ErpError, match="unreachable"):
        adapter.fetch_order("T77")


@pytest.mark.parametrize("config", [
    dict(base_url="ftp://erp"), dict(base_url="http://erp", order_path="/orders"),
    dict(base_url="http://erp", timezone="Mars/Base"),
])
def test_bad_erp_config_is_refused(config):
    with pytest.raises(Exception):  # InvalidInput, or ZoneInfoNotFoundError for the zone
        ErpConfig(**config)


def test_bad_field_maps_are_refused():
    with pytest.raises(InvalidInput):
        field_map({"values": {}})
    with pytest.raises(InvalidInput):
        field_map({"path": "x", "colour": "red"})


def test_the_dialogue_fetches_an_order_it_does_not_have_from_the_erp(adapter, tmp_path):
    from pathlib import Path

    from aftersales.dialogue import DialogueService, TurnInput
    from aftersales.integrations.ingest import CouponIn
    from aftersales.policy.engine import PolicyEngine
    from aftersales.replies.templates import ReplyWriter
    from aftersales.integrations.seed import seed_demo
    from aftersales.store.core import Store
    from aftersales.understanding.keywords import KeywordUnderstanding

    root = Path(__file__).resolve().parents[3]
    store = Store(f"sqlite:///{tmp_path / 'kefu.db'}")
    seed_demo(store, root / "catalog_index" / "demo" / "catalog.csv")  # knows KF-SW-002 and customer C1003
    # The ERP's order names coupon SHOP20: unknown to the store, the order would be refused (and logged).
    store.put_coupon("SHOP20", CouponIn(kind="threshold", amount="20", threshold="200", customer_id="C1003"))
    service = DialogueService(store, PolicyEngine.from_dir(root / "configs" / "policies"), KeywordUnderstanding(),
                              ReplyWriter(), erp=adapter, clock=lambda: datetime(2026, 11, 20, 4, tzinfo=timezone.utc))
    result = service.handle(TurnInput(conversation_id="erp-1", customer_id="C1003", order_id="T77",
                                      text="我的包裹到哪了"))
    assert result.order_id == "T77" and result.decision.rule == "logistics.status"
    assert store.get_order("T77").items[0].quantity == 2  # stored for the next turn
    # An order the ERP does not have is an unknown order, not an error.
    missing = service.handle(TurnInput(conversation_id="erp-2", customer_id="C1003", text="订单O9999999到哪了"))
    assert missing.order_id != "O9999999"
