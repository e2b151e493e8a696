"""`/healthz`: 200 once every deployment has a running replica, 503 before (public: no key needed)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from serving import errors
from serving.api.base import Routes

router = APIRouter()


class HealthRoutes(Routes):
    handles: dict[str, Any]
    _ready: bool

    @router.get("/healthz", responses={503: {"model": errors.ErrorResponse}})
    async def healthz(self) -> JSONResponse:
        """200 once every deployment has a running replica, 503 before."""
        if not self._ready:
            names = list(self.handles)
            probes = [asyncio.wait_for(h.ready.remote(), timeout=2.0) for h in self.handles.values()]
            results = await asyncio.gather(*probes, return_exceptions=True)
            waiting = [n for n, r in zip(names, results) if r is not True]
            if waiting:
                return errors.envelope(503, f"not ready: {', '.join(waiting)}", "service_unavailable", "starting")
            self._ready = True
        return JSONResponse({"status": "ok", "deployments": list(self.handles)})
