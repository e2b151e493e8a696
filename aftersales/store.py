"""The order store: customers, products, prices, orders and conversations behind frozen views, a session per call."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, delete, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.pool import StaticPool

from aftersales.errors import Conflict, InvalidInput, NotFound
from aftersales.tables import (
    Base,
    ChannelIdentity,
    Conversation,
    Customer,
    Message,
    Order,
    OrderItem,
    PriceHistory,
    Product,
)
from aftersales.views import (
    CHANNELS,
    ORDER_STATUSES,
    ROLES,
    ConversationContext,
    ConversationView,
    CustomerView,
    MessageView,
    OrderItemView,
    OrderView,
    PricePoint,
    ProductView,
)

logger = logging.getLogger("kefu.aftersales")
_Row = TypeVar("_Row", bound=Base)

DEFAULT_URL = "sqlite:///var/kefu.db"
# SQLAlchemy's default driver for a bare postgresql:// is psycopg2; kefu ships psycopg 3.
_PG_SCHEMES = ("postgresql", "postgres")
# pg_advisory_xact_lock key held while creating tables ("kefu" in ASCII).
_SCHEMA_LOCK = 0x6B656675
# Milestone a status implies; an order claiming it without the timestamp would make the policy guess.
_STATUS_NEEDS = {"paid": ("paid_at",), "shipped": ("paid_at", "shipped_at"),
                 "delivered": ("paid_at", "shipped_at", "delivered_at")}


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"bad store URL {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend in _PG_SCHEMES:
        if parsed.drivername in _PG_SCHEMES:
            parsed = parsed.set(drivername="postgresql+psycopg")
        # The URL's own query (?connect_timeout=..., ?options=...) wins over these defaults.
        defaults = {"connect_timeout": 10, "application_name": "kefu"}
        return create_engine(
            parsed,
            # A restarted server or a proxy that drops idle connections costs a ping, not a failed turn.
            pool_pre_ping=True, pool_recycle=1800,
            connect_args={k: v for k, v in defaults.items() if k not in parsed.query},
        )
    if backend != "sqlite":
        raise InvalidInput(f"store URL {parsed.render_as_string()!r}: the store runs on sqlite:///path or "
                           "postgresql://user@host/db")
    database = parsed.database or ":memory:"
    memory = database == ":memory:" or database.startswith("file::memory:")
    if not memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        connect_args={"check_same_thread": False},
        # One shared connection keeps an in-memory database alive across sessions.
        **({"poolclass": StaticPool} if memory else {}),
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=5000")
        if not memory:
            _wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _wal(cursor: sqlite3.Cursor) -> None:
    """Put the file in WAL mode, which it keeps. Replicas opening a new file together race to switch it, and the
    loser is told "locked" at once, without the busy wait, so it looks again a moment later."""
    for attempt in range(50):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.1)


def _create_tables(engine: Engine) -> None:
    """Create what is missing. Replicas starting together would each see a table missing and all but one fail
    creating it, so the check and the creation happen under a lock: an advisory one on PostgreSQL, SQLite's write
    lock (BEGIN IMMEDIATE) there."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        Base.metadata.create_all(conn)


def _upsert(s: Session, model: type[Base]) -> Any:
    """INSERT ... ON CONFLICT for the session's backend: one statement whoever comes first, where a read followed by
    an insert would let two replicas both insert."""
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"{name} must be a tz-aware datetime, got naive {value.isoformat()}")


def _storable(value: object) -> bool:
    """Text PostgreSQL can hold: no NUL, no lone surrogate (SQLite would keep a NUL)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(model: type[Base], **values: str | None) -> None:
    """Refuse on every backend what PostgreSQL refuses and SQLite would keep: strings over the column's length (in
    characters, as VARCHAR(n) counts), NUL characters and lone surrogates."""
    for name, value in values.items():
        if value is None:
            continue
        if not _storable(value):
            raise InvalidInput(f"{name} must be text without NUL characters or lone surrogates")
        limit = getattr(model.__table__.c[name].type, "length", None)
        if limit is not None and len(value) > limit:
            raise InvalidInput(f"{name} must be at most {limit} characters, got {len(value)}")


def _findable(*keys: Any) -> bool:
    """Whether a key could have been stored at all. PostgreSQL errors on a NUL even in a lookup, where SQLite finds
    nothing, so such keys are not found on either without asking."""
    return all(_storable(k) for k in keys)


def _get(s: Session, model: type[_Row], key: Any, *, with_for_update: bool = False) -> _Row | None:
    """Session.get, with unstorable keys simply absent (see _findable)."""
    if not _findable(*(key if isinstance(key, tuple) else (key,))):
        return None
    return s.get(model, key, with_for_update=with_for_update)


def _customer_view(row: Customer) -> CustomerView:
    return CustomerView(id=row.id, name=row.name or "", language=row.language)


def _product_view(row: Product) -> ProductView:
    return ProductView(
        sku=row.sku, title=row.title, description=row.description or "", category=row.category,
        price_cents=row.price_cents, currency=row.currency, stock=row.stock, presale=bool(row.presale),
        restock_date=row.restock_date, style_tags=tuple(row.style_tags or ()),
    )


def _conversation_view(row: Conversation) -> ConversationView:
    return ConversationView(id=row.id, customer_id=row.customer_id, channel=row.channel, created_at=row.created_at,
                            context=ConversationContext.from_dict(row.context))


class Store:
    """Persistence of the after-sales domain. Thread-safe: every method opens and closes its own session."""

    def __init__(self, url: str = DEFAULT_URL):
        self.url = url
        self.engine = _engine(url)
        _create_tables(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

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
        _text(Customer, id=customer_id, name=name, language=language)
        _text(ChannelIdentity, external_id=external_id)
        changes = {k: v for k, v in (("name", name), ("language", language)) if v is not None}
        with self._tx() as s:
            insert = _upsert(s, Customer).values(id=customer_id, name=name or "", language=language)
            s.execute(insert.on_conflict_do_update(index_elements=["id"], set_=changes) if changes
                      else insert.on_conflict_do_nothing(index_elements=["id"]))
            if channel is not None:
                s.execute(_upsert(s, ChannelIdentity)
                          .values(channel=channel, external_id=external_id, customer_id=customer_id)
                          .on_conflict_do_nothing(index_elements=["channel", "external_id"]))
                owner = s.scalar(select(ChannelIdentity.customer_id).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id))
                if owner != customer_id:
                    raise Conflict(f"{channel} account {external_id!r} belongs to another customer")
            return _customer_view(s.get_one(Customer, customer_id))

    def get_customer(self, customer_id: str) -> CustomerView:
        with self._tx() as s:
            row = _get(s, Customer, customer_id)
            if row is None:
                raise NotFound("customer", customer_id)
            return _customer_view(row)

    def customer_for(self, channel: str, external_id: str) -> CustomerView:
        """The customer behind a channel account (the same person on Douyin and WeChat is one customer)."""
        with self._tx() as s:
            identity = _get(s, ChannelIdentity, (channel, external_id))
            if identity is None:
                raise NotFound("channel_identity", f"{channel}:{external_id}")
            return _customer_view(s.get_one(Customer, identity.customer_id))

    # Products and prices ---------------------------------------------------------------------------------------

    def upsert_product(self, product: ProductView) -> None:
        if product.price_cents < 0 or product.stock < 0:
            raise InvalidInput(f"product {product.sku}: price and stock must not be negative")
        values = dict(
            sku=product.sku, title=product.title, description=product.description, category=product.category,
            price_cents=product.price_cents, currency=product.currency, stock=product.stock,
            presale=product.presale, restock_date=product.restock_date, style_tags=list(product.style_tags),
        )
        _text(Product, sku=product.sku, title=product.title, description=product.description,
              category=product.category, currency=product.currency)
        with self._tx() as s:
            insert = _upsert(s, Product).values(**values)
            s.execute(insert.on_conflict_do_update(
                index_elements=["sku"], set_={k: insert.excluded[k] for k in values if k != "sku"}))

    def get_product(self, sku: str) -> ProductView:
        with self._tx() as s:
            row = _get(s, Product, sku)
            if row is None:
                raise NotFound("product", sku)
            return _product_view(row)

    def products(self) -> list[ProductView]:
        with self._tx() as s:
            return [_product_view(r) for r in s.scalars(select(Product).order_by(Product.sku))]

    def replace_price_history(self, sku: str, points: Sequence[tuple[int, datetime]]) -> None:
        """Make `points` ((price_cents, effective_at), any order) the whole history of `sku`."""
        for cents, at in points:
            _aware("effective_at", at)
            if cents < 0:
                raise InvalidInput(f"price of {sku} must not be negative")
        if len({at for _, at in points}) != len(points):
            raise InvalidInput(f"price history of {sku} has two points at the same time")
        with self._tx(write_lock=True) as s:
            # The product's row lock serialises writers of one history: two replicas re-seeding it at once would
            # otherwise both delete the old points and both insert the new ones.
            if _get(s, Product, sku, with_for_update=True) is None:
                raise NotFound("product", sku)
            s.execute(delete(PriceHistory).where(PriceHistory.sku == sku))
            s.add_all(PriceHistory(sku=sku, price_cents=c, effective_at=at) for c, at in points)

    def price_history(self, sku: str) -> list[PricePoint]:
        """Oldest first."""
        with self._tx() as s:
            if _get(s, Product, sku) is None:
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
            _aware(name, value)
        missing = [n for n in _STATUS_NEEDS.get(status, ()) if stamps[n] is None]
        if missing:
            raise InvalidInput(f"order {order_id} is {status} but has no {', '.join(missing)}")
        if len(currency) != 3 or len(destination_country) != 2:
            raise InvalidInput(f"order {order_id}: currency is ISO 4217 (3 letters), country ISO 3166 (2 letters)")
        _text(Order, id=order_id, shipping_address=shipping_address)
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
            if _get(s, Customer, customer_id) is None:
                raise NotFound("customer", customer_id)
            for sku, _, _ in items:
                if _get(s, Product, sku) is None:
                    raise NotFound("product", sku)
            fields = dict(
                customer_id=customer_id, status=status, currency=currency.upper(),
                destination_country=destination_country.upper(), shipping_address=shipping_address,
                coupons=list(coupons), **stamps,
                items=[OrderItem(sku=sku, quantity=q, unit_price_cents=c) for sku, q, c in items],
            )
            existing = _get(s, Order, order_id, with_for_update=True)
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
        if not _findable(order_id):
            raise NotFound("order", order_id)
        with self._tx() as s:
            row = s.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.items)))
            if row is None:
                raise NotFound("order", order_id)
            return self._order_views(s, [row])[0]

    def orders_for(self, customer_id: str) -> list[OrderView]:
        """Newest first; an unknown customer simply has none."""
        if not _findable(customer_id):
            return []
        with self._tx() as s:
            rows = list(s.scalars(
                select(Order).where(Order.customer_id == customer_id).options(selectinload(Order.items))
                .order_by(Order.created_at.desc(), Order.id.desc())
            ))
            return self._order_views(s, rows)

    @staticmethod
    def _order_views(s: Session, orders: list[Order]) -> list[OrderView]:
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
                coupons=tuple(o.coupons or ()), items=tuple(items),
            ))
        return views

    # Conversations ---------------------------------------------------------------------------------------------

    def open_conversation(self, conversation_id: str, customer_id: str, channel: str, now: datetime
                          ) -> ConversationView:
        """The conversation, created on its first turn. A conversation id of another customer raises Conflict, so one
        customer can never read another's context."""
        if not isinstance(conversation_id, str) or not conversation_id.strip() or len(conversation_id) > 128:
            raise InvalidInput(f"conversation_id must be 1-128 characters, got {conversation_id!r}")
        _aware("now", now)
        _text(Conversation, id=conversation_id, channel=channel)
        with self._tx() as s:
            row = _get(s, Conversation, conversation_id)
            if row is None:
                if _get(s, Customer, customer_id) is None:
                    raise NotFound("customer", customer_id)
                s.execute(_upsert(s, Conversation)
                          .values(id=conversation_id, customer_id=customer_id, channel=channel, created_at=now,
                                  context={})
                          .on_conflict_do_nothing(index_elements=["id"]))
                # Ours, or the one a concurrent first turn created a moment earlier.
                row = s.get_one(Conversation, conversation_id)
            if row.customer_id != customer_id:
                raise Conflict(f"conversation {conversation_id!r} belongs to another customer")
            return _conversation_view(row)

    def get_context(self, conversation_id: str) -> ConversationContext:
        with self._tx() as s:
            row = _get(s, Conversation, conversation_id)
            if row is None:
                raise NotFound("conversation", conversation_id)
            return ConversationContext.from_dict(row.context)

    def update_context(self, conversation_id: str, context: ConversationContext) -> None:
        """Replace the known keys; keys written by newer code are kept (a new dict, so the JSON change is seen)."""
        with self._tx(write_lock=True) as s:
            # Locked: two turns of one conversation merging at once would otherwise lose one's keys.
            row = _get(s, Conversation, conversation_id, with_for_update=True)
            if row is None:
                raise NotFound("conversation", conversation_id)
            row.context = {**(row.context or {}), **context.to_dict()}

    def append_message(self, conversation_id: str, role: str, text: str, payload: dict[str, Any],
                       created_at: datetime) -> MessageView:
        if role not in ROLES:
            raise InvalidInput(f"role must be one of {ROLES}, got {role!r}")
        _aware("created_at", created_at)
        _text(Message, text=text)
        with self._tx() as s:
            if _get(s, Conversation, conversation_id) is None:
                raise NotFound("conversation", conversation_id)
            s.add(Message(conversation_id=conversation_id, role=role, text=text, payload=payload,
                          created_at=created_at))
        return MessageView(conversation_id, role, text, payload, created_at)

    def messages(self, conversation_id: str) -> list[MessageView]:
        """Oldest first."""
        if not _findable(conversation_id):
            return []
        with self._tx() as s:
            rows = s.scalars(select(Message).where(Message.conversation_id == conversation_id)
                             .order_by(Message.created_at, Message.id))
            return [MessageView(r.conversation_id, r.role, r.text, r.payload or {}, r.created_at) for r in rows]

    def counts(self) -> dict[str, int]:
        """Rows per table (for health pages and tests)."""
        with self._tx() as s:
            return {t.name: s.scalar(select(func.count()).select_from(t)) or 0
                    for t in Base.metadata.sorted_tables}
