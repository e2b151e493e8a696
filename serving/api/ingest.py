"""Ingest routes for ERPs and webhooks (PUT an order, product, customer, coupon or FAQ entry; idempotent, 201 when new) and
coupon stacking on a cart."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from aftersales.integrations.ingest import CouponIn, Currency, CustomerIn, FaqIn, OrderIn, ProductIn
from aftersales.money import parse_amount
from serving import errors
from serving.access import needs
from serving.api.base import Routes
from serving.api.schemas import CartItemIn

Key = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


class Stored(BaseModel):
    id: str
    created: bool


class CartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(..., min_length=1, max_length=64)
    currency: Currency = "CNY"
    lines: list[CartItemIn] = Field(..., min_length=1, max_length=200)
    coupon_ids: list[str] = Field(default_factory=list, max_length=20,
                                  description="coupons to consider; empty: every coupon the customer holds")


_RESPONSES = {**errors.ERROR_RESPONSES, 201: {"model": Stored, "description": "created"}}


router = APIRouter()


class IngestRoutes(Routes):
    """Mixed into the ingress: Desk writes what the shop's systems send; Dialogue stacks coupons on a cart."""

    desk: Any
    dialogue: Any

    async def _put(self, kind: str, key: str, body: BaseModel, response: Response) -> dict:
        created = await self._call(self.desk.put.remote(kind, key, body.model_dump(mode="json")))
        response.status_code = 201 if created else 200
        return {"id": key, "created": created}

    @router.post("/v1/carts/coupons", responses=errors.ERROR_RESPONSES, openapi_extra=needs("converse"))
    async def stack_cart(self, body: CartIn) -> dict:
        """Which of the customer's coupons stack on a cart, the best legal set and the final price (the shop's
        coupon_stacking rule), with the reason every other coupon is left out."""
        lines = [(line.sku, line.quantity, None if line.unit_price is None else parse_amount(line.unit_price))
                 for line in body.lines]
        return await self._call(self.dialogue.stack_cart.remote(body.customer_id, lines, body.coupon_ids,
                                                                body.currency))

    @router.put("/v1/orders/{order_id}", response_model=Stored, responses=_RESPONSES, openapi_extra=needs("ingest"))
    async def put_order(self, order_id: Key, body: OrderIn, response: Response) -> dict:
        """Create or replace an order (items, coupons applied, milestones, logistics events)."""
        return await self._put("order", order_id, body, response)

    @router.put("/v1/products/{sku}", response_model=Stored, responses=_RESPONSES, openapi_extra=needs("ingest"))
    async def put_product(self, sku: Key, body: ProductIn, response: Response) -> dict:
        """Create or update a product; a new current price is added to its price history. Titles per language,
        the product's listings on each channel (item id, page URL) and what the shop knows of it (size chart,
        materials, care, dimensions, usage, warranty) are what kefu answers product questions from."""
        return await self._put("product", sku, body, response)

    @router.put("/v1/customers/{customer_id}", response_model=Stored, responses=_RESPONSES,
                openapi_extra=needs("ingest"))
    async def put_customer(self, customer_id: Key, body: CustomerIn, response: Response) -> dict:
        """Create or update a customer and the accounts they use on each channel."""
        return await self._put("customer", customer_id, body, response)

    @router.put("/v1/coupons/{coupon_id}", response_model=Stored, responses=_RESPONSES, openapi_extra=needs("ingest"))
    async def put_coupon(self, coupon_id: Key, body: CouponIn, response: Response) -> dict:
        """Create or update a coupon (a customer's, or shop-wide without a customer_id)."""
        return await self._put("coupon", coupon_id, body, response)

    @router.put("/v1/faq/{faq_id}", response_model=Stored, responses=_RESPONSES, openapi_extra=needs("ingest"))
    async def put_faq(self, faq_id: Key, body: FaqIn, response: Response) -> dict:
        """Create or update an entry of the shop's FAQ (one language; for the whole shop or one product)."""
        return await self._put("faq", faq_id, body, response)


__all__ = ["IngestRoutes"]
