"""The order store: customers, products, prices, orders and conversations behind frozen views, a session per call."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.pool import StaticPool

from aftersales.store import ingest as store_ingest
from aftersales.store.crypto import KeyRing
from aftersales.errors import Conflict, InvalidInput, NotFound
from aftersales.store.chat import ChatRecords, seal_legacy_messages
from aftersales.store.sql import (
    check_text,
    create_tables,
    findable,
    get_row,
    make_engine,
    require_aware,
    upsert_into,
)
from aftersales.store.rows import customer_view, order_views, product_view
from aftersales.store.tables import (
    Base,
    ChannelIdentity,
    Customer,
    Order,
    OrderItem,
    PriceHistory,
    FaqEntry,
    Product,
    ProductChannelItem,
    REFERENCE_TABLES,
    StoreRevision,
)
from aftersales.store.views import (
    CHANNELS,
    ORDER_STATUSES,
    CustomerView,
    FaqView,
    OrderView,
    PricePoint,
    ProductView,
)

if TYPE_CHECKING:
    from aftersales.policy.stacking import Coupon
    from aftersales.integrations.ingest import CouponIn, CustomerIn, FaqIn, OrderIn, ProductIn

logger = logging.getLogger("kefu.aftersales")

DEFAULT_URL = "sqlite:///var/kefu.db"
# Milestone a status implies; an order claiming it without the timestamp would make the policy guess.
_STATUS_NEEDS = {"paid": ("paid_at",), "shipped": ("paid_at", "shipped_at"),
                 "delivered": ("paid_at", "shipped_at", "delivered_at")}


class Store(ChatRecords):
    """Persistence of the after-sales domain. Thread-safe: every method opens and closes its own session.

    Chat records are sealed with `keys` (aftersales.store.crypto); without a ring, a random key lives as long as this
    object, which suits tests and throwaway stores only: the records of a file store would not open again.
    """

    def __init__(self, url: str = DEFAULT_URL, keys: KeyRing | None = None):
        self.url = url
        self.keys = keys or KeyRing({"ephemeral": secrets.token_bytes(32)}, "ephemeral")
        self.engine = make_engine(url)
        create_tables(self.engine, lambda conn: seal_legacy_messages(conn, self.keys))
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        with self._tx() as s:
            s.execute(upsert_into(s, StoreRevision).values(id=1, n=0).on_conflict_do_nothing(index_elements=["id"]))
        _count_reference_changes(self._sessions)

    def revision(self) -> int:
        """How many commits have changed the shop's reference data; what was read of it stands while this does."""
        with self.engine.connect() as conn:
            return conn.execute(select(StoreRevision.n).where(StoreRevision.id == 1)).scalar_one()

    @contextmanager
    def _tx(self, *, write_lock: bool = False) -> Iterator[Session]:
        """A session in one transaction. `write_lock` is for read-then-rewrite: on PostgreSQL the method's own FOR
        UPDATE serialises it; SQLite has no row locks and would run the reads outside the transaction, so the whole
        database's write lock is taken first (an in-memory database is one shared connection: nothing to lock)."""
        with self._sessions.begin() as session:
            if write_lock and self.engine.dialect.name == "sqlite" and not isinstance(self.engine.pool, StaticPool):
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # Customers -------------------------------------------------------------------------------------------------

    def ensure_customer(self, customer_id: str, channel: str | None = None, *, external_id: str | None = None,
                        name: str | None = None, language: str | None = None) -> CustomerView:
        """The customer, created on first contact; with `channel`, also its identity there (external id defaults to
        the customer id). Given name/language overwrite the stored ones."""
        if not isinstance(customer_id, str) or not customer_id.strip() or len(customer_id) > 128:
            raise InvalidInput(f"customer_id must be 1-128 characters, got {customer_id!r}")
        if channel is not None and channel not in CHANNELS:
            raise InvalidInput(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
        external_id = external_id or customer_id
        check_text(Customer, id=customer_id, name=name, language=language)
        check_text(ChannelIdentity, external_id=external_id)
        changes = {k: v for k, v in (("name", name), ("language", language)) if v is not None}
        with self._tx() as s:
            # A first contact only adds a customer and an account: nothing read of anyone before changes.
            s.info["creates_only"] = not changes
            insert = upsert_into(s, Customer).values(id=customer_id, name=name or "", language=language)
            s.execute(insert.on_conflict_do_update(index_elements=["id"], set_=changes) if changes
                      else insert.on_conflict_do_nothing(index_elements=["id"]))
            if channel is not None and not store_ingest.claim_identity(s, channel, external_id, customer_id):
                raise Conflict(f"{channel} account {external_id!r} belongs to another customer")
            return customer_view(s.get_one(Customer, customer_id))

    def get_customer(self, customer_id: str) -> CustomerView:
        with self._tx() as s:
            row = get_row(s, Customer, customer_id)
            if row is None:
                raise NotFound("customer", customer_id)
            return customer_view(row)

    def customer_for(self, channel: str, external_id: str) -> CustomerView:
        """The customer behind a channel account (the same person on Douyin and WeChat is one customer)."""
        with self._tx() as s:
            identity = get_row(s, ChannelIdentity, (channel, external_id))
            if identity is None:
                raise NotFound("channel_identity", f"{channel}:{external_id}")
            return customer_view(s.get_one(Customer, identity.customer_id))

    def identities(self, customer_id: str) -> list[tuple[str, str]]:
        """(channel, account id) of every channel account of the customer, by channel."""
        if not findable(customer_id):
            return []
        with self._tx() as s:
            rows = s.execute(select(ChannelIdentity.channel, ChannelIdentity.external_id)
                             .where(ChannelIdentity.customer_id == customer_id)
                             .order_by(ChannelIdentity.channel, ChannelIdentity.external_id))
            return [(channel, external) for channel, external in rows]

    # Products and prices ---------------------------------------------------------------------------------------

    def upsert_product(self, product: ProductView) -> None:
        if product.price_cents < 0 or product.stock < 0:
            raise InvalidInput(f"product {product.sku}: price and stock must not be negative")
        values = dict(
            sku=product.sku, title=product.title, description=product.description, category=product.category,
            price_cents=product.price_cents, currency=product.currency, stock=product.stock,
            presale=product.presale, restock_date=product.restock_date, style_tags=list(product.style_tags),
            titles=dict(product.titles), knowledge=dict(product.knowledge),
        )
        check_text(Product, sku=product.sku, title=product.title, description=product.description,
              category=product.category, currency=product.currency)
        with self._tx() as s:
            insert = upsert_into(s, Product).values(**values)
            s.execute(insert.on_conflict_do_update(
                index_elements=["sku"], set_={k: insert.excluded[k] for k in values if k != "sku"}))

    def get_product(self, sku: str) -> ProductView:
        with self._tx() as s:
            row = get_row(s, Product, sku)
            if row is None:
                raise NotFound("product", sku)
            return product_view(row)

    def products(self) -> list[ProductView]:
        with self._tx() as s:
            return [product_view(r) for r in s.scalars(select(Product).order_by(Product.sku))]

    def replace_price_history(self, sku: str, points: Sequence[tuple[int, datetime]]) -> None:
        """Make `points` ((price_cents, effective_at), any order) the whole history of `sku`."""
        for cents, at in points:
            require_aware("effective_at", at)
            if cents < 0:
                raise InvalidInput(f"price of {sku} must not be negative")
        if len({at for _, at in points}) != len(points):
            raise InvalidInput(f"price history of {sku} has two points at the same time")
        with self._tx(write_lock=True) as s:
            # The product's row lock serialises writers of one history: two replicas re-seeding it at once would
            # otherwise both delete the old points and both insert the new ones.
            if get_row(s, Product, sku, with_for_update=True) is None:
                raise NotFound("product", sku)
            s.execute(delete(PriceHistory).where(PriceHistory.sku == sku))
            s.add_all(PriceHistory(sku=sku, price_cents=c, effective_at=at) for c, at in points)

    def price_history(self, sku: str) -> list[PricePoint]:
        """Oldest first."""
        with self._tx() as s:
            if get_row(s, Product, sku) is None:
                raise NotFound("product", sku)
            rows = s.scalars(select(PriceHistory).where(PriceHistory.sku == sku).order_by(PriceHistory.effective_at))
            return [PricePoint(sku=r.sku, price_cents=r.price_cents, effective_at=r.effective_at) for r in rows]

    # Orders ----------------------------------------------------------------------------------------------------

    def add_order(self, order_id: str, customer_id: str, items: Sequence[tuple[str, int, int]], *,
                  created_at: datetime, status: str = "paid", currency: str = "CNY",
                  paid_at: datetime | None = None, shipped_at: datetime | None = None,
                  delivered_at: datetime | None = None, destination_country: str = "CN",
                  shipping_address: str = "", coupons: Sequence[str] = (), replace: bool = False) -> OrderView:
        """Store an order; `items` are (sku, quantity, unit_price_cents paid). An existing id raises Conflict unless
        `replace` (the demo seed re-dates its orders that way)."""
        if status not in ORDER_STATUSES:
            raise InvalidInput(f"order {order_id}: unknown status {status!r}; expected one of {ORDER_STATUSES}")
        if not items:
            raise InvalidInput(f"order {order_id} has no items")
        for sku, quantity, cents in items:
            if quantity < 1 or cents < 0:
                raise InvalidInput(f"order {order_id}, {sku}: quantity must be ≥ 1 and price ≥ 0")
        stamps = {"created_at": created_at, "paid_at": paid_at, "shipped_at": shipped_at, "delivered_at": delivered_at}
        for name, value in stamps.items():
            require_aware(name, value)
        missing = [n for n in _STATUS_NEEDS.get(status, ()) if stamps[n] is None]
        if missing:
            raise InvalidInput(f"order {order_id} is {status} but has no {', '.join(missing)}")
        if len(currency) != 3 or len(destination_country) != 2:
            raise InvalidInput(f"order {order_id}: currency is ISO 4217 (3 letters), country ISO 3166 (2 letters)")
        check_text(Order, id=order_id, shipping_address=shipping_address)
        args = (order_id, customer_id, items, stamps, status, currency, destination_country, shipping_address,
                coupons, replace)
        try:
            self._write_order(*args)
        except IntegrityError:
            # Another writer inserted this id between our read and our insert; the second try sees (and locks) it.
            self._write_order(*args)
        return self.get_order(order_id)

    def _write_order(self, order_id: str, customer_id: str, items: Sequence[tuple[str, int, int]],
                     stamps: dict[str, datetime | None], status: str, currency: str, destination_country: str,
                     shipping_address: str, coupons: Sequence[str], replace: bool) -> None:
        with self._tx(write_lock=True) as s:
            if get_row(s, Customer, customer_id) is None:
                raise NotFound("customer", customer_id)
            for sku, _, _ in items:
                if get_row(s, Product, sku) is None:
                    raise NotFound("product", sku)
            fields = dict(
                customer_id=customer_id, status=status, currency=currency.upper(),
                destination_country=destination_country.upper(), shipping_address=shipping_address,
                coupons=list(coupons), **stamps,
                items=[OrderItem(sku=sku, quantity=q, unit_price_cents=c) for sku, q, c in items],
            )
            existing = get_row(s, Order, order_id, with_for_update=True)
            if existing is None:
                s.add(Order(id=order_id, **fields))
            elif not replace:
                raise Conflict(f"order {order_id!r} already exists")
            else:
                # Updated in place, not deleted and re-inserted: a concurrent replacer waiting on the row lock must
                # find the row again (PostgreSQL would hand it "no row" for a deleted one, and it would insert).
                for name, value in fields.items():
                    setattr(existing, name, value)

    def get_order(self, order_id: str) -> OrderView:
        if not findable(order_id):
            raise NotFound("order", order_id)
        with self._tx() as s:
            row = s.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.items), selectinload(Order.logistics)))
            if row is None:
                raise NotFound("order", order_id)
            return order_views(s, [row])[0]

    def orders_for(self, customer_id: str) -> list[OrderView]:
        """Newest first; an unknown customer simply has none."""
        if not findable(customer_id):
            return []
        with self._tx() as s:
            rows = list(s.scalars(
                select(Order).where(Order.customer_id == customer_id).options(selectinload(Order.items), selectinload(Order.logistics))
                .order_by(Order.created_at.desc(), Order.id.desc())
            ))
            return order_views(s, rows)

    # Ingest (PUT /v1/...): idempotent upserts, each returning whether the row was created ----------------------

    def put_customer(self, customer_id: str, data: CustomerIn) -> bool:
        """Name and language as given; identities are added. An identity of another customer raises Conflict."""
        with self._tx() as s:
            return store_ingest.put_customer(s, customer_id, data)

    def put_product(self, sku: str, data: ProductIn, now: datetime) -> bool:
        """The product as given. `data.price_history`, when not empty, replaces the stored history; the current
        price becomes a point at `now` when the latest point says another (so the same body again adds nothing)."""
        with self._tx(write_lock=True) as s:
            return store_ingest.put_product(s, sku, data, now)

    def put_order(self, order_id: str, data: OrderIn) -> bool:
        """The whole order; lines and logistics events are replaced. An unknown customer is created; an unknown sku
        or coupon raises UnknownReference naming the field ("items.0.sku", "coupons.1")."""
        try:
            with self._tx(write_lock=True) as s:
                return store_ingest.put_order(s, order_id, data)
        except IntegrityError:
            # Another writer inserted this id between our read and our insert; the second try sees (and locks) it.
            with self._tx(write_lock=True) as s:
                return store_ingest.put_order(s, order_id, data)

    def put_coupon(self, coupon_id: str, data: CouponIn) -> bool:
        """The coupon as given; a holder not yet known is created."""
        with self._tx() as s:
            return store_ingest.put_coupon(s, coupon_id, data)

    def put_faq(self, faq_id: str, data: FaqIn) -> bool:
        """One FAQ entry as given; a product it names must be known (UnknownReference "sku")."""
        with self._tx() as s:
            return store_ingest.put_faq(s, faq_id, data)

    def faqs(self) -> list[FaqView]:
        """The shop's FAQ entries, by id."""
        with self._tx() as s:
            return [FaqView(r.id, r.language, r.question, r.answer, r.sku)
                    for r in s.scalars(select(FaqEntry).order_by(FaqEntry.id))]

    def product_listed(self, channel: str | None, item_id: str | None = None, url: str | None = None) -> ProductView:
        """The product a channel lists under `item_id` (on `channel`, or any channel when None) or at `url`;
        NotFound when none does. A URL not stored as such still names the product when a known item id of the
        channel is one of its numbers (?id=652301234567)."""
        with self._tx() as s:
            query = select(ProductChannelItem)
            if item_id is not None:
                query = query.where(ProductChannelItem.item_id == item_id)
            elif url is not None:
                query = query.where(ProductChannelItem.url == store_ingest.normalize_url(url))
            else:
                raise InvalidInput("a listed product is named by item_id or url")
            if channel is not None:
                query = query.where(ProductChannelItem.channel == channel)
            row = s.scalars(query.order_by(ProductChannelItem.channel)).first()
            if row is None and url is not None:
                numbers = re.findall(r"\d{5,}", url)
                if numbers:
                    row = s.scalars(select(ProductChannelItem).where(ProductChannelItem.item_id.in_(numbers))
                                    .order_by(ProductChannelItem.channel)).first()
            if row is None:
                raise NotFound("product", item_id or url or "")
            return product_view(get_row(s, Product, row.sku))

    def coupons_for(self, customer_id: str) -> list[Coupon]:
        """Coupons the customer may use, by id: their own and shop-wide ones, less those applied to any order of
        theirs past pending_payment and not closed (a coupon is spent once paid)."""
        with self._tx() as s:
            return store_ingest.coupons_for(s, customer_id)

    def counts(self) -> dict[str, int]:
        """Rows per table (for health pages and tests)."""
        with self._tx() as s:
            return {t.name: s.scalar(select(func.count()).select_from(t)) or 0
                    for t in Base.metadata.sorted_tables}


def _count_reference_changes(sessions: sessionmaker) -> None:
    """Make every commit that wrote a reference table (by statement or by flushed object) add one to the revision, in
    the same transaction, so readers that keep what they read (aftersales.store.reference) see the change."""

    @event.listens_for(sessions, "do_orm_execute")
    def _statement(state) -> None:
        if (state.is_insert or state.is_update or state.is_delete) and \
                getattr(state.statement, "table", None) is not None and state.statement.table.name in REFERENCE_TABLES:
            state.session.info["changed"] = True

    @event.listens_for(sessions, "before_flush")
    def _flush(session: Session, context, instances) -> None:
        touched = (*session.new, *session.dirty, *session.deleted)
        if any(getattr(o, "__tablename__", None) in REFERENCE_TABLES for o in touched):
            session.info["changed"] = True

    @event.listens_for(sessions, "before_commit")
    def _commit(session: Session) -> None:
        session.flush()  # commit flushes after this hook: the objects still pending must be counted now
        if session.info.pop("changed", False) and not session.info.pop("creates_only", False):
            session.execute(update(StoreRevision).where(StoreRevision.id == 1).values(n=StoreRevision.n + 1))
        session.info.clear()
