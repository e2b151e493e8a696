"""API keys and roles: which role may call which route, and the middleware's 401/403 in the error envelope."""

from __future__ import annotations

import hashlib

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

import serving.api  # noqa: F401  (installs the rules its routes declare)
from serving import access, errors
from serving.access import AccessConfigError, AccessMiddleware, ApiKeys, RouteRules, principal_of, required_capability

BOT, AGENT, INTEGRATION, ADMIN = ("bot-key-0123456789", "agent-key-0123456789", "integration-key-0123456",
                                  "admin-key-0123456789")


@pytest.mark.parametrize("method, path, capability", [
    ("POST", "/v1/conversations/c1/messages", "converse"),
    ("POST", "/v1/audio/transcriptions", "converse"),
    ("PUT", "/v1/orders/O1", "ingest"),
    ("GET", "/v1/orders/O1", "orders"),
    ("GET", "/v1/customers/C1/timeline", "timelines"),
    ("POST", "/v1/handoffs/3/claim", "handoffs"),
    ("GET", "/v1/reports/roi", "reports"),
    ("GET", "/v1/audit", "audit"),
    ("POST", "/v1/carts/coupons", "converse"),
    ("PUT", "/v1/faq/F1", "ingest"),
    ("DELETE", "/v1/orders/O1", "admin"),  # no route: the admin's
    ("GET", "/v1/not-a-route", "admin"),
    ("GET", "/healthz", None),
    ("GET", "/docs", None),
])
def test_routes_need_capabilities(method, path, capability):
    assert required_capability(method, path) == capability


def test_every_route_of_the_api_names_its_capability():
    """A /v1 route without `needs(...)` would be the admin's by accident; /healthz is public on purpose."""
    declared = {(sorted(methods)[0], regex.pattern): capability
                for methods, regex, capability in serving.api.RULES.rules}
    assert len(declared) >= 20
    undeclared = [route for route, capability in declared.items() if capability is None]
    assert [pattern for _, pattern in undeclared] == ["^/healthz$"]


def test_a_route_without_needs_under_v1_is_the_admins():
    app = FastAPI()

    @app.get("/v1/new-thing", openapi_extra={"summary": "no capability"})
    async def new_thing() -> dict:
        return {}

    assert RouteRules.from_routes(app.routes).capability("GET", "/v1/new-thing") == "admin"


def test_needs_refuses_a_capability_no_role_has():
    with pytest.raises(ValueError, match="unknown capability"):
        access.needs("convers")


def test_roles_grant_what_the_issue_lists():
    may = {role: {c for c in ("converse", "ingest", "orders", "timelines", "handoffs", "reports", "audit", "metrics")
                  if access.Principal("x", role).may(c)} for role in access.ROLES}
    assert may == {"bot": {"converse"}, "agent": {"orders", "timelines", "handoffs", "reports"},
                   "integration": {"ingest"}, "monitor": {"metrics"},
                   "admin": {"converse", "ingest", "orders", "timelines", "handoffs", "reports", "audit", "metrics"}}


def test_keys_from_config_and_environment():
    keys = ApiKeys.from_config([{"name": "shop-bot", "role": "bot", "key": BOT},
                                {"name": "lin", "role": "agent", "sha256": hashlib.sha256(AGENT.encode()).hexdigest()}],
                               env={"KEFU_API_KEYS": f"erp:integration:{INTEGRATION}, root:admin:{ADMIN}"})
    assert keys.principal(BOT) == access.Principal("shop-bot", "bot")
    assert keys.principal(AGENT) == access.Principal("lin", "agent")
    assert keys.principal(INTEGRATION).role == "integration" and keys.principal(ADMIN).name == "root"
    assert keys.principal("not-a-key-at-all-0000") is None


@pytest.mark.parametrize("listed, env, reason", [
    ([{"name": "a", "role": "boss", "key": BOT}], "", "role must be one of"),
    ([{"name": "a", "role": "bot"}], "", "exactly one of key and sha256"),
    ([{"name": "a", "role": "bot", "key": "short"}], "", "at least 16"),
    ([{"name": "a", "role": "bot", "sha256": "zz"}], "", "64 hex"),
    ([{"name": "a", "role": "bot", "key": BOT}, {"name": "a", "role": "agent", "key": AGENT}], "", "unique"),
    ([], "justakey", "name:role:key"),
])
def test_bad_key_entries_are_refused_with_a_reason(listed, env, reason):
    with pytest.raises(AccessConfigError, match=reason):
        ApiKeys.from_config(listed, env={"KEFU_API_KEYS": env})


def test_require_api_keys_refuses_an_open_service():
    with pytest.raises(AccessConfigError, match="require_api_keys"):
        access.configure(ApiKeys([]), require=True)


@pytest.fixture()
def client(monkeypatch):
    app = FastAPI()
    errors.install(app)
    app.add_middleware(AccessMiddleware, rules=lambda: RouteRules.from_routes(app.routes))

    @app.get("/v1/orders/{order_id}", openapi_extra=access.needs("orders"))
    async def order(order_id: str, request: Request) -> dict:
        return {"id": order_id, "reader": principal_of(request.scope).name}

    @app.get("/healthz")
    async def health() -> dict:
        return {"ok": True}

    monkeypatch.setattr(access, "_keys", ApiKeys.from_config(
        [{"name": "shop-bot", "role": "bot", "key": BOT}, {"name": "lin", "role": "agent", "key": AGENT}], env={}))
    return TestClient(app)


def test_middleware_answers_401_403_or_lets_the_right_role_through(client):
    missing = client.get("/v1/orders/O1")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/orders/O1", headers={"X-API-Key": "wrong-key-0123456789"}).status_code == 401
    bot = client.get("/v1/orders/O1", headers={"Authorization": f"Bearer {BOT}"})
    assert bot.status_code == 403 and "bot" in bot.json()["error"]["message"]
    agent = client.get("/v1/orders/O1", headers={"Authorization": f"Bearer {AGENT}"})
    assert agent.status_code == 200 and agent.json() == {"id": "O1", "reader": "lin"}
    assert client.get("/healthz").status_code == 200


def test_without_keys_the_service_is_open_to_an_anonymous_admin(client, monkeypatch):
    monkeypatch.setattr(access, "_keys", ApiKeys([]))
    answer = client.get("/v1/orders/O1")
    assert answer.status_code == 200 and answer.json()["reader"] == "anonymous"
