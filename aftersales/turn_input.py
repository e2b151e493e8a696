"""One customer turn as the serving layer hands it over: text, the product media showed, the defects photos showed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aftersales.defects import Box, PhotoDetections
from aftersales.errors import InvalidInput
from aftersales.store.views import CHANNELS


@dataclass(frozen=True)
class ProductHit:
    """The catalog product a photo or video showed.

    Attributes:
        sku: Catalog sku.
        title: Its title.
        score: Similarity of the match.
    """

    sku: str
    title: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "title": self.title, "score": round(float(self.score), 4)}


@dataclass(frozen=True)
class ViewedProduct:
    """The product the customer is looking at, as the channel names it: a sku, or the channel's item id or page URL.

    Attributes:
        sku: kefu's sku.
        item_id: The channel's id of the listing.
        url: The listing's page.
        channel: Whose item id or URL it is; None: the turn's channel.
    """

    sku: str | None = None
    item_id: str | None = None
    url: str | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        if sum(v is not None for v in (self.sku, self.item_id, self.url)) != 1:
            raise InvalidInput("product names the product by exactly one of sku, item_id and url")


@dataclass(frozen=True)
class CartLine:
    """One line of the customer's cart.

    Attributes:
        sku: The product.
        quantity: Units.
        unit_price_cents: The price shown for one unit, None for the product's current price.
    """

    sku: str
    quantity: int = 1
    unit_price_cents: int | None = None


@dataclass(frozen=True)
class TurnInput:
    """One customer turn as the serving layer hands it over.

    Attributes:
        conversation_id: The conversation (chosen by the caller; one customer's).
        customer_id: The customer id the chat backend sends; unknown ids are registered.
        channel: One of CHANNELS.
        text: Typed text plus any voice-note transcript; "" when only media came.
        language_hint: Language the customer or backend asked for, None to detect.
        order_id: Order the backend says the turn is about; unknown ones raise NotFound.
        transcript_language: Language the transcriber heard, None without a voice note.
        product: Product identified from photos or video.
        photos: The detector's boxes in each photo, with the photo's size (severity depends on both).
        viewed: The product the customer is looking at (before any order), None when not said.
        cart: The customer's cart, empty when not sent.
        screens: Text read off the screenshots the customer sent (an order page, a chat, a parcel label), one per
            screenshot: its order id, amounts and tracking number count like typed ones.
        idempotency_key: The chat backend's key for this message: sent again, the same answer comes back and the
            turn is stored once. None: every request is a new turn.
        fingerprint: What the message carried, hashed (the same key on another message is refused).
        shown: What the answer shows of the message's media (transcript, catalog matches, boxes, screens), kept
            with the answer for a retry.
    """

    conversation_id: str
    customer_id: str
    channel: str = "web"
    text: str = ""
    language_hint: str | None = None
    order_id: str | None = None
    transcript_language: str | None = None
    product: ProductHit | None = None
    photos: tuple[PhotoDetections, ...] = ()
    viewed: ViewedProduct | None = None
    cart: tuple[CartLine, ...] = ()
    screens: tuple[str, ...] = ()
    idempotency_key: str | None = None
    fingerprint: str = ""
    shown: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("conversation_id", "customer_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"{name} must be a non-empty string, got {value!r}")
        if self.channel not in CHANNELS:
            raise InvalidInput(f"unknown channel {self.channel!r}; expected one of {', '.join(CHANNELS)}")
        if not isinstance(self.text, str):
            raise InvalidInput(f"text must be a string, got {type(self.text).__name__}")
        object.__setattr__(self, "photos", tuple(_photo(p) for p in self.photos))
        object.__setattr__(self, "cart", tuple(self.cart))
        if isinstance(self.screens, str) or not all(isinstance(s, str) for s in self.screens):
            raise InvalidInput("screens must be the texts read off screenshots")
        object.__setattr__(self, "screens", tuple(s for s in self.screens if s.strip()))

    @property
    def screen_text(self) -> str:
        """The screenshots' text, one after the other; "" without screenshots."""
        return "\n".join(self.screens)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TurnInput":
        """From the JSON-ish dict the ingress builds; photos are {"width", "height", "defects": [...]} with each
        detection a dict or a (label, confidence, box) triple."""
        if not isinstance(data, Mapping):
            raise InvalidInput("a turn must be a mapping")
        product = data.get("product")
        if product is not None:
            try:
                product = ProductHit(str(product["sku"]), str(product.get("title", "")), float(product["score"]))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise InvalidInput(f"product must have sku, title and score, got {product!r}") from None
        return cls(
            conversation_id=data.get("conversation_id"),  # type: ignore[arg-type]  (validated in __post_init__)
            customer_id=data.get("customer_id"),  # type: ignore[arg-type]
            channel=data.get("channel") or "web",
            text=data.get("text") or "",
            language_hint=data.get("language_hint"),
            order_id=data.get("order_id") or None,
            transcript_language=data.get("transcript_language"),
            product=product,
            photos=tuple(data.get("photos") or ()),
            viewed=_viewed(data.get("viewed")),
            cart=tuple(_cart_line(line) for line in data.get("cart") or ()),
            screens=tuple(data.get("screens") or ()),
        )


def _viewed(item: Any) -> ViewedProduct | None:
    if item is None or isinstance(item, ViewedProduct):
        return item
    if not isinstance(item, Mapping) or set(item) - {"sku", "item_id", "url", "channel"}:
        raise InvalidInput(f"product must be {{sku | item_id | url, channel}}, got {item!r}")
    return ViewedProduct(**{k: (str(v) if v is not None else None) for k, v in item.items()})


def _cart_line(item: Any) -> CartLine:
    if isinstance(item, CartLine):
        return item
    try:
        price = item.get("unit_price_cents")
        return CartLine(str(item["sku"]), int(item.get("quantity", 1)), None if price is None else int(price))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidInput(f"a cart line must be {{sku, quantity, unit_price_cents}}, got {item!r}") from None


def _photo(item: Any) -> PhotoDetections:
    if isinstance(item, PhotoDetections):
        return item
    try:
        width, height, found = int(item["width"]), int(item["height"]), item.get("defects") or ()
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"a photo must be {{width, height, defects}}, got {item!r}") from None
    if width <= 0 or height <= 0:
        raise InvalidInput(f"a photo's width and height must be positive, got {width}x{height}")
    return PhotoDetections(width, height, tuple(_defect(d) for d in found))


def _defect(item: Any) -> tuple[str, float, Box]:
    try:
        if isinstance(item, Mapping):
            label, confidence, box = item["label"], item["confidence"], item["box"]
        else:
            label, confidence, box = item
        box = tuple(float(v) for v in box)
        if len(box) != 4:
            raise ValueError("box needs 4 numbers")
        return str(label), float(confidence), box  # type: ignore[return-value]
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"an image defect must be (label, confidence, box), got {item!r}") from None


__all__ = ["CartLine", "ProductHit", "TurnInput", "ViewedProduct"]
