"""Who may call what: API keys with roles (bot, agent, integration, admin), checked by one middleware on the app.

A key is presented as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys come from the `access.api_keys` list
of the Serve config (the key itself, or only its SHA-256 so the config holds no secret) and from KEFU_API_KEYS
(`name:role:key,name:role:key`). With no key configured at all the service is open (every caller is the admin
"anonymous"), which suits one developer's box; `access.require_api_keys: true` refuses to start that way.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("kefu.serving")

KEYS_ENV = "KEFU_API_KEYS"
ROLES = ("bot", "agent", "integration", "monitor", "admin")
# What each role may do; admin may do everything.
CAPABILITIES: dict[str, frozenset[str]] = {
    "bot": frozenset({"converse"}),
    "agent": frozenset({"timelines", "handoffs", "orders", "reports"}),
    "integration": frozenset({"ingest"}),
    "monitor": frozenset({"metrics"}),  # a Prometheus scraper's key
}
# The key of a route's `openapi_extra` naming the capability it needs (`needs`): the routes carry their own rule, so
# the access table cannot drift from them, and the OpenAPI document shows it.
CAPABILITY_KEY = "x-kefu-capability"
_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


class AccessConfigError(ValueError):
    """An API key entry is unusable: says which and why."""


@dataclass(frozen=True)
class Principal:
    """The caller: the key's name (written to the audit log) and its role."""

    name: str
    role: str

    def may(self, capability: str) -> bool:
        return self.role == "admin" or capability in CAPABILITIES.get(self.role, frozenset())


ANONYMOUS = Principal("anonymous", "admin")


def needs(capability: str) -> dict[str, str]:
    """A route's `openapi_extra` saying which capability its caller needs."""
    if capability not in {c for caps in CAPABILITIES.values() for c in caps} | {"audit", "admin"}:
        raise ValueError(f"unknown capability {capability!r}")
    return {CAPABILITY_KEY: capability}


class RouteRules:
    """Which capability each route needs, read off the routes themselves (their `needs(...)`).

    A path under /v1/ that no route declares is the admin's (fail closed: a route added without `needs` or an
    unknown path asks for an admin key before it can answer 404); other paths (health, API docs) are public.
    """

    def __init__(self, rules: Sequence[tuple[frozenset[str], re.Pattern[str], str | None]]):
        self.rules = tuple(rules)

    @classmethod
    def from_routes(cls, routes: Iterable[Any]) -> "RouteRules":
        """From FastAPI routes (APIRoute: methods, path_regex, openapi_extra); other routes are skipped."""
        rules = []
        for route in routes:
            regex, methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
            if regex is None or not methods:
                continue
            rules.append((frozenset(methods), regex, (getattr(route, "openapi_extra", None) or {}).get(CAPABILITY_KEY)))
        return cls(rules)

    def capability(self, method: str, path: str) -> str | None:
        """The capability a request needs, None for public paths."""
        for methods, regex, capability in self.rules:
            if method in methods and regex.match(path):
                return capability if capability is not None or not path.startswith("/v1/") else "admin"
        return "admin" if path.startswith("/v1/") else None


# The app's rules, installed by `serving.api` once its routes are declared.
_rules = RouteRules(())


def use_routes(rules: RouteRules) -> None:
    global _rules
    _rules = rules


def required_capability(method: str, path: str) -> str | None:
    """The capability a request needs under the installed rules, None for public paths."""
    return _rules.capability(method, path)


class ApiKeys:
    """The configured keys, kept as SHA-256 digests and compared in constant time."""

    def __init__(self, entries: Sequence[tuple[str, str, bytes]]):
        names = [name for name, _, _ in entries]
        if len(set(names)) != len(names):
            raise AccessConfigError(f"API key names must be unique, got {sorted(names)}")
        for name, role, digest in entries:
            if not _NAME.match(name):
                raise AccessConfigError(f"API key name {name!r} must be 1-64 letters, digits, '.', '_', '@' or '-'")
            if role not in ROLES:
                raise AccessConfigError(f"API key {name!r}: role must be one of {ROLES}, got {role!r}")
            if len(digest) != 32:
                raise AccessConfigError(f"API key {name!r}: sha256 must be 64 hex digits")
        self._entries = [(digest, Principal(name, role)) for name, role, digest in entries]

    @classmethod
    def from_config(cls, listed: Sequence[Mapping[str, Any]], env: Mapping[str, str] | None = None) -> "ApiKeys":
        """Keys of the config list ({name, role, key | sha256}) and of KEFU_API_KEYS."""
        entries = []
        for i, item in enumerate(listed):
            name, role = str(item.get("name", "")), str(item.get("role", ""))
            if ("key" in item) == ("sha256" in item):
                raise AccessConfigError(f"access.api_keys[{i}] ({name}): give exactly one of key and sha256")
            entries.append((name, role, _digest(str(item["key"])) if "key" in item else _hex(name, item["sha256"])))
        if env is None:
            from serving.settings import KefuEnvironment

            spec = KefuEnvironment().api_keys.get_secret_value()
        else:
            spec = env.get(KEYS_ENV, "")
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            name, role, key = (part.split(":", 2) + ["", ""])[:3]
            if not key:
                raise AccessConfigError(f"{KEYS_ENV} entries are name:role:key, got {part[:16]!r}...")
            entries.append((name, role, _digest(key)))
        return cls(entries)

    @property
    def enabled(self) -> bool:
        return bool(self._entries)

    def principal(self, presented: str) -> Principal | None:
        digest = _digest(presented)
        found = None
        for known, principal in self._entries:
            if hmac.compare_digest(known, digest):  # every entry compared: the time says nothing about which
                found = principal
        return found


def _digest(key: str) -> bytes:
    if len(key) < 16:
        raise AccessConfigError("an API key must be at least 16 characters")
    return hashlib.sha256(key.encode("utf-8")).digest()


def _hex(name: str, text: Any) -> bytes:
    try:
        return bytes.fromhex(str(text))
    except ValueError:
        raise AccessConfigError(f"API key {name!r}: sha256 must be 64 hex digits") from None


# Filled by the ingress replica's constructor, before it serves a request.
_keys: ApiKeys | None = None


def configure(keys: ApiKeys, require: bool) -> None:
    global _keys
    if require and not keys.enabled:
        raise AccessConfigError(f"access.require_api_keys is set but no API key is configured (config or {KEYS_ENV})")
    if not keys.enabled:
        logger.warning("no API keys configured: every caller is admin; set %s before exposing kefu", KEYS_ENV)
    _keys = keys


def principal_of(scope: Scope) -> Principal:
    """The caller of a request the middleware let through."""
    return scope.get("state", {}).get("principal", ANONYMOUS)


def _presented(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"x-api-key":
            return value.decode("latin-1").strip()
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class AccessMiddleware:
    """401 without a known key, 403 when the key's role may not use the route; lets public paths through."""

    def __init__(self, app: ASGIApp, rules: Callable[[], RouteRules] | None = None):
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rules = self.rules() if self.rules is not None else _rules
        capability = rules.capability(scope["method"], scope["path"])
        principal = ANONYMOUS
        if capability is not None and _keys is not None and _keys.enabled:
            presented = _presented(scope.get("headers", []))
            found = _keys.principal(presented) if presented and len(presented) >= 16 else None
            if found is None:
                await _deny(scope, receive, send, 401, "an API key is required (Authorization: Bearer <key>)"
                            if presented is None else "unknown API key", "unauthorized")
                return
            if not found.may(capability):
                await _deny(scope, receive, send, 403, f"role {found.role!r} may not use {capability} routes",
                            "forbidden")
                return
            principal = found
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


async def _deny(scope: Scope, receive: Receive, send: Send, status: int, message: str, code: str) -> None:
    from serving import errors

    response = errors.envelope(status, message, "authentication_error" if status == 401 else "permission_error",
                               code)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    await response(scope, receive, send)


__all__ = ["ANONYMOUS", "AccessConfigError", "AccessMiddleware", "ApiKeys", "Principal", "ROLES", "RouteRules",
           "configure", "needs", "principal_of", "required_capability", "use_routes"]
