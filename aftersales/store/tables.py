"""SQLAlchemy 2 tables of the order store; portable SQL only (SQLite file by default, PostgreSQL by URL)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine


def identifier(length: int) -> TypeEngine[str]:
    """An identifier column: compared and ordered by code point on every backend. SQLite's BINARY collation does so
    already; PostgreSQL would use the database's locale (en_US puts "a-1" before "B-2"), so it gets COLLATE "C"."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Tz-aware UTC in, tz-aware UTC out, on every backend (SQLite drops offsets, so UTC is stored naive there)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive time is ambiguous across replicas in different zones; refuse rather than guess.
            raise ValueError(f"naive datetime {value.isoformat()} given to the store; use tz-aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(identifier(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)


class ChannelIdentity(Base):
    __tablename__ = "channel_identities"

    channel: Mapped[str] = mapped_column(identifier(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(identifier(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)


class Product(Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(identifier(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(64))
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer, default=0)
    presale: Mapped[bool] = mapped_column(Boolean, default=False)
    restock_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # JSON, not PostgreSQL's JSONB: the text is kept as written (key order included), as SQLite keeps it.
    style_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Titles per language ({"en": "Wool cardigan"}) and product knowledge (size chart, materials, care, dimensions,
    # usage, warranty: aftersales.policy.knowledge), as ingested.
    titles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    knowledge: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")


class ProductChannelItem(Base):
    """A product as a sales channel lists it: its item id there and its page's URL."""

    __tablename__ = "product_channel_items"

    channel: Mapped[str] = mapped_column(identifier(16), primary_key=True)
    item_id: Mapped[str] = mapped_column(identifier(64), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), index=True)
    url: Mapped[str | None] = mapped_column(String(500), nullable=True, index=True)


class FaqEntry(Base):
    """One question and answer of the shop's FAQ, in one language, for the whole shop or one product."""

    __tablename__ = "faq_entries"

    id: Mapped[str] = mapped_column(identifier(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    sku: Mapped[str | None] = mapped_column(ForeignKey("products.sku"), nullable=True, index=True)


class PriceHistory(Base):
    __tablename__ = "price_history"
    __table_args__ = (UniqueConstraint("sku", "effective_at"), Index("ix_price_history_sku_at", "sku", "effective_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    price_cents: Mapped[int] = mapped_column(BigInteger)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(identifier(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    destination_country: Mapped[str] = mapped_column(String(2))
    shipping_address: Mapped[str] = mapped_column(Text, default="")
    # Ids of the coupons applied: ingested orders name rows of `coupons`; orders added directly may name any code.
    coupons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Added after the first release: the server default fills the rows of an upgraded database (see store_sql).
    carrier: Mapped[str] = mapped_column(String(64), default="", server_default="")
    tracking_number: Mapped[str] = mapped_column(String(64), default="", server_default="")
    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    logistics: Mapped[list["LogisticsEvent"]] = relationship(
        cascade="all, delete-orphan", order_by=lambda: [LogisticsEvent.at, LogisticsEvent.id]
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    order: Mapped[Order] = relationship(back_populates="items")


class LogisticsEvent(Base):
    __tablename__ = "logistics_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500), default="")
    location: Mapped[str] = mapped_column(String(200), default="")


class CouponRow(Base):
    """A coupon as stored; `aftersales.policy.stacking.Coupon` is what the store hands out."""

    __tablename__ = "coupons"

    id: Mapped[str] = mapped_column(identifier(64), primary_key=True)
    # Null: a shop-wide coupon every customer may use.
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    issuer: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    threshold_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # A float, as the Coupon carries it; Float is double precision on both backends.
    percent: Mapped[float] = mapped_column(Float, default=0.0)
    max_discount_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    group: Mapped[str | None] = mapped_column(String(40), nullable=True)
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    skus: Mapped[list[str]] = mapped_column(JSON, default=list)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(identifier(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ChatRecord(Base):
    """A message, transcript, decision or reply: `body` is sealed (aftersales.store.crypto) for `customer_id`."""

    __tablename__ = "chat_records"
    __table_args__ = (Index("ix_chat_records_customer_at", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    role: Mapped[str] = mapped_column(String(16))
    # JSON {"text", "payload"} sealed with the key named by `key_id` (kept apart so rewrapping finds old records).
    body: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Turn(Base):
    """What one turn concluded, without its words: the automation rate and the anger streak read these."""

    __tablename__ = "turns"
    __table_args__ = (Index("ix_turns_customer_at", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    intent: Mapped[str] = mapped_column(String(32))
    emotion: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(64))
    handoff_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TurnAnswer(Base):
    """The answer a turn sent with an idempotency key, sealed like the chat records: the same key again in the same
    conversation gets this answer back, and the turn is not stored twice."""

    __tablename__ = "turn_answers"
    __table_args__ = (UniqueConstraint("conversation_id", "idempotency_key", name="uq_turn_answers_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    # sha256 of what the message carried (fields and files): the same key on another message is a client bug.
    fingerprint: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Handoff(Base):
    """A conversation waiting for, or taken by, a person: open → claimed → resolved."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The agent's resolution note, sealed like the chat records ("" when none).
    note: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Base):
    """One read of order data or of a customer's history: who, when, what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    resource: Mapped[str] = mapped_column(String(200))


class StoreRevision(Base):
    """One row counting the commits that changed the shop's reference data (customers' accounts, products, prices,
    orders, coupons, FAQ): a replica keeps what it read of them while the count stands (aftersales.store.reference)."""

    __tablename__ = "store_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


# The tables StoreRevision counts changes to; the chat records, turns, hand-overs and audit log are not among them.
REFERENCE_TABLES = frozenset({"customers", "channel_identities", "products", "product_channel_items", "faq_entries",
                              "price_history", "orders", "order_items", "logistics_events", "coupons"})
