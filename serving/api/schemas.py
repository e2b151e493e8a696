"""Request and response bodies of the HTTP API, as they appear in OpenAPI (`/docs`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aftersales.integrations.ingest import Amount

CHANNELS = ("tmall", "jd", "douyin", "wechat", "app", "phone", "web", "shopee", "lazada")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ProductRefIn(BaseModel):
    """The product the customer is looking at: kefu's sku, or the channel's item id or page URL (exactly one)."""

    model_config = ConfigDict(extra="forbid")

    sku: str | None = Field(None, min_length=1, max_length=64)
    item_id: str | None = Field(None, min_length=1, max_length=64)
    url: str | None = Field(None, max_length=500, pattern=r"^https?://\S+$")
    channel: str | None = Field(None, pattern="^(" + "|".join(CHANNELS) + ")$",
                                description="whose item id or URL; omitted: the message's channel")

    @model_validator(mode="after")
    def _one(self) -> "ProductRefIn":
        if sum(v is not None for v in (self.sku, self.item_id, self.url)) != 1:
            raise ValueError("name the product by exactly one of sku, item_id and url")
        return self


class CartItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(..., min_length=1, max_length=64)
    quantity: int = Field(1, ge=1, le=10_000)
    unit_price: Amount | None = Field(None, description="major units; omitted: the product's current price")


class MessageIn(BaseModel):
    """The non-file fields of a conversation message (a JSON body, or form fields next to the files)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(..., min_length=1, max_length=128)
    channel: str = Field("web", pattern="^(" + "|".join(CHANNELS) + ")$")
    order_id: str | None = Field(None, max_length=64)
    language: str | None = Field(None, min_length=2, max_length=8, description="ISO 639-1; detected when absent")
    text: str | None = Field(None, max_length=4000)
    product: ProductRefIn | None = Field(None, description="the product the customer is looking at (before an order)")
    cart: list[CartItemIn] = Field(default_factory=list, max_length=100, description="the customer's cart")


class SearchTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., min_length=1, max_length=500)
    top_k: int | None = Field(None, ge=1, le=100)


class TranscriptionResponse(BaseModel):
    text: str


class DisplayName(BaseModel):
    zh: str
    en: str


class DefectOut(BaseModel):
    label: str = Field(..., description="taxonomy id (configs/defects.yaml): snag, hole, stain, tear, ...")
    name: DisplayName | None = Field(None, description="display names; null for a label outside the taxonomy")
    confidence: float
    box: list[float] = Field(..., description="[x1, y1, x2, y2] in pixels")
    location: str = Field(..., description="photo third of the box's centre: 'upper left' ... 'lower right'")


class IssueOut(BaseModel):
    label: str
    name: DisplayName
    group: str = Field(..., description="fabric or hard_goods")
    confidence: float = Field(..., description="best score among the label's boxes")
    count: int
    severity: str = Field(..., description="minor, moderate or severe (from the label, size and count)")
    area: float = Field(..., description="largest box's share of the photo")
    location: str
    box: list[float]


class PhotoDefectOut(DefectOut):
    photo: int = Field(..., description="index of the photo in the message")


class DefectsResponse(BaseModel):
    width: int
    height: int
    defects: list[DefectOut]
    issues: list[IssueOut] = Field(..., description="one after-sales issue per defect label, most severe first")


class MatchOut(_Open):
    sku: str
    title: str
    score: float


class CatalogSearchResponse(BaseModel):
    matches: list[MatchOut]


class Emotion(BaseModel):
    label: str
    score: float


class ActionOut(_Open):
    type: str
    amount: float | None = None
    currency: str | None = None


class DecisionOut(_Open):
    rule: str
    actions: list[ActionOut]


class PromotionOut(BaseModel):
    id: str
    name: str


class Handoff(BaseModel):
    required: bool
    reason: str | None = Field(None, description="customer_asked, policy_manual, angry_repeated, angry_customer or "
                                                 "low_confidence")
    queue_id: int | None = Field(None, description="the conversation's entry on the agents' queue (GET /v1/handoffs)")


class Recommendation(BaseModel):
    sku: str
    title: str
    style_tags: list[str]


class TextLineOut(BaseModel):
    text: str
    score: float = Field(..., description="recognition confidence")
    box: list[float] = Field(..., description="[x1, y1, x2, y2] in pixels")


class ScreenOut(BaseModel):
    photo: int = Field(..., description="index of the photo in the message")
    text: str = Field(..., description="the screenshot's lines in reading order, one row a line")


class ScreenshotSlots(BaseModel):
    order_id: str | None
    tracking_number: str | None
    amounts: list[str] = Field(..., description="money read, in major units as decimal strings")
    phone: str | None
    dates: list[str]


class ScreenshotResponse(BaseModel):
    screenshot: bool = Field(..., description="a screen or a document (order page, chat, parcel label), not goods")
    text: str
    lines: list[TextLineOut]
    flat: float = Field(..., description="share of the picture its three commonest colours cover; only pictures "
                                         "flat enough to be screens are read")
    slots: ScreenshotSlots | None = Field(None, description="what the text holds; null for a photo of goods")


class MessageResponse(BaseModel):
    conversation_id: str
    transcript: str | None
    language: str
    intent: str
    emotion: Emotion
    order_id: str | None
    product: MatchOut | None
    candidates: list[MatchOut] = Field(default_factory=list, description="Catalog matches for the photos or video")
    defects: list[dict[str, Any]] = Field(..., description="Defects the decision considered (photo and text)")
    detections: list[PhotoDefectOut] = Field(default_factory=list, description="Detector boxes in the photos")
    screens: list[ScreenOut] = Field(default_factory=list, description="Text read off the photos that are "
                                                                       "screenshots (not searched for defects)")
    decision: DecisionOut
    reply: str
    handoff: Handoff
    promotion: PromotionOut | None = Field(None, description="the sales period running now (618, 双11, ...)")
    recommendations: list[Recommendation] = Field(
        default_factory=list, description="up to three products in the styles the customer bought before")
    remembered: list[str] = Field(default_factory=list,
                                  description="what came from earlier turns or channels: order, defects")
    timings_ms: dict[str, float]
