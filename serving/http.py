"""The one FastAPI app: the error envelope and the access middleware; `serving.ingress` mounts the routes and serves it."""

from __future__ import annotations

from fastapi import FastAPI

from serving import errors
from serving.access import AccessMiddleware
from serving.metrics import RequestMetrics

app = FastAPI(
    title="kefu",
    version="0.1.0",
    description="Multimodal after-sales customer service: voice notes, defect photos, product identification and "
    "policy-grounded answers.",
)
errors.install(app)
# Keys and roles are checked before any route runs; the keys themselves arrive when the ingress replica starts.
app.add_middleware(AccessMiddleware)
# Outermost: refused requests (401, 403, 503) are counted too.
app.add_middleware(RequestMetrics)
