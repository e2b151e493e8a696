"""The one FastAPI app every route module registers on; `serving.ingress` serves it as the Ingress deployment."""

from __future__ import annotations

from fastapi import FastAPI

from serving import errors

app = FastAPI(
    title="kefu",
    version="0.1.0",
    description="Multimodal after-sales customer service: voice notes, defect photos, product identification and "
    "policy-grounded answers.",
)
errors.install(app)
