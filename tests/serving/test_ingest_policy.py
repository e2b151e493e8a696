"""The after-sales brain through HTTP on SQLite and on PostgreSQL: ingest an ERP's data, then ask in a conversation.

Every rule of the shipped policy is exercised here from real ingested orders, with its edge cases: the window's last
day, a price that rose, coupons that must not stack, an address change after shipping, an amount above the cap.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.serving.conftest import free_port, start_kefu, stop_kefu, tiny_args

pytestmark = pytest.mark.serving
NOW = datetime.now(timezone.utc)


def iso(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, tmp_path_factory, tiny_whisper, tiny_clip, tiny_yolo):
    work = tmp_path_factory.mktemp(f"ingest-{request.param}")
    cleanup = None
    if request.param == "sqlite":
        url = f"sqlite:///{work / 'kefu.db'}"
    else:
        url, cleanup = _pg_schema()
    args = tiny_args(work, tiny_whisper, tiny_clip, tiny_yolo, dialogue={"store_url": url, "seed_demo": False})
    base = start_kefu(args, free_port())
    client = httpx.Client(base_url=base, timeout=60)
    _ingest_shop(client)
    yield client
    client.close()
    stop_kefu()
    if cleanup:
        cleanup()


def _pg_schema():
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    raw = os.environ.get("KEFU_TEST_PG_URL")
    if not raw:
        pytest.skip("KEFU_TEST_PG_URL is unset: `make test` starts a PostgreSQL server and sets it")
    admin = create_engine(make_url(raw).set(drivername="postgresql+psycopg"))
    schema = f"kefu_http_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    def cleanup() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, cleanup


def put(client: httpx.Client, path: str, body: dict, status: int = 201) -> dict:
    r = client.put(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def product(title: str, price: str, category: str = "apparel", **kw) -> dict:
    return {"title": title, "category": category, "price": price, "currency": "CNY", "stock": 10, **kw}


def order(customer: str, items: list[tuple[str, int, str]], status: str, paid_days: float | None,
          shipped_days: float | None = None, delivered_days: float | None = None, **kw) -> dict:
    body = {"customer_id": customer, "status": status, "currency": "CNY", "created_at": iso((paid_days or 0) + 0.01),
            "items": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in items],
            "shipping_address": "北京市朝阳区建国路 93 号", **kw}
    for name, days in (("paid_at", paid_days), ("shipped_at", shipped_days), ("delivered_at", delivered_days)):
        if days is not None:
            body[name] = iso(days)
    return body


def _ingest_shop(client: httpx.Client) -> None:
    put(client, "/v1/customers/C9001", {"name": "林女士", "language": "zh",
                                         "identities": [{"channel": "tmall", "external_id": "tb_lin"}]})
    for sku, title, price, kw in (
        ("SW-1", "羊毛开衫 米白", "269.00", {}), ("SW-2", "高领毛衣 燕麦", "399.00", {}),
        ("SW-3", "针织背心", "159.00", {}), ("MUG-1", "手工陶瓷杯", "600.00", {"category": "home"}),
        ("JK-1", "牛仔外套 预售", "459.00", {"presale": True, "stock": 0, "restock_date": "2026-12-20"}),
    ):
        put(client, f"/v1/products/{sku}", product(title, price, **kw))
    # Paid at 299.00 seven days ago to the day (the window's last day), 289.00 eight days ago, 129.00 two days ago.
    put(client, "/v1/orders/P-EDGE", order("C9001", [("SW-1", 1, "299.00")], "paid", 7))
    put(client, "/v1/orders/P-LATE", order("C9001", [("SW-2", 1, "429.00")], "paid", 8))
    put(client, "/v1/orders/P-ROSE", order("C9001", [("SW-3", 1, "129.00")], "paid", 2))
    put(client, "/v1/coupons/SHOP20", {"kind": "threshold", "issuer": "shop", "amount": "20.00",
                                       "threshold": "200.00", "customer_id": "C9001"})
    put(client, "/v1/coupons/SHOP10", {"kind": "no_threshold", "issuer": "shop", "amount": "10",
                                       "customer_id": "C9001"})
    put(client, "/v1/coupons/PLAT30", {"kind": "threshold", "issuer": "platform", "amount": "30.00",
                                       "threshold": "299.00", "customer_id": "C9001"})
    put(client, "/v1/orders/U-ADDR", order("C9001", [("SW-2", 1, "399.00")], "pending_payment", None))
    put(client, "/v1/orders/S-ADDR", order("C9001", [("SW-2", 1, "399.00")], "shipped", 3, 1))
    put(client, "/v1/orders/D-MUG", order("C9001", [("MUG-1", 1, "600.00")], "delivered", 5, 4, 1))
    put(client, "/v1/orders/W-JK", order("C9001", [("JK-1", 1, "459.00")], "paid", 1))
    put(client, "/v1/products/LIP-1", product("口红 正红", "199.00", category="beauty"))
    put(client, "/v1/orders/R-OK", order("C9001", [("SW-3", 1, "159.00")], "delivered", 6, 5, 3))
    put(client, "/v1/orders/R-LATE", order("C9001", [("SW-3", 1, "159.00")], "delivered", 12, 11, 8))
    put(client, "/v1/orders/R-LIP", order("C9001", [("LIP-1", 1, "199.00")], "delivered", 6, 5, 3))
    put(client, "/v1/orders/L-SLOW", order("C9001", [("SW-3", 1, "159.00")], "shipped", 10, 9, carrier="SF",
                                           tracking_number="SF1234567890", logistics=[
                                               {"at": iso(9), "status": "picked_up", "location": "杭州"},
                                               {"at": iso(8.5), "status": "in_transit", "description": "运输中",
                                                "location": "上海转运中心"}]))
    put(client, "/v1/orders/X-ID", order("C9001", [("SW-3", 1, "159.00")], "shipped", 3, 1,
                                         destination_country="ID", shipping_address="Jl. Kemang Raya 21, Jakarta"))


def say(client: httpx.Client, text: str, order_id: str | None = None) -> dict:
    body = {"customer_id": "C9001", "channel": "tmall", "text": text}
    if order_id:
        body["order_id"] = order_id
    r = client.post(f"/v1/conversations/c-{uuid.uuid4().hex[:8]}/messages", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def actions(answer: dict) -> dict[str, dict]:
    return {a["type"]: a for a in answer["decision"]["actions"]}


def test_ingest_is_idempotent_and_says_created_or_updated(api):
    assert put(api, "/v1/products/SW-9", product("测试", "10.00")) == {"id": "SW-9", "created": True}
    assert put(api, "/v1/products/SW-9", product("测试", "10.00"), 200) == {"id": "SW-9", "created": False}


@pytest.mark.parametrize(("path", "body", "param"), [
    ("/v1/orders/B1", {**order("C9001", [("SW-1", 1, "1.001")], "paid", 1)}, "items.0.unit_price"),
    ("/v1/orders/B2", {**order("C9001", [("NOPE", 1, "1.00")], "paid", 1)}, "items.0.sku"),
    ("/v1/orders/B3", {**order("C9001", [("SW-1", 1, "1.00")], "paid", 1), "currency": "yuan"}, "currency"),
    ("/v1/coupons/B4", {"kind": "threshold", "amount": "5"}, None),
    ("/v1/customers/B5", {"identities": [{"channel": "fax", "external_id": "x"}]}, "identities.0.channel"),
    ("/v1/products/B6", {"title": "x", "category": "c", "price": "abc", "currency": "CNY"}, "price"),
])
def test_bad_fields_are_422_with_the_field_path(api, path, body, param):
    r = api.put(path, json=body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["message"] and (param is None or error["param"] == param), error


def test_price_protection_on_the_last_day_refunds_the_difference(api):
    answer = say(api, "开衫降价了，能保价吗", "P-EDGE")
    assert answer["decision"]["rule"] == "price_protection"
    assert actions(answer)["refund_price_difference"]["amount_cents"] == 3000  # 299.00 paid, 269.00 now


def test_price_protection_a_day_late_gives_a_coupon_and_a_reminder(api):
    answer = say(api, "降价了可以退差价吗", "P-LATE")
    assert answer["decision"]["rule"] == "price_protection.outside_window"
    assert actions(answer)["issue_coupon"]["amount_cents"] == 1000


def test_a_price_that_rose_refunds_nothing(api):
    answer = say(api, "降价了吗？要保价", "P-ROSE")
    assert answer["decision"]["rule"] == "price_protection.no_drop" and "refund_price_difference" not in actions(
        answer)


def test_change_the_address_and_use_two_coupons(api):
    answer = say(api, "订单U-ADDR修改收货地址，改成上海市浦东新区世纪大道100号，同时使用两张优惠券 SHOP20 PLAT30",
                 "U-ADDR")
    got = actions(answer)
    assert answer["decision"]["rule"] == "address_change" and not answer["handoff"]["required"]
    assert got["change_address"]["params"]["new_address"] == "上海市浦东新区世纪大道100号"
    assert got["apply_coupons"]["params"]["coupon_ids"] == ["SHOP20", "PLAT30"]
    assert got["apply_coupons"]["params"]["final_price"]["amount_cents"] == 34900  # 399.00 - 20.00 - 30.00


def test_coupons_that_must_not_stack(api):
    answer = say(api, "SHOP20和SHOP10这两张优惠券能叠加吗", "U-ADDR")
    inputs = answer["decision"]["inputs"]
    assert answer["decision"]["rule"] == "coupon_stacking"
    assert [a["coupon_id"] for a in inputs["applied"]] == ["SHOP20"]
    assert inputs["rejected"] == {"SHOP10": "same_group_as_chosen"}


def test_an_address_change_after_shipping_goes_to_a_person(api):
    answer = say(api, "我要改地址", "S-ADDR")
    assert answer["decision"]["rule"] == "address_change.already_shipped"
    assert answer["handoff"]["required"] and answer["handoff"]["reason"] == "policy_manual"


def test_a_refund_above_the_cap_goes_to_a_person(api):
    answer = say(api, "杯子裂了，有裂纹", "D-MUG")  # a 600.00 refund; the cap is 500.00
    assert answer["decision"]["rule"] == "defect_remedy.above_cap" and answer["handoff"]["required"]


def test_why_a_presale_order_has_not_shipped(api):
    answer = say(api, "为什么还没发货", "W-JK")
    assert answer["decision"]["rule"] == "logistics.not_shipped"
    assert actions(answer)["explain_presale"]["params"]["restock_date"] == "2026-12-20"


def test_indonesian_duty_free_limit_comes_from_indonesia(api):
    answer = say(api, "寄到印尼要交关税吗，免税额度是多少", "X-ID")
    action = actions(answer)["explain_duty_limit"]
    assert (action["amount_cents"], action["currency"], action["params"]["country"]) == (300, "USD", "ID")
    assert "印度尼西亚" in answer["reply"]


def test_no_reason_return_within_7_days_outside_them_and_an_excluded_category(api):
    assert say(api, "不想要了，我要退货", "R-OK")["decision"]["rule"] == "return.no_reason"
    assert say(api, "不想要了，我要退货", "R-LATE")["decision"]["rule"] == "return.no_reason.outside_window"
    assert say(api, "不想要了，我要退货", "R-LIP")["decision"]["rule"] == "return.no_reason.excluded"


def test_a_late_parcel_gets_the_latest_scan_an_apology_and_a_coupon(api):
    answer = say(api, "我的快递到哪了，怎么还没到", "L-SLOW")
    assert answer["decision"]["rule"] == "logistics.late_delivery"
    assert actions(answer)["issue_coupon"]["amount_cents"] == 500
    assert "上海转运中心" in answer["reply"] and "SF1234567890" in answer["reply"]


def test_coupon_stacking_on_a_cart_before_checkout(api):
    r = api.post("/v1/carts/coupons", json={"customer_id": "C9001", "lines": [
        {"sku": "SW-2", "quantity": 1}, {"sku": "SW-3", "quantity": 2, "unit_price": "150.00"}]})
    assert r.status_code == 200, r.text
    decision = r.json()
    # 399.00 + 2 x 150.00 = 699.00; SHOP20 beats SHOP10 in the shop group, PLAT30 stacks: 649.00.
    assert decision["rule"] == "coupon_stacking.cart"
    assert [a["coupon_id"] for a in decision["inputs"]["applied"]] == ["SHOP20", "PLAT30"]
    assert decision["inputs"]["final_price"]["amount_cents"] == 64900
    assert decision["inputs"]["rejected"] == {"SHOP10": "same_group_as_chosen"}


@pytest.mark.parametrize(("body", "param"), [
    ({"customer_id": "C9001", "lines": [{"sku": "NOPE"}]}, "lines.0.sku"),
    ({"customer_id": "C9001", "lines": [{"sku": "SW-2"}], "coupon_ids": ["GHOST"]}, "coupon_ids"),
    ({"customer_id": "C9001", "lines": []}, "lines"),
])
def test_a_bad_cart_is_422_with_the_field(api, body, param):
    r = api.post("/v1/carts/coupons", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == param


def test_a_minor_stain_on_apparel_offers_an_exchange_or_a_partial_refund(api):
    answer = say(api, "收到的针织背心上有一块污渍", "R-OK")
    got = actions(answer)
    assert answer["decision"]["rule"] == "defect_remedy" and answer["decision"]["inputs"]["group"] == "fabric_minor"
    assert set(got) == {"offer_exchange", "offer_partial_refund"}
    assert got["offer_partial_refund"]["amount_cents"] == 3180  # 20 % of the 159.00 paid


def test_a_coupon_question_on_the_product_in_view_answers_the_stacking_for_it(api):
    put(api, "/v1/products/CD-1", product("羊绒开衫", "499.00", titles={"en": "Cashmere cardigan"},
                                         channel_items=[{"channel": "tmall", "item_id": "652300001111"}]), 201)
    r = api.post(f"/v1/conversations/v-{uuid.uuid4().hex[:8]}/messages", json={
        "customer_id": "C9001", "channel": "tmall", "text": "这件能同时用两张券吗？",
        "product": {"item_id": "652300001111"}})
    assert r.status_code == 200, r.text
    answer = r.json()
    # 499.00: SHOP20 (over 200) and PLAT30 (over 299) stack, SHOP10 is the same group as SHOP20: 449.00.
    assert answer["decision"]["rule"] == "coupon_stacking.cart" and answer["order_id"] is None
    assert answer["decision"]["inputs"]["final_price"]["amount_cents"] == 44900
    assert "449.00" in answer["reply"]


@pytest.mark.parametrize(("extra", "param"), [
    ({"product": {"sku": "NOPE-9"}}, "product.sku"),
    ({"product": {"item_id": "000"}}, "product.item_id"),
    ({"product": {"sku": "SW-1", "item_id": "1"}}, None),
    ({"cart": [{"sku": "SW-1", "quantity": 0}]}, None),
    ({"cart": [{"sku": "NOPE-8", "quantity": 1}]}, "cart.0.sku"),
])
def test_bad_product_or_cart_on_a_message_is_4xx_and_stores_nothing(api, extra, param):
    conversation = f"bad-{uuid.uuid4().hex[:8]}"
    r = api.post(f"/v1/conversations/{conversation}/messages",
                 json={"customer_id": "C9001", "channel": "tmall", "text": "能用券吗", **extra})
    assert r.status_code in (400, 404, 422), r.text
    error = r.json()["error"]
    assert error["message"] and (param is None or error["param"] == param), error


def test_size_care_and_faq_questions_are_answered_from_what_was_ingested(api):
    chart = {"rows": [{"size": "M", "height": [160, 168], "weight": [50, 58]},
                      {"size": "L", "height": [168, 175], "weight": [58, 68]}]}
    put(api, "/v1/products/KN-1", product("美利奴羊毛衫", "359.00", titles={"en": "Merino jumper"},
                                         size_chart=chart, care={"zh": "冷水手洗，平铺晾干，不可烘干。"}), 201)
    put(api, "/v1/orders/K-1", order("C9001", [("KN-1", 1, "359.00")], "paid", 1))
    sized = say(api, "这件羊毛衫有L码吗？我170/65kg", "K-1")
    assert sized["intent"] == "size_fit" and "L" in sized["reply"] and not sized["handoff"]["required"]
    cared = say(api, "这件羊毛衫能放烘干机吗", "K-1")
    assert "不可烘干" in cared["reply"] and not cared["handoff"]["required"]
    r = api.put("/v1/faq/invoice", json={"language": "zh", "question": "可以开发票吗？",
                                          "answer": "可以，在订单页申请电子发票。"})
    assert r.status_code in (200, 201), r.text
    assert api.put("/v1/faq/bad", json={"language": "zh", "question": "x", "answer": "y",
                                         "sku": "NOPE"}).status_code == 422
