"""ORM rows → the frozen views the store hands out (never ORM objects)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.store.tables import Conversation, Customer, Order, PriceHistory, Product
from aftersales.store.views import (
    ConversationContext,
    ConversationView,
    CustomerView,
    LogisticsEventView,
    OrderItemView,
    OrderView,
    ProductView,
)


def customer_view(row: Customer) -> CustomerView:
    return CustomerView(id=row.id, name=row.name or "", language=row.language)


def product_view(row: Product) -> ProductView:
    return ProductView(
        sku=row.sku, title=row.title, description=row.description or "", category=row.category,
        price_cents=row.price_cents, currency=row.currency, stock=row.stock, presale=bool(row.presale),
        restock_date=row.restock_date, style_tags=tuple(row.style_tags or ()), titles=dict(row.titles or {}),
        knowledge=dict(row.knowledge or {}),
    )


def conversation_view(row: Conversation) -> ConversationView:
    return ConversationView(id=row.id, customer_id=row.customer_id, channel=row.channel, created_at=row.created_at,
                            context=ConversationContext.from_dict(row.context))


def order_views(s: Session, orders: list[Order]) -> list[OrderView]:
    """Views of `orders` (items and logistics loaded), each line with its product as it is now."""
    skus = {i.sku for o in orders for i in o.items}
    if not skus:
        products: dict[str, Product] = {}
        history: dict[str, list[PriceHistory]] = {}
    else:
        products = {p.sku: p for p in s.scalars(select(Product).where(Product.sku.in_(skus)))}
        history = {}
        for point in s.scalars(select(PriceHistory).where(PriceHistory.sku.in_(skus))
                               .order_by(PriceHistory.effective_at.desc())):
            history.setdefault(point.sku, []).append(point)
    views = []
    for o in orders:
        items = []
        for i in o.items:
            p = products[i.sku]
            since = None
            # The start of the latest run of points at today's price is when today's price took effect.
            for point in history.get(i.sku, []):
                if point.price_cents != p.price_cents:
                    break
                since = point.effective_at
            items.append(OrderItemView(
                sku=i.sku, title=p.title, category=p.category, quantity=i.quantity,
                unit_price_cents=i.unit_price_cents, current_price_cents=p.price_cents,
                current_price_currency=p.currency,
                current_price_since=since, presale=bool(p.presale), restock_date=p.restock_date, stock=p.stock,
            ))
        views.append(OrderView(
            id=o.id, customer_id=o.customer_id, status=o.status, currency=o.currency, created_at=o.created_at,
            paid_at=o.paid_at, shipped_at=o.shipped_at, delivered_at=o.delivered_at,
            destination_country=o.destination_country, shipping_address=o.shipping_address or "",
            coupons=tuple(o.coupons or ()), items=tuple(items), carrier=o.carrier or "",
            tracking_number=o.tracking_number or "",
            logistics=tuple(LogisticsEventView(at=e.at, status=e.status, description=e.description or "",
                                               location=e.location or "") for e in o.logistics),
        ))
    return views
