"""The ingest write paths behind `Store.put_*` (PUT /v1/customers|products|orders|coupons/{id}), and coupons_for.

Each function runs inside the caller's transaction and is idempotent: the same body twice leaves the same rows.
Whether a row was created is told by INSERT ... ON CONFLICT DO NOTHING RETURNING (a row back: ours), never by a read
before the insert, which two replicas could both pass.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from aftersales.policy.stacking import Coupon
from aftersales.errors import Conflict, InvalidInput, UnknownReference
from aftersales.money import parse_amount
from aftersales.store.sql import check_id, check_text, findable, get_row, require_aware, storable, upsert_into
from aftersales.store.tables import (
    Base,
    ChannelIdentity,
    CouponRow,
    Customer,
    FaqEntry,
    LogisticsEvent,
    Order,
    OrderItem,
    PriceHistory,
    Product,
    ProductChannelItem,
)

if TYPE_CHECKING:
    from aftersales.integrations.ingest import CouponIn, CustomerIn, FaqIn, OrderIn, ProductIn

# Orders in these states never took the customer's money, so coupons applied to them are not spent.
_UNSPENT_STATUSES = ("pending_payment", "closed")


def _insert_or_update(s: Session, model: type[Base], key: dict[str, Any], values: dict[str, Any]) -> bool:
    """Write `values` to the row of `key`, creating it; True when created. The update also takes the row lock on
    PostgreSQL, so what the caller writes next is serialised with other writers of the same row."""
    (column,) = key
    inserted = s.execute(upsert_into(s, model).values(**key, **values)
                         .on_conflict_do_nothing(index_elements=[column])
                         .returning(getattr(model, column))).first()
    if inserted is not None:
        return True
    s.execute(update(model).where(getattr(model, column) == key[column]).values(**values))
    return False


def _texts(name: str, values: list[str]) -> None:
    for i, value in enumerate(values):
        if not storable(value):
            raise InvalidInput(f"{name}.{i} must be text without NUL characters or lone surrogates")


# Customers ---------------------------------------------------------------------------------------------------------


def put_customer(s: Session, customer_id: str, data: CustomerIn) -> bool:
    check_id("customer_id", customer_id, Customer)
    check_text(Customer, name=data.name, language=data.language)
    for identity in data.identities:
        check_text(ChannelIdentity, external_id=identity.external_id)
    created = _insert_or_update(s, Customer, {"id": customer_id}, {"name": data.name, "language": data.language})
    for i, identity in enumerate(data.identities):
        if not claim_identity(s, identity.channel, identity.external_id, customer_id):
            raise Conflict(f"identities.{i}: {identity.channel} account {identity.external_id!r} belongs to "
                           "another customer")
    return created


def claim_identity(s: Session, channel: str, external_id: str, customer_id: str) -> bool:
    """Record that `customer_id` uses `external_id` on `channel`; False when that account is another customer's.

    Insert-or-nothing, then read the owner: two replicas claiming the same account at once both see the winner."""
    s.execute(upsert_into(s, ChannelIdentity)
              .values(channel=channel, external_id=external_id, customer_id=customer_id)
              .on_conflict_do_nothing(index_elements=["channel", "external_id"]))
    owner = s.scalar(select(ChannelIdentity.customer_id).where(
        ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id))
    return owner == customer_id


def _ensure_customer(s: Session, customer_id: str) -> None:
    """A bare customer for an id an order or coupon names first (ERPs send orders before customers)."""
    s.execute(upsert_into(s, Customer).values(id=customer_id, name="", language=None)
              .on_conflict_do_nothing(index_elements=["id"]))


# Products ----------------------------------------------------------------------------------------------------------


def put_product(s: Session, sku: str, data: ProductIn, now: datetime) -> bool:
    """Upsert the product; then the price history: points given (a non-empty list) replace the stored ones, and the
    current price is a point of its own unless the latest point already says it."""
    check_id("sku", sku, Product, "sku")
    require_aware("now", now)
    check_text(Product, title=data.title, description=data.description, category=data.category,
               currency=data.currency)
    _texts("style_tags", data.style_tags)
    price = parse_amount(data.price)
    given: dict[datetime, int] | None = None
    # An empty list is "not given", not "forget the history": a body passed on as JSON (model_dump) lists every
    # field, so an omitted history and an empty one cannot be told apart.
    if data.price_history:
        given = {p.effective_at: parse_amount(p.price) for p in data.price_history}
        if len(given) != len(data.price_history):
            raise InvalidInput(f"price_history of {sku} has two points at the same time")
    values = dict(title=data.title, description=data.description, category=data.category, price_cents=price,
                  currency=data.currency, stock=data.stock, presale=data.presale, restock_date=data.restock_date,
                  style_tags=list(data.style_tags), titles=dict(data.titles), knowledge=data.knowledge)
    created = _insert_or_update(s, Product, {"sku": sku}, values)
    _channel_items(s, sku, data)
    stored = {p.effective_at: p.price_cents
              for p in s.scalars(select(PriceHistory).where(PriceHistory.sku == sku))}
    wanted = dict(stored if given is None else given)
    latest = max(wanted, default=None)
    if latest is None or wanted[latest] != price:
        last_stored = max(stored, default=None)
        if (last_stored is not None and stored[last_stored] == price
                and (latest is None or last_stored > latest)):
            # The point this price got when it first arrived: re-sending a history must not move it to `now`.
            wanted[last_stored] = price
        else:
            wanted[now] = price
    if wanted != stored:
        s.execute(delete(PriceHistory).where(PriceHistory.sku == sku))
        s.add_all(PriceHistory(sku=sku, price_cents=c, effective_at=at) for at, c in sorted(wanted.items()))
    return created


def _channel_items(s: Session, sku: str, data: ProductIn) -> None:
    """The product's channel listings become exactly those given; a listing another product had moves to this one."""
    wanted = {(i.channel, i.item_id): normalize_url(i.url) for i in data.channel_items}
    if len(wanted) != len(data.channel_items):
        raise InvalidInput(f"channel_items of {sku} list one channel item twice")
    s.execute(delete(ProductChannelItem).where(ProductChannelItem.sku == sku))
    for (channel, item_id), url in wanted.items():
        s.execute(delete(ProductChannelItem).where(ProductChannelItem.channel == channel,
                                                   ProductChannelItem.item_id == item_id))
        s.add(ProductChannelItem(channel=channel, item_id=item_id, sku=sku, url=url))


def normalize_url(url: str | None) -> str | None:
    """A product page's URL as compared: scheme and host lower-cased, no fragment, no trailing slash."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def put_faq(s: Session, faq_id: str, data: FaqIn) -> bool:
    check_id("faq id", faq_id, FaqEntry, "id")
    if data.sku is not None and get_row(s, Product, data.sku) is None:
        raise UnknownReference("sku", "product", data.sku)
    return _insert_or_update(s, FaqEntry, {"id": faq_id}, dict(language=data.language, question=data.question,
                                                               answer=data.answer, sku=data.sku))


# Orders ------------------------------------------------------------------------------------------------------------


def _check_order(order_id: str, data: OrderIn) -> None:
    """What the contract leaves to the store: keys and text PostgreSQL can hold, within the columns."""
    check_id("order_id", order_id, Order)
    check_text(Customer, id=data.customer_id)
    check_text(Order, shipping_address=data.shipping_address, carrier=data.carrier,
               tracking_number=data.tracking_number)
    for event in data.logistics:
        check_text(LogisticsEvent, status=event.status, description=event.description, location=event.location)


def put_order(s: Session, order_id: str, data: OrderIn) -> bool:
    """Upsert the order with its lines and logistics events, each replaced as a whole. Call in a write-locked
    transaction (see Store._tx): the order row's lock is what serialises concurrent PUTs of one order."""
    _check_order(order_id, data)
    skus = [item.sku for item in data.items]
    known = set(s.scalars(select(Product.sku).where(Product.sku.in_([k for k in skus if findable(k)]))))
    for i, sku in enumerate(skus):
        if sku not in known:
            raise UnknownReference(f"items.{i}.sku", "product", sku)
    coupon_ids = list(data.coupons)
    known = set(s.scalars(select(CouponRow.id).where(CouponRow.id.in_([c for c in coupon_ids if findable(c)]))))
    for i, coupon_id in enumerate(coupon_ids):
        if coupon_id not in known:
            raise UnknownReference(f"coupons.{i}", "coupon", coupon_id)
    _ensure_customer(s, data.customer_id)
    fields = dict(
        customer_id=data.customer_id, status=data.status, currency=data.currency, created_at=data.created_at,
        paid_at=data.paid_at, shipped_at=data.shipped_at, delivered_at=data.delivered_at,
        destination_country=data.destination_country, shipping_address=data.shipping_address,
        carrier=data.carrier, tracking_number=data.tracking_number, coupons=coupon_ids,
        items=[OrderItem(sku=i.sku, quantity=i.quantity, unit_price_cents=i.unit_price_cents) for i in data.items],
        logistics=[LogisticsEvent(at=e.at, status=e.status, description=e.description, location=e.location)
                   for e in data.logistics],
    )
    existing = get_row(s, Order, order_id, with_for_update=True)
    if existing is None:
        s.add(Order(id=order_id, **fields))
        return True
    # In place, not deleted and re-inserted: a concurrent PUT waiting on the row lock must find the row again
    # (PostgreSQL would hand it "no row" for a deleted one, and it would insert a second time).
    for name, value in fields.items():
        setattr(existing, name, value)
    return False


# Coupons -----------------------------------------------------------------------------------------------------------


def _coupon(coupon_id: str, data: CouponIn) -> Coupon:
    def cents(value: str | int | float | None) -> int | None:
        return None if value is None else parse_amount(value)

    return Coupon(
        id=coupon_id, kind=data.kind, issuer=data.issuer, currency=data.currency,
        amount_cents=cents(data.amount) or 0, threshold_cents=cents(data.threshold) or 0,
        percent=data.percent or 0.0, max_discount_cents=cents(data.max_discount), group=data.group,
        exclusive=data.exclusive, valid_from=data.valid_from, valid_to=data.valid_to,
        categories=tuple(data.categories), skus=tuple(data.skus),
    )


def put_coupon(s: Session, coupon_id: str, data: CouponIn) -> bool:
    check_id("coupon_id", coupon_id, CouponRow)
    # Built first so that whatever is stored is a coupon the stacking engine accepts when it is read back.
    coupon = _coupon(coupon_id, data)
    check_text(CouponRow, group=coupon.group)
    if data.customer_id is not None:
        check_text(Customer, id=data.customer_id)
    _texts("categories", list(coupon.categories))
    _texts("skus", list(coupon.skus))
    if data.customer_id is not None:
        _ensure_customer(s, data.customer_id)
    values = dict(
        customer_id=data.customer_id, kind=coupon.kind, issuer=coupon.issuer, currency=coupon.currency,
        amount_cents=coupon.amount_cents, threshold_cents=coupon.threshold_cents, percent=coupon.percent,
        max_discount_cents=coupon.max_discount_cents, group=coupon.group, exclusive=coupon.exclusive,
        valid_from=coupon.valid_from, valid_to=coupon.valid_to, categories=list(coupon.categories),
        skus=list(coupon.skus),
    )
    return _insert_or_update(s, CouponRow, {"id": coupon_id}, values)


def coupons_for(s: Session, customer_id: str) -> list[Coupon]:
    """The customer's own coupons and the shop-wide ones, less those applied to an order of theirs that was paid."""
    holders = CouponRow.customer_id.is_(None)
    spent: set[str] = set()
    if findable(customer_id):
        holders = or_(holders, CouponRow.customer_id == customer_id)
        for applied in s.scalars(select(Order.coupons).where(Order.customer_id == customer_id,
                                                             Order.status.not_in(_UNSPENT_STATUSES))):
            spent.update(applied or ())
    rows = s.scalars(select(CouponRow).where(holders).order_by(CouponRow.id))
    return [
        Coupon(id=r.id, kind=r.kind, issuer=r.issuer, currency=r.currency, amount_cents=r.amount_cents,
               threshold_cents=r.threshold_cents, percent=r.percent, max_discount_cents=r.max_discount_cents,
               group=r.group, exclusive=bool(r.exclusive), valid_from=r.valid_from, valid_to=r.valid_to,
               categories=tuple(r.categories or ()), skus=tuple(r.skus or ()))
        for r in rows if r.id not in spent
    ]
