"""What ERPs and webhooks send: orders, products, customers and coupons, validated field by field.

These pydantic models are the one contract for the ingest API (`PUT /v1/...`) and for the ERP adapter: a bad field
is reported with its path (`items.0.unit_price`). Money is given as a decimal string or number in major units
("269.00") and kept as integer cents; times must carry a zone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from aftersales.policy.stacking import COUPON_KINDS, ISSUERS
from aftersales.errors import InvalidInput
from aftersales.money import parse_amount
from aftersales.store.views import CHANNELS, ORDER_STATUSES

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def _cents(value: object) -> int:
    try:
        return parse_amount(value)  # type: ignore[arg-type]
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


def _amount(value: str | int | float) -> str | int | float:
    if _cents(value) < 0:
        raise ValueError("must not be negative")
    return value


# Money in major units, as sent ("269.00", 269, 59.9): exact to the cent, never negative.
Amount = Annotated[str | int | float, AfterValidator(_amount)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrderItemIn(_Strict):
    sku: Id
    quantity: int = Field(..., ge=1, le=10_000)
    unit_price: Amount = Field(..., description="paid price of one unit, major units: \"269.00\"")

    @property
    def unit_price_cents(self) -> int:
        return _cents(self.unit_price)


class LogisticsEventIn(_Strict):
    at: AwareDatetime
    status: str = Field(..., min_length=1, max_length=40, description="carrier's status: picked_up, in_transit, ...")
    description: str = Field("", max_length=500)
    location: str = Field("", max_length=200)


class OrderIn(_Strict):
    customer_id: Id
    status: Literal[ORDER_STATUSES]  # type: ignore[valid-type]
    currency: Currency
    created_at: AwareDatetime
    paid_at: AwareDatetime | None = None
    shipped_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    destination_country: Country = "CN"
    shipping_address: str = Field("", max_length=500)
    carrier: str = Field("", max_length=64)
    tracking_number: str = Field("", max_length=64)
    items: list[OrderItemIn] = Field(..., min_length=1, max_length=500)
    coupons: list[Id] = Field(default_factory=list, max_length=20, description="ids of coupons applied")
    logistics: list[LogisticsEventIn] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _milestones(self) -> "OrderIn":
        order = [("created_at", self.created_at), ("paid_at", self.paid_at), ("shipped_at", self.shipped_at),
                 ("delivered_at", self.delivered_at)]
        reached = [(name, at) for name, at in order if at is not None]
        for (earlier, a), (later, b) in zip(reached, reached[1:]):
            if b < a:
                raise ValueError(f"{later} is before {earlier}")
        needs = {"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at"}
        for status, field in needs.items():
            if self.status == status and getattr(self, field) is None:
                raise ValueError(f"status {status} needs {field}")
        if len({i.sku for i in self.items}) != len(self.items):
            raise ValueError("each sku appears once in items (add up the quantities)")
        if len(set(self.coupons)) != len(self.coupons):
            raise ValueError("a coupon is listed twice")
        return self


class PricePointIn(_Strict):
    price: Amount
    effective_at: AwareDatetime


Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
# A text in one language, or one per language ({"zh": "...", "en": "..."}): what the shop wrote, answered as written.
LocalText = Annotated[str, StringConstraints(min_length=1, max_length=5000)] | dict[
    Language, Annotated[str, StringConstraints(min_length=1, max_length=5000)]]
Range = Annotated[list[float], Field(min_length=2, max_length=2)]


def _range(name: str, value: list[float] | None) -> None:
    if value is not None and not 0 <= value[0] <= value[1]:
        raise ValueError(f"{name} must be [low, high] with 0 ≤ low ≤ high")


class SizeRowIn(_Strict):
    size: str = Field(..., min_length=1, max_length=20, description="the size's name: S, M, L, 38, 27.5 ...")
    height: Range | None = Field(None, description="wearer's height in cm, [from, to]")
    weight: Range | None = Field(None, description="wearer's weight in kg, [from, to]")
    chest: float | None = Field(None, gt=0, description="garment measurements in cm")
    waist: float | None = Field(None, gt=0)
    hip: float | None = Field(None, gt=0)
    length: float | None = Field(None, gt=0)
    shoulder: float | None = Field(None, gt=0)
    foot: float | None = Field(None, gt=0, description="foot length in cm (shoes)")

    @model_validator(mode="after")
    def _ranges(self) -> "SizeRowIn":
        _range("height", self.height)
        _range("weight", self.weight)
        return self


class SizeChartIn(_Strict):
    unit: Literal["cm"] = "cm"
    rows: list[SizeRowIn] = Field(..., min_length=1, max_length=30, description="smallest size first")

    @model_validator(mode="after")
    def _unique(self) -> "SizeChartIn":
        if len({r.size for r in self.rows}) != len(self.rows):
            raise ValueError("a size is listed twice")
        return self


class ChannelItemIn(_Strict):
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    item_id: Id
    url: str | None = Field(None, max_length=500, pattern=r"^https?://\S+$")


KNOWLEDGE_FIELDS = ("materials", "care", "dimensions", "usage", "warranty")


class ProductIn(_Strict):
    title: str = Field(..., min_length=1, max_length=300)
    description: str = Field("", max_length=5000)
    category: str = Field(..., min_length=1, max_length=64)
    price: Amount = Field(..., description="current price, major units")
    currency: Currency
    stock: int = Field(0, ge=0)
    presale: bool = False
    restock_date: date | None = None
    style_tags: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=30)
    price_history: list[PricePointIn] = Field(default_factory=list, max_length=1000,
                                              description="earlier prices; the current price is added as of now")
    titles: dict[Language, Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(
        default_factory=dict, description="the title in other languages: {\"en\": \"Wool cardigan\"}")
    channel_items: list[ChannelItemIn] = Field(default_factory=list, max_length=20,
                                               description="the product's item id and page on each channel")
    size_chart: SizeChartIn | None = None
    materials: LocalText | None = None
    care: LocalText | None = Field(None, description="washing and care, e.g. {\"en\": \"Hand wash cold...\"}")
    dimensions: LocalText | None = None
    usage: LocalText | None = Field(None, description="how to use or install it")
    warranty: LocalText | None = None

    @property
    def knowledge(self) -> dict[str, Any]:
        """What the store keeps as the product's knowledge (the fields given, JSON-ready)."""
        out: dict[str, Any] = {name: getattr(self, name) for name in KNOWLEDGE_FIELDS if getattr(self, name)}
        if self.size_chart is not None:
            out["size_chart"] = self.size_chart.model_dump(exclude_none=True)
        return out


class FaqIn(_Strict):
    language: Language
    question: str = Field(..., min_length=1, max_length=2000)
    answer: str = Field(..., min_length=1, max_length=5000)
    sku: Id | None = Field(None, description="the product it is about; null for the whole shop")


class IdentityIn(_Strict):
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    external_id: Id


class CustomerIn(_Strict):
    name: str = Field("", max_length=200)
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$")
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)


class CouponIn(_Strict):
    kind: Literal[COUPON_KINDS]  # type: ignore[valid-type]
    issuer: Literal[ISSUERS] = "shop"  # type: ignore[valid-type]
    currency: Currency = "CNY"
    customer_id: Id | None = Field(None, description="the holder; null for a coupon every customer may use")
    amount: str | int | float | None = None
    threshold: str | int | float | None = None
    percent: float | None = Field(None, gt=0, lt=100)
    max_discount: str | int | float | None = None
    group: str | None = Field(None, max_length=40)
    exclusive: bool = False
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None
    categories: list[str] = Field(default_factory=list, max_length=50)
    skus: list[Id] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _shape(self) -> "CouponIn":
        for name in ("amount", "threshold", "max_discount"):
            value = getattr(self, name)
            if value is not None and _cents(value) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.kind in ("no_threshold", "threshold") and self.amount is None:
            raise ValueError(f"a {self.kind} coupon needs an amount")
        if self.kind == "threshold" and self.threshold is None:
            raise ValueError("a threshold coupon needs a threshold")
        if self.kind == "percentage" and self.percent is None:
            raise ValueError("a percentage coupon needs a percent")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


KINDS = ("order", "product", "customer", "coupon", "faq")


def ingest(store: Any, kind: str, key: str, payload: Any, now: datetime) -> bool:
    """Validate `payload` as the `kind`'s contract and upsert it under `key`; True when it was created.

    Raises:
        InvalidInput: An unknown kind; pydantic's ValidationError for a bad payload (the HTTP layer validates first).
    """
    if kind == "order":
        return store.put_order(key, OrderIn.model_validate(payload))
    if kind == "product":
        return store.put_product(key, ProductIn.model_validate(payload), now)
    if kind == "customer":
        return store.put_customer(key, CustomerIn.model_validate(payload))
    if kind == "coupon":
        return store.put_coupon(key, CouponIn.model_validate(payload))
    if kind == "faq":
        return store.put_faq(key, FaqIn.model_validate(payload))
    raise InvalidInput(f"unknown kind {kind!r}; expected one of {KINDS}")


__all__ = ["KINDS", "KNOWLEDGE_FIELDS", "ingest", "ChannelItemIn", "CouponIn", "CustomerIn", "FaqIn", "IdentityIn",
           "LogisticsEventIn", "OrderIn", "OrderItemIn", "PricePointIn", "ProductIn", "SizeChartIn", "SizeRowIn"]
