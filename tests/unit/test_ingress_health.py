"""/healthz says 503 until every deployment answers its readiness probe, then 200 — checked without a cluster."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from serving.config import AppArgs
from serving.ingress import KefuApi


class _Method:
    def __init__(self, behaviour):
        self.behaviour = behaviour

    def remote(self, *args):
        return self.behaviour()


def handle(ready: bool):
    async def answer():
        if not ready:
            await asyncio.sleep(30)  # a replica still loading its model never answers in time
        return True

    return SimpleNamespace(ready=_Method(answer))


def make_ingress(*, slow: set[str]):
    names = ["transcriber", "vision", "catalog", "dialogue", "desk"]
    handles = {n: handle(n not in slow) for n in names}
    return KefuApi(**handles, settings=AppArgs().ingress_args())


def test_503_while_a_deployment_is_loading():
    ingress = make_ingress(slow={"transcriber"})
    response = asyncio.run(ingress.healthz())
    body = json.loads(response.body)
    assert response.status_code == 503
    assert "Transcriber" in body["error"]["message"] and "Dialogue" not in body["error"]["message"]


def test_200_once_all_are_ready():
    response = asyncio.run(make_ingress(slow=set()).healthz())
    assert response.status_code == 200
    assert json.loads(response.body)["deployments"] == ["Transcriber", "Vision", "CatalogSearch", "Dialogue", "Desk"]
