"""Frozen snapshots the store hands out (never ORM objects), and the JSON conversion they share."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Mapping

CHANNELS = ("tmall", "jd", "douyin", "wechat", "app", "phone", "web", "shopee", "lazada")
ORDER_STATUSES = ("pending_payment", "paid", "shipped", "delivered", "closed")
ROLES = ("customer", "assistant")


def jsonable(value: Any) -> Any:
    """Dates → ISO strings, tuples → lists, Money and views → dicts, recursively; JSON-safe output."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    return value


@dataclass(frozen=True)
class CustomerView:
    """A customer.

    Attributes:
        id: The customer id the chat backend sends.
        name: Display name (may be empty for customers registered on first contact).
        language: Preferred ISO 639-1 language, None when unknown.
    """

    id: str
    name: str
    language: str | None


@dataclass(frozen=True)
class ProductView:
    """A catalog product as it is now.

    Attributes:
        sku: Stock-keeping unit, the product's id.
        title: Display title.
        description: Longer text.
        category: apparel, accessories, bags, shoes, home, beauty, ...
        price_cents: Current price in cents.
        currency: ISO 4217 code.
        stock: Units on hand.
        presale: Sold ahead of stock; ships from `restock_date`.
        restock_date: When stock is expected, None if not announced.
        style_tags: Style words ("french_retro", "knit", ...).
        titles: The title in other languages (language → title).
        knowledge: What the shop told about it: size_chart, materials, care, dimensions, usage, warranty
            (aftersales.integrations.ingest.ProductIn.knowledge).
    """

    sku: str
    title: str
    description: str
    category: str
    price_cents: int
    currency: str
    stock: int
    presale: bool
    restock_date: date | None
    style_tags: tuple[str, ...] = ()
    titles: Mapping[str, str] = field(default_factory=dict)
    knowledge: Mapping[str, Any] = field(default_factory=dict)

    def title_in(self, language: str | None) -> str:
        """The title in `language`; else, where the shop's own title is in Chinese and the customer is not, the English
        one; else the shop's own title."""
        if language and self.titles.get(language):
            return self.titles[language]
        if language != "zh" and self.titles.get("en") and any("\u4e00" <= ch <= "\u9fff" for ch in self.title):
            return self.titles["en"]
        return self.title


@dataclass(frozen=True)
class FaqView:
    """One entry of the shop's FAQ.

    Attributes:
        id: The entry's id.
        language: The language it is written in.
        question, answer: As the shop wrote them.
        sku: The product it is about, None for the whole shop.
    """

    id: str
    language: str
    question: str
    answer: str
    sku: str | None = None


@dataclass(frozen=True)
class PricePoint:
    """A price that took effect at a moment (and held until the next point of the same sku).

    Attributes:
        sku: The product.
        price_cents: The price from `effective_at` on.
        effective_at: Tz-aware UTC instant.
    """

    sku: str
    price_cents: int
    effective_at: datetime


@dataclass(frozen=True)
class OrderItemView:
    """One order line with the product facts the policy needs, as of the read.

    Attributes:
        sku: The product.
        title: Product title.
        category: Product category.
        quantity: Units bought.
        unit_price_cents: What the customer paid per unit.
        current_price_cents: The product's price now.
        current_price_currency: Currency of that price (cross-border orders may be paid in another).
        current_price_since: When the current price took effect (None without price history).
        presale: Whether the product is sold on presale.
        restock_date: Expected restock, None if not announced.
        stock: Units on hand now.
    """

    sku: str
    title: str
    category: str
    quantity: int
    unit_price_cents: int
    current_price_cents: int
    current_price_currency: str
    current_price_since: datetime | None
    presale: bool
    restock_date: date | None
    stock: int


@dataclass(frozen=True)
class LogisticsEventView:
    """One scan or status update of the carrier.

    Attributes:
        at: When it happened (tz-aware UTC).
        status: The carrier's status word (picked_up, in_transit, out_for_delivery, ...).
        description: The carrier's text, may be empty.
        location: Where, may be empty.
    """

    at: datetime
    status: str
    description: str = ""
    location: str = ""


@dataclass(frozen=True)
class OrderView:
    """An order and its lines.

    Attributes:
        id: Order id ("O1001").
        customer_id: Owner.
        status: One of ORDER_STATUSES.
        currency: Currency of the paid prices.
        created_at: When the order was placed (tz-aware UTC).
        paid_at, shipped_at, delivered_at: Milestones, None until reached.
        destination_country: ISO 3166-1 alpha-2 country it ships to.
        shipping_address: Free text address.
        coupons: Ids of the coupons applied.
        items: The order lines.
        carrier: Carrier's name, empty until known.
        tracking_number: The carrier's tracking number, empty until known.
        logistics: The carrier's events, oldest first.
    """

    id: str
    customer_id: str
    status: str
    currency: str
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    destination_country: str
    shipping_address: str
    coupons: tuple[str, ...] = ()
    items: tuple[OrderItemView, ...] = ()
    carrier: str = ""
    tracking_number: str = ""
    logistics: tuple[LogisticsEventView, ...] = ()

    def item(self, sku: str) -> OrderItemView | None:
        return next((i for i in self.items if i.sku == sku), None)

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(i.sku for i in self.items)


@dataclass(frozen=True)
class ConversationContext:
    """What a conversation remembers between turns.

    Attributes:
        order_id: The order the last turn was about.
        sku: The product the last turn was about.
        defects: Defects shown or described in earlier turns (DefectFinding.to_dict() each), newest turn's last.
    """

    order_id: str | None = None
    sku: str | None = None
    defects: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "sku": self.sku, "defects": [dict(d) for d in self.defects]}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "ConversationContext":
        data = data or {}
        defects = data.get("defects") or ()
        return cls(order_id=data.get("order_id"), sku=data.get("sku"),
                   defects=tuple(d for d in defects if isinstance(d, dict)))

    @property
    def empty(self) -> bool:
        return self.order_id is None and self.sku is None and not self.defects


@dataclass(frozen=True)
class ConversationView:
    """A conversation with one customer on one channel.

    Attributes:
        id: Conversation id chosen by the caller.
        customer_id: The customer talking.
        channel: Where the conversation started.
        created_at: First turn (tz-aware UTC).
        context: What it remembers.
    """

    id: str
    customer_id: str
    channel: str
    created_at: datetime
    context: ConversationContext = field(default_factory=ConversationContext)


@dataclass(frozen=True)
class MessageView:
    """One stored message.

    Attributes:
        conversation_id: The conversation.
        role: "customer" or "assistant".
        text: What was said.
        payload: Structured facts of the turn (understanding, decision), JSON.
        created_at: Tz-aware UTC.
    """

    conversation_id: str
    role: str
    text: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class TimelineEntry:
    """One message of a customer's history, on whichever channel it came.

    Attributes:
        at: Tz-aware UTC.
        channel: Where the conversation ran.
        conversation_id: The conversation.
        role: "customer" or "assistant".
        text: What was said (a voice note's transcript included).
        payload: The turn's facts (understanding, decision, hand-off).
    """

    at: datetime
    channel: str
    conversation_id: str
    role: str
    text: str
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"at": self.at, "channel": self.channel, "conversation_id": self.conversation_id,
                         "role": self.role, "text": self.text, "payload": self.payload})


HANDOFF_STATUSES = ("open", "claimed", "resolved")


@dataclass(frozen=True)
class HandoffView:
    """A conversation on the agents' queue.

    Attributes:
        id: Queue id.
        conversation_id, customer_id, channel: Whose conversation, where.
        reason: Why the bot handed over (customer_asked, angry_customer, angry_repeated, policy_manual,
            low_confidence).
        status: open, claimed or resolved.
        created_at, claimed_at, resolved_at: Tz-aware UTC (None until it happens).
        claimed_by: The agent who took it.
        note: The agent's resolution note.
        last_message: The customer's latest words, for the agent's first glance.
    """

    id: int
    conversation_id: str
    customer_id: str
    channel: str
    reason: str
    status: str
    created_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    note: str = ""
    last_message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


@dataclass(frozen=True)
class AuditView:
    """One audited read: who (API key name and role) read what, when."""

    at: datetime
    actor: str
    role: str
    action: str
    resource: str

    def to_dict(self) -> dict[str, Any]:
        return jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})
