"""Demo data: the catalog CSV as products, and customers, prices and orders dated relative to `now`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from aftersales.errors import InvalidInput, SeedError
from aftersales.money import parse_amount
from aftersales.store.core import Store
from aftersales.store.views import ProductView

logger = logging.getLogger("kefu.aftersales")

# How long before `now` every product got the price it has in the CSV unless a drop is staged below.
_LISTED_DAYS = 60
# (sku, earlier price in yuan, days before now the price fell to the CSV price).
_PRICE_DROPS = (("KF-SW-001", "299.00", 2), ("KF-DR-001", "399.00", 1))


_TOPS = {"unit": "cm", "rows": [
    {"size": "S", "height": [150, 160], "weight": [40, 50], "chest": 88, "length": 60},
    {"size": "M", "height": [160, 168], "weight": [50, 58], "chest": 94, "length": 62},
    {"size": "L", "height": [168, 175], "weight": [58, 68], "chest": 100, "length": 64},
    {"size": "XL", "height": [175, 185], "weight": [68, 80], "chest": 106, "length": 66}]}
_KNIT_CARE = {"zh": "建议冷水手洗或洗衣机羊毛轻柔档，平铺晾干，不可烘干，不可漂白，低温熨烫。",
              "en": "Hand wash cold or use the machine's wool cycle; dry flat; do not tumble dry or bleach; "
                    "iron on low.",
              "id": "Cuci tangan dengan air dingin atau mode wol di mesin cuci; keringkan mendatar; jangan "
                    "dikeringkan dengan mesin pengering atau diberi pemutih; setrika suhu rendah."}
# Titles in other languages and what the demo shop tells about a few products (size chart, materials, care).
_KNOWLEDGE = {
    "KF-SW-001": ({"en": "French retro knit cardigan, cream", "id": "Kardigan rajut retro Prancis, putih gading"},
                  {"size_chart": _TOPS, "care": _KNIT_CARE,
                   "materials": {"zh": "羊毛 30%，腈纶 70%", "en": "30% wool, 70% acrylic"}}),
    "KF-SW-002": ({"en": "Chunky turtleneck sweater, oatmeal"}, {"size_chart": _TOPS, "care": _KNIT_CARE}),
    "KF-SW-003": ({"en": "Striped crew-neck sweater, navy"}, {"size_chart": _TOPS, "care": _KNIT_CARE}),
    "KF-DR-001": ({"en": "French floral tea dress"}, {"size_chart": _TOPS, "materials": {
        "zh": "100% 聚酯纤维（雪纺）", "en": "100% polyester chiffon"}}),
    "KF-JK-001": ({"en": "Zip-up denim jacket, washed blue", "id": "Jaket denim ritsleting, biru pudar"},
                  {"size_chart": _TOPS, "care": {"en": "Machine wash cold inside out; may fade at first wash."}}),
    "KF-TS-001": ({"en": "White cotton T-shirt", "id": "Kaos katun putih"}, {"size_chart": _TOPS}),
    "KF-HM-001": ({"en": "Blue-and-white ceramic mug"}, {
        "dimensions": {"zh": "容量 350ml，高 9.5 cm，口径 8 cm", "en": "350 ml, 9.5 cm tall, 8 cm across"},
        "care": {"zh": "可用洗碗机和微波炉，勿干烧。", "en": "Dishwasher and microwave safe; do not heat empty."}}),
}


@dataclass(frozen=True)
class _DemoCustomer:
    id: str
    name: str
    language: str
    identities: tuple[tuple[str, str], ...]


CUSTOMERS = (
    _DemoCustomer("C1001", "王丽", "zh", (("tmall", "tb_wangli88"), ("app", "C1001"))),
    _DemoCustomer("C1002", "Tan Mei Ling", "en", (("jd", "jd_meiling_tan"), ("web", "C1002"))),
    _DemoCustomer("C1003", "赵敏", "zh", (("douyin", "dy_zhaomin"), ("wechat", "wx_zhaomin_1990"))),
    _DemoCustomer("C1004", "刘洋", "zh", (("app", "C1004"), ("phone", "+8613800138004"))),
    _DemoCustomer("C1005", "Putri Wulandari", "id", (("shopee", "putri.wulan"), ("lazada", "putriw_id"))),
    _DemoCustomer("C1006", "陈晓东", "zh", (("web", "C1006"), ("phone", "+8613900139006"))),
)


def read_catalog(catalog_csv: Path) -> list[ProductView]:
    """The shop's catalog file (CSV or JSONL, parsed by catalog_index, the same reader that builds the image index)
    as store products; a missing file, column or bad value raises SeedError naming the row."""
    from catalog_index.catalog import read_catalog as read_catalog_file
    from catalog_index.errors import CatalogError

    try:
        products = read_catalog_file(catalog_csv)
    except CatalogError as exc:
        raise SeedError(str(exc)) from None
    return [
        ProductView(
            sku=p.sku, title=p.title, description=p.description, category=p.category, price_cents=p.price_cents,
            currency=p.currency, stock=p.stock, presale=p.presale, restock_date=p.restock_date,
            style_tags=p.style_tags, titles=_KNOWLEDGE.get(p.sku, ({}, {}))[0],
            knowledge=_KNOWLEDGE.get(p.sku, ({}, {}))[1],
        )
        for p in products
    ]


def seed_demo(store: Store, catalog_csv: Path, now: datetime | None = None) -> None:
    """Write the demo shop; running it again re-dates the same rows (row counts stay), so the acceptance cases
    (a drop 2 days ago for an order paid 3 days ago, ...) hold whenever it is seeded."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise InvalidInput("seed_demo needs a tz-aware `now`")
    products = {p.sku: p for p in read_catalog(catalog_csv)}
    for product in products.values():
        store.upsert_product(product)
    drops = {sku: (parse_amount(before), days) for sku, before, days in _PRICE_DROPS}
    for sku, product in products.items():
        listed = (product.price_cents if sku not in drops else drops[sku][0], now - timedelta(days=_LISTED_DAYS))
        points = [listed]
        if sku in drops:
            points.append((product.price_cents, now - timedelta(days=drops[sku][1])))
        store.replace_price_history(sku, points)
    for c in CUSTOMERS:
        for channel, external_id in c.identities:
            store.ensure_customer(c.id, channel, external_id=external_id, name=c.name, language=c.language)
    _seed_orders(store, products, now)
    logger.info("seeded demo shop: %d products, %d customers", len(products), len(CUSTOMERS))


def _seed_orders(store: Store, products: dict[str, ProductView], now: datetime) -> None:
    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    def price(sku: str) -> int:
        if sku not in products:
            raise SeedError(f"the demo orders need {sku}, which the catalog lacks")
        return products[sku].price_cents

    shanghai = "上海市徐汇区漕溪北路 88 号 1201 室"
    orders = [
        dict(order_id="O1001", customer_id="C1001", items=[("KF-SW-001", 1, parse_amount("299.00"))],
             status="delivered", created_at=ago(3), paid_at=ago(3), shipped_at=ago(2.8), delivered_at=ago(1),
             shipping_address="杭州市西湖区文三路 478 号 3 幢 602"),
        dict(order_id="O1002", customer_id="C1002", items=[("KF-DR-001", 1, parse_amount("399.00"))],
             status="delivered", created_at=ago(12), paid_at=ago(12), shipped_at=ago(11), delivered_at=ago(9),
             shipping_address=shanghai),
        dict(order_id="O1003", customer_id="C1003", items=[("KF-SW-002", 1, price("KF-SW-002"))],
             status="delivered", created_at=ago(6), paid_at=ago(6), shipped_at=ago(5), delivered_at=ago(2),
             shipping_address="成都市锦江区春熙路 12 号 5 栋 1 单元 803"),
        dict(order_id="O1004", customer_id="C1004", items=[("KF-SW-003", 1, price("KF-SW-003"))],
             status="paid", created_at=ago(2), paid_at=ago(2),
             shipping_address="北京市朝阳区建国路 93 号万达广场 7 号楼 1506"),
        dict(order_id="O1005", customer_id="C1005",
             items=[("KF-JK-001", 1, price("KF-JK-001")), ("KF-TS-001", 2, price("KF-TS-001"))],
             status="shipped", created_at=ago(3), paid_at=ago(3), shipped_at=ago(1), destination_country="ID",
             shipping_address="Jl. Kemang Raya No. 21, Mampang Prapatan, Jakarta Selatan 12730, Indonesia"),
        dict(order_id="O1006", customer_id="C1006", items=[("KF-HM-001", 1, price("KF-HM-001"))],
             status="delivered", created_at=ago(4), paid_at=ago(4), shipped_at=ago(3), delivered_at=ago(1),
             shipping_address="广州市天河区体育西路 191 号 2203"),
    ]
    for order in orders:
        store.add_order(**order, currency="CNY", replace=True)  # type: ignore[arg-type]
