"""Routes for the people behind the bot: customer timelines, order data, the hand-over queue, reports and the audit
log. Each names its caller (the API key) to the Desk deployment, which writes order-data reads to the audit log."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from serving import errors
from serving.access import needs, principal_of
from serving.api.base import Routes

Key = Annotated[str, Path(min_length=1, max_length=128)]
_Figure = Annotated[Decimal, Query(ge=0, allow_inf_nan=False)]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=4000, description="what was done; stored encrypted like the chat")


router = APIRouter()


class DeskRoutes(Routes):
    """Mixed into the ingress: the Desk deployment answers them."""

    desk: Any

    @router.get("/v1/customers/{customer_id}/timeline", responses=errors.ERROR_RESPONSES,
                openapi_extra=needs("timelines"))
    async def timeline(self, customer_id: Key, request: Request,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict:
        """The customer's history on every channel (tmall, jd, douyin, wechat, app, phone, web, shopee, lazada)
        through their channel accounts: orders and the latest `limit` messages, decrypted for the agent."""
        who = principal_of(request.scope)
        return await self._call(self.desk.timeline.remote(customer_id, limit, who.name, who.role))

    @router.get("/v1/orders/{order_id}", responses=errors.ERROR_RESPONSES, openapi_extra=needs("orders"))
    async def order(self, order_id: Key, request: Request) -> dict:
        """An order with its lines, coupons and logistics (agents and admins; every read is audited)."""
        who = principal_of(request.scope)
        return await self._call(self.desk.order.remote(order_id, who.name, who.role))

    @router.get("/v1/handoffs", responses=errors.ERROR_RESPONSES, openapi_extra=needs("handoffs"))
    async def handoffs(self, status: Annotated[str, Query(pattern="^(open|claimed|resolved|all)$")] = "open",
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
        """The agents' queue, oldest first: why each conversation was handed over and the customer's last words."""
        entries = await self._call(self.desk.handoffs.remote(None if status == "all" else status, limit))
        return {"handoffs": entries}

    @router.post("/v1/handoffs/{handoff_id}/claim", responses=errors.ERROR_RESPONSES, openapi_extra=needs("handoffs"))
    async def claim(self, handoff_id: Annotated[int, Path(ge=1)], request: Request) -> dict:
        """Take a waiting conversation (409 when another agent holds it)."""
        return await self._call(self.desk.claim.remote(handoff_id, principal_of(request.scope).name))

    @router.post("/v1/handoffs/{handoff_id}/resolve", responses=errors.ERROR_RESPONSES, openapi_extra=needs("handoffs"))
    async def resolve(self, handoff_id: Annotated[int, Path(ge=1)], request: Request,
                      body: ResolveIn | None = None) -> dict:
        """Close a conversation the agent holds (an open one is claimed and closed at once)."""
        note = body.note if body is not None else ""
        return await self._call(self.desk.resolve.remote(handoff_id, principal_of(request.scope).name, note))

    @router.get("/v1/reports/automation", responses=errors.ERROR_RESPONSES, openapi_extra=needs("reports"))
    async def automation(self, days: Annotated[float, Query(gt=0, le=3660)] = 30.0) -> dict:
        """Turns of the last `days` days and the share answered without a person (the automation rate)."""
        return await self._call(self.desk.automation.remote(days))

    @router.get("/v1/reports/roi", responses=errors.ERROR_RESPONSES, openapi_extra=needs("reports"))
    async def roi(self, daily_inquiries: _Figure, cost_per_inquiry: _Figure,
                  conversion_rate: _Figure = Decimal(0), average_order_value: _Figure = Decimal(0),
                  uplift: Annotated[Decimal, Query(allow_inf_nan=False)] = Decimal(0),
                  daily_converting_customers: _Figure = Decimal(0), system_cost: _Figure = Decimal(0),
                  automation_rate: Annotated[Decimal | None, Query(ge=0, le=1, allow_inf_nan=False)] = None,
                  days: Annotated[float, Query(gt=0, le=3660)] = 30.0) -> dict:
        """AI benefit per day = labour saved (daily inquiries × automation rate × cost per inquiry) + conversion gain
        (conversion rate × average order value × uplift × daily converting customers) − system cost. The automation
        rate is the one measured over the last `days` days unless given."""
        figures = {k: v for k, v in dict(
            daily_inquiries=daily_inquiries, cost_per_inquiry=cost_per_inquiry, conversion_rate=conversion_rate,
            average_order_value=average_order_value, uplift=uplift,
            daily_converting_customers=daily_converting_customers, system_cost=system_cost,
            automation_rate=automation_rate).items() if v is not None}
        return await self._call(self.desk.roi.remote(figures, days))

    @router.get("/v1/audit", responses=errors.ERROR_RESPONSES, openapi_extra=needs("audit"))
    async def audit(self, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict:
        """Who read which order or customer history, newest first (admins only)."""
        return {"entries": await self._call(self.desk.audit_log.remote(limit))}


__all__ = ["DeskRoutes"]
