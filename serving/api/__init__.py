"""The HTTP routes, one module per feature, each an APIRouter with a route mixin the ingress class is made of.

Every route names the capability its caller needs (`serving.access.needs`); `RULES`, read off these routers as they
are declared, is the access middleware's table.
"""

from __future__ import annotations

from fastapi import FastAPI

from serving import access
from serving.api import audio, catalog, conversations, desk, health, ingest, vision

ROUTERS = (health.router, audio.router, vision.router, catalog.router, conversations.router, ingest.router,
           desk.router)
# Read now: Ray Serve's class-based view later moves these routes onto a router of its own.
RULES = access.RouteRules.from_routes(route for router in ROUTERS for route in router.routes)
access.use_routes(RULES)


def mount(app: FastAPI) -> None:
    """Put every feature's routes on `app`."""
    for router in ROUTERS:
        app.include_router(router)


__all__ = ["ROUTERS", "RULES", "mount"]
