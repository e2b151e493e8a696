"""What people behind the bot use: customer timelines, order data, the hand-over queue and the reports, every read of
order data or history written to the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from aftersales.errors import InvalidInput
from aftersales.desk.roi import RoiInputs, roi
from aftersales.store.core import Store
from aftersales.store.views import jsonable


class AgentDesk:
    """The agents' and managers' side of the store. `actor` and `role` name the caller (the API key) in the audit log.

    Attributes:
        store: The store Dialogue writes turns to.
        clock: Now, tz-aware.
    """

    def __init__(self, store: Store, clock: Callable[[], datetime]):
        self.store, self.clock = store, clock

    def timeline(self, customer_id: str, limit: int, actor: str, role: str) -> dict[str, Any]:
        """The customer's history over every channel: identities, orders and the latest `limit` messages."""
        customer = self.store.get_customer(customer_id)
        self.store.audit(actor, role, "timeline.read", f"customer:{customer_id}", self.clock())
        entries = self.store.timeline(customer_id, limit)
        return {
            "customer": jsonable(customer),
            "identities": [{"channel": c, "external_id": e} for c, e in self.store.identities(customer_id)],
            "orders": [{"id": o.id, "status": o.status, "created_at": o.created_at.isoformat(),
                        "skus": list(o.skus)} for o in self.store.orders_for(customer_id)],
            "channels": sorted({e.channel for e in entries}),
            "entries": [e.to_dict() for e in entries],
        }

    def order(self, order_id: str, actor: str, role: str) -> dict[str, Any]:
        order = self.store.get_order(order_id)
        self.store.audit(actor, role, "order.read", f"order:{order_id}", self.clock())
        return jsonable(order)

    def handoffs(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        return [h.to_dict() for h in self.store.handoffs(status, limit)]

    def claim(self, handoff_id: int, agent: str) -> dict[str, Any]:
        return self.store.claim_handoff(handoff_id, agent, self.clock()).to_dict()

    def resolve(self, handoff_id: int, agent: str, note: str) -> dict[str, Any]:
        return self.store.resolve_handoff(handoff_id, agent, note, self.clock()).to_dict()

    def audit_log(self, limit: int) -> list[dict[str, Any]]:
        return [a.to_dict() for a in self.store.audit_log(limit=limit)]

    def automation(self, days: float) -> dict[str, Any]:
        """Turns of the last `days` days and the share the bot settled without a person."""
        if not 0 < days <= 3660:
            raise InvalidInput(f"days must be in (0, 3660], got {days}")
        until = self.clock()
        since = until - timedelta(days=days)
        return {"since": since.isoformat(), "until": until.isoformat(), **self.store.automation(since, until).to_dict()}

    def roi(self, figures: dict[str, Decimal], days: float) -> dict[str, Any]:
        """The seed's ROI formula per day; the automation rate is the measured one unless `figures` gives one."""
        measured = self.automation(days)
        figures = dict(figures)
        given = figures.pop("automation_rate", None)
        rate = given
        if rate is None:
            if measured["rate"] is None:
                raise InvalidInput(f"no turns in the last {days:g} days to measure the automation rate from; "
                                   "pass automation_rate")
            rate = Decimal(str(measured["rate"]))
        try:
            result = roi(RoiInputs(automation_rate=rate, **figures))
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        return {"automation": {**measured, "rate_used": float(rate), "source": "measured" if given is None else "given"},
                **{k: str(v) for k, v in vars(result).items()}}


__all__ = ["AgentDesk"]
