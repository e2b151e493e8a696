"""End-to-end scenario suite: judge a running kefu through its HTTP API the way a new shop would.

Every scenario in `benchmarks/scenarios/<lang>.yaml` brings its own shop data (customers, products, coupons, orders;
ingested with the idempotent `PUT /v1/...` routes), then sends its customer turns to
`POST /v1/conversations/{id}/messages` (or `POST /v1/carts/coupons`) and compares each answer with what the shop's
policy says, worked out by hand: the decision's rule and intent, every amount to the cent, the hand-over, the reply
language. The expectations were written from the policy YAML and the API contract only, not from how kefu reads text.

    python benchmarks/scenarios.py --url http://127.0.0.1:8000 [--lang zh] [--key KEY] [--scenario ID]
    python benchmarks/scenarios.py --check        # validate the YAML only, no server

Writes benchmarks/results/scenarios.json (per scenario pass/fail with the reasons, per language right/total, the
count of wrong amounts) and prints a table per language. Standard library + PyYAML + httpx (or requests).
It imports nothing of kefu's on purpose: a judge that shared kefu's money parsing or JSON path lookup
(aftersales.money.parse_amount, aftersales.integrations.erp._lookup) would share their mistakes too.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

HERE = Path(__file__).resolve().parent
SCENARIO_DIR = HERE / "scenarios"
RESULTS_PATH = HERE / "results" / "scenarios.json"
LANGUAGES = ("zh", "en", "id", "th", "vi", "ms", "fil")
MIN_PER_LANGUAGE = 16
# Windows in the policy count calendar days in the shop's zone (configs/policies/default.yaml: timezone).
SHOP_TZ = ZoneInfo("Asia/Shanghai")

SHOP_KINDS = ("customers", "products", "coupons", "orders", "faq")  # ingested in this order
SHOP_ROUTES = {"customers": "/v1/customers/", "products": "/v1/products/", "coupons": "/v1/coupons/",
               "orders": "/v1/orders/", "faq": "/v1/faq/"}
SCENARIO_KEYS = {"id", "situation", "channel", "customer", "shop", "turns", "notes"}
TURN_KEYS = {"text", "cart_api", "channel", "product", "cart", "order_id", "language", "conversation", "expect"}
EXPECT_KEYS = {"rule", "rule_not", "intent", "language", "emotion", "handoff", "handoff_reason", "order_id",
               "amounts", "currency", "inputs", "params", "actions_present", "actions_absent", "reply_contains"}
# Decision inputs that are Money ({"amount", "amount_cents", "currency"}): expected as decimal strings.
MONEY_INPUTS = {"subtotal", "discount", "final_price", "order_value", "order_value_converted", "limit",
                "max_compensation", "largest_offer", "paid_unit_price", "current_price"}
AMOUNT_RE = re.compile(r"^-?\d+\.\d{2}$")
DATE_TOKENS = ("days_ago", "days_ahead", "date_days_ago", "date_days_ahead")
_TRAILING = " \t\r\n。．.，,！!？?；;、~～"


# --------------------------------------------------------------------------------------------------------------
# Loading and validating the suite


def load_file(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with `language` and `scenarios`")
    return data


def load_suite(directory: Path = SCENARIO_DIR, languages: tuple[str, ...] = LANGUAGES) -> list[dict[str, Any]]:
    """Every scenario of the languages asked, each with its `language` set, in file order."""
    out = []
    for lang in languages:
        path = directory / f"{lang}.yaml"
        data = load_file(path)
        for scenario in data.get("scenarios") or []:
            out.append({**scenario, "language": data.get("language", lang)})
    return out


def _is_amount(value: Any) -> bool:
    return isinstance(value, str) and bool(AMOUNT_RE.match(value))


def _date_token(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in DATE_TOKENS


def validate_suite(directory: Path = SCENARIO_DIR, languages: tuple[str, ...] = LANGUAGES,
                   min_per_language: int = MIN_PER_LANGUAGE) -> list[str]:
    """Problems with the YAML (an empty list when the suite is sound). Needs no server."""
    problems: list[str] = []
    seen: dict[str, dict[str, str]] = {kind: {} for kind in ("scenario", "order", "customer", "coupon", "product",
                                                             "faq")}
    for lang in languages:
        path = directory / f"{lang}.yaml"
        if not path.exists():
            problems.append(f"{path.name}: missing")
            continue
        try:
            data = load_file(path)
        except (ValueError, yaml.YAMLError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if data.get("language") != lang:
            problems.append(f"{path.name}: language is {data.get('language')!r}, expected {lang!r}")
        scenarios = data.get("scenarios")
        if not isinstance(scenarios, list):
            problems.append(f"{path.name}: `scenarios` must be a list")
            continue
        if len(scenarios) < min_per_language:
            problems.append(f"{path.name}: {len(scenarios)} scenarios, at least {min_per_language} wanted")
        for i, scenario in enumerate(scenarios):
            problems += _validate_scenario(scenario, lang, f"{path.name}#{i}", seen)
    return problems


def _claim(seen: dict[str, dict[str, str]], kind: str, key: str, owner: str, where: str) -> list[str]:
    other = seen[kind].get(key)
    if other is not None and other != owner:
        return [f"{where}: {kind} id {key!r} is also used by {other}"]
    seen[kind][key] = owner
    return []


def _validate_scenario(s: Any, lang: str, where: str, seen: dict[str, dict[str, str]]) -> list[str]:
    if not isinstance(s, dict):
        return [f"{where}: a scenario must be a mapping"]
    problems: list[str] = []
    sid = s.get("id")
    if not isinstance(sid, str) or not sid.startswith(f"{lang}-"):
        problems.append(f"{where}: id {sid!r} must be a string starting with {lang!r}-")
        sid = str(sid)
    where = f"{where} ({sid})"
    if sid in seen["scenario"]:
        problems.append(f"{where}: duplicate scenario id")
    seen["scenario"][sid] = sid
    unknown = set(s) - SCENARIO_KEYS - {"language"}
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    situation = s.get("situation")
    if not isinstance(situation, str) or not situation.strip() or "\n" in situation.strip():
        problems.append(f"{where}: `situation` must be one line of text")
    shop = s.get("shop")
    if not isinstance(shop, dict) or not shop.get("customers"):
        problems.append(f"{where}: `shop` must hold at least one customer")
        return problems
    if set(shop) - set(SHOP_KINDS):
        problems.append(f"{where}: unknown shop kinds {sorted(set(shop) - set(SHOP_KINDS))}")
    for kind in SHOP_KINDS:
        if shop.get(kind) is not None and not isinstance(shop.get(kind), dict):
            problems.append(f"{where}: shop.{kind} must map id -> body")
    customers = set((shop.get("customers") or {}).keys())
    products = set((shop.get("products") or {}).keys())
    singular = {"customers": "customer", "products": "product", "coupons": "coupon", "orders": "order", "faq": "faq"}
    for kind in SHOP_KINDS:
        for key in (shop.get(kind) or {}):
            problems += _claim(seen, singular[kind], str(key), sid, where)
    for oid, order in (shop.get("orders") or {}).items():
        if not isinstance(order, dict):
            problems.append(f"{where}: order {oid} must be a mapping")
            continue
        if order.get("customer_id") not in customers:
            problems.append(f"{where}: order {oid} belongs to {order.get('customer_id')!r}, not a scenario customer")
        for item in order.get("items") or []:
            if item.get("sku") not in products:
                problems.append(f"{where}: order {oid} item {item.get('sku')!r} is not a scenario product")
            if not isinstance(item.get("unit_price"), str):
                problems.append(f"{where}: order {oid} unit_price must be a decimal string")
    for cid, coupon in (shop.get("coupons") or {}).items():
        if coupon.get("customer_id") not in customers:
            problems.append(f"{where}: coupon {cid} must belong to a scenario customer (no shop-wide coupons)")
    for sku, product in (shop.get("products") or {}).items():
        if not isinstance(product.get("price"), str):
            problems.append(f"{where}: product {sku} price must be a decimal string")
    if s.get("customer") is None and len(customers) != 1:
        problems.append(f"{where}: several customers: name the one who talks in `customer`")
    turns = s.get("turns")
    if not isinstance(turns, list) or not turns:
        problems.append(f"{where}: `turns` must be a non-empty list")
        return problems
    for t, turn in enumerate(turns):
        problems += _validate_turn(turn, f"{where} turn {t}")
    return problems


def _validate_turn(turn: Any, where: str) -> list[str]:
    if not isinstance(turn, dict):
        return [f"{where}: a turn must be a mapping"]
    problems: list[str] = []
    if set(turn) - TURN_KEYS:
        problems.append(f"{where}: unknown keys {sorted(set(turn) - TURN_KEYS)}")
    if ("text" in turn) == ("cart_api" in turn):
        problems.append(f"{where}: a turn has exactly one of `text` and `cart_api`")
    if "text" in turn and (not isinstance(turn["text"], str) or not turn["text"].strip()):
        problems.append(f"{where}: `text` must be a non-empty string")
    expect = turn.get("expect")
    if not isinstance(expect, dict):
        return problems + [f"{where}: `expect` must be a mapping"]
    if set(expect) - EXPECT_KEYS:
        problems.append(f"{where}: unknown expect keys {sorted(set(expect) - EXPECT_KEYS)}")
    if not ({"rule", "intent", "rule_not", "handoff"} & set(expect)):
        problems.append(f"{where}: expect names no rule, intent or hand-over")
    if "cart_api" not in turn and "language" not in expect:
        problems.append(f"{where}: expect has no reply language")
    if "language" in expect and expect["language"] not in LANGUAGES:
        problems.append(f"{where}: language {expect['language']!r} is not one of {LANGUAGES}")
    if "amounts" in expect:
        amounts = expect["amounts"]
        if not isinstance(amounts, dict):
            problems.append(f"{where}: `amounts` must map action type -> decimal string")
        else:
            for kind, value in amounts.items():
                values = value if isinstance(value, list) else [value]
                if not values or not all(_is_amount(v) for v in values):
                    problems.append(f"{where}: amount of {kind} must be a decimal string like \"30.00\", got {value!r}")
    if "currency" in expect and not (isinstance(expect["currency"], str) and re.fullmatch(r"[A-Z]{3}",
                                                                                          expect["currency"])):
        problems.append(f"{where}: currency must be an ISO 4217 code")
    for key, value in (expect.get("inputs") or {}).items():
        if key.split(".")[-1] in MONEY_INPUTS and not _is_amount(value):
            problems.append(f"{where}: input {key} is money: a decimal string like \"30.00\", got {value!r}")
    if "params" in expect and not all(isinstance(v, dict) for v in (expect["params"] or {}).values()):
        problems.append(f"{where}: `params` must map action type -> {{param: value}}")
    for key in ("rule", "intent", "handoff_reason"):
        if key in expect and not _str_or_strs(expect[key]):
            problems.append(f"{where}: {key} must be a string or a list of strings")
    for key in ("rule_not", "actions_present", "actions_absent", "reply_contains"):
        if key in expect and not (isinstance(expect[key], list) and all(isinstance(v, str) for v in expect[key])):
            problems.append(f"{where}: {key} must be a list of strings")
    if "handoff" in expect and not isinstance(expect["handoff"], bool):
        problems.append(f"{where}: handoff must be true or false")
    return problems


def _str_or_strs(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and bool(value) and all(isinstance(v, str)
                                                                                      for v in value))


# --------------------------------------------------------------------------------------------------------------
# Relative dates and per-run customer ids


def resolve_dates(value: Any, now: datetime) -> Any:
    """{days_ago: N} / {days_ahead: N} -> an ISO timestamp with zone; {date_days_ago|ahead: N} -> a shop-local date.

    One `now` per run, so equal offsets give identical instants (created_at == paid_at is valid) and N whole days
    are N calendar days in the shop's zone.
    """
    if _date_token(value):
        (key, n), = value.items()
        days = float(n)
        if key == "days_ago":
            return (now - timedelta(days=days)).isoformat()
        if key == "days_ahead":
            return (now + timedelta(days=days)).isoformat()
        local = now.astimezone(SHOP_TZ).date()
        return (local - timedelta(days=days) if key == "date_days_ago" else local + timedelta(days=days)).isoformat()
    if isinstance(value, dict):
        return {k: resolve_dates(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_dates(v, now) for v in value]
    return value


def tagged(customer_id: str, tag: str) -> str:
    return f"{customer_id}.{tag}" if tag else customer_id


def prepare_shop(shop: dict[str, Any], now: datetime, tag: str) -> dict[str, dict[str, Any]]:
    """The scenario's shop data ready to PUT: dates resolved, customer ids (and channel identities) given the run's
    tag so that a rerun on the same server starts from a customer with no memory, no open hand-over, no anger."""
    data = resolve_dates(copy.deepcopy(shop), now)
    out: dict[str, dict[str, Any]] = {}
    for kind in SHOP_KINDS:
        bodies = data.get(kind) or {}
        if kind == "customers":
            bodies = {tagged(cid, tag): {**body, "identities": [
                {**i, "external_id": tagged(i["external_id"], tag)} for i in body.get("identities") or []]}
                for cid, body in bodies.items()}
        elif kind in ("orders", "coupons"):
            bodies = {key: {**body, **({"customer_id": tagged(body["customer_id"], tag)}
                                       if body.get("customer_id") else {})} for key, body in bodies.items()}
        out[kind] = bodies
    return out


# --------------------------------------------------------------------------------------------------------------
# Comparing an answer with what was expected (pure: unit-tested without a server)


def to_cents(amount: str) -> int:
    try:
        value = Decimal(amount) * 100
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {amount!r}") from None
    if value != value.to_integral_value():
        raise ValueError(f"more than two decimals: {amount!r}")
    return int(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(_TRAILING).strip()


def _is_money(value: Any) -> bool:
    return isinstance(value, dict) and "amount_cents" in value


def same(want: Any, got: Any) -> bool:
    """Whether `got` (from the answer) is what `want` (from the YAML) says. Money is compared to the cent, strings
    with whitespace collapsed and trailing punctuation dropped, mappings key by key (exactly the keys wanted)."""
    if _is_amount(want) and _is_money(got):
        return got.get("amount_cents") == to_cents(want)
    if isinstance(want, dict):
        return isinstance(got, dict) and set(want) == set(got) and all(same(v, got[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(same(a, b) for a, b in zip(want, got))
    if isinstance(want, bool) or want is None:
        return got is want or got == want
    if isinstance(want, (int, float)) and not isinstance(got, bool) and isinstance(got, (int, float)):
        return float(want) == float(got)
    if isinstance(want, str) and isinstance(got, str):
        return _norm(want) == _norm(got)
    return want == got


def dig(data: Any, path: str) -> Any:
    """`a.b.0.c` inside nested dicts and lists; a KeyError-free _MISSING when absent."""
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
    return data


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _money_text(action: dict[str, Any]) -> str:
    cents = action.get("amount_cents")
    return f"{action.get('type')}={cents / 100:.2f} {action.get('currency') or ''}".strip()


def compare(expect: dict[str, Any], answer: dict[str, Any], *, cart_api: bool = False) -> tuple[list[str], int]:
    """Reasons the answer differs from `expect` (empty: it matches) and how many amounts were wrong.

    `answer` is the JSON of a conversation turn, or with `cart_api` the decision `POST /v1/carts/coupons` returns.
    """
    reasons: list[str] = []
    wrong_amounts = 0
    decision = answer if cart_api else (answer.get("decision") or {})
    actions = [a for a in decision.get("actions") or [] if isinstance(a, dict)]
    rule = decision.get("rule")

    if "rule" in expect and rule not in _as_list(expect["rule"]):
        reasons.append(f"rule {rule!r}, expected {expect['rule']!r}")
    if "rule_not" in expect and rule in expect["rule_not"]:
        reasons.append(f"rule {rule!r} is one it must not be")
    if not cart_api:
        for key, got in (("intent", answer.get("intent")), ("language", answer.get("language")),
                         ("emotion", (answer.get("emotion") or {}).get("label")),
                         ("order_id", answer.get("order_id"))):
            if key in expect and got not in [str(v) for v in _as_list(expect[key])]:
                reasons.append(f"{key} {got!r}, expected {expect[key]!r}")
        handoff = answer.get("handoff") or {}
        if "handoff" in expect and bool(handoff.get("required")) != expect["handoff"]:
            reasons.append(f"handoff {bool(handoff.get('required'))} (reason {handoff.get('reason')!r}), "
                           f"expected {expect['handoff']}")
        if "handoff_reason" in expect and handoff.get("reason") not in _as_list(expect["handoff_reason"]):
            reasons.append(f"handoff reason {handoff.get('reason')!r}, expected {expect['handoff_reason']!r}")

    money = [a for a in actions if a.get("amount_cents") is not None]
    if "amounts" in expect:
        wanted: dict[str, Any] = expect["amounts"] or {}
        for kind, value in wanted.items():
            want = sorted(to_cents(v) for v in _as_list(value))
            got = sorted(a["amount_cents"] for a in money if a.get("type") == kind)
            if got != want:
                wrong_amounts += 1
                shown = ", ".join(f"{c / 100:.2f}" for c in got) or "none"
                reasons.append(f"amount of {kind}: {shown}, expected {', '.join(_as_list(value))}")
        for action in money:
            if action.get("type") not in wanted:
                wrong_amounts += 1
                reasons.append(f"unexpected amount {_money_text(action)}")
        if "currency" in expect:
            for action in money:
                if action.get("type") in wanted and action.get("currency") != expect["currency"]:
                    wrong_amounts += 1
                    reasons.append(f"currency of {action.get('type')}: {action.get('currency')!r}, "
                                   f"expected {expect['currency']!r}")

    types = [a.get("type") for a in actions]
    for kind in expect.get("actions_present") or []:
        if kind not in types:
            reasons.append(f"no {kind} action (got {types})")
    for kind in expect.get("actions_absent") or []:
        if kind in types:
            reasons.append(f"{kind} offered but must not be")

    for kind, want in (expect.get("params") or {}).items():
        candidates = [a.get("params") or {} for a in actions if a.get("type") == kind]
        if not candidates:
            reasons.append(f"no {kind} action for params {want}")
            continue
        if not any(all(same(v, dig(p, k)) for k, v in want.items()) for p in candidates):
            got = {k: dig(candidates[0], k) for k in want}
            reasons.append(f"{kind} params {got}, expected {want}")

    inputs = decision.get("inputs") or {}
    for key, want in (expect.get("inputs") or {}).items():
        got = dig(inputs, key)
        if not same(want, got):
            if _is_amount(want):
                wrong_amounts += 1
                got = f"{got['amount_cents'] / 100:.2f}" if _is_money(got) else got
            reasons.append(f"input {key} = {got!r}, expected {want!r}")

    reply = answer.get("reply") or ""
    for piece in expect.get("reply_contains") or []:
        if piece not in reply:
            reasons.append(f"reply does not contain {piece!r}")
    return reasons, wrong_amounts


def summary_of(answer: dict[str, Any], *, cart_api: bool = False) -> dict[str, Any]:
    """What the runner records of an answer (enough to see why it failed)."""
    decision = answer if cart_api else (answer.get("decision") or {})
    out: dict[str, Any] = {
        "rule": decision.get("rule"),
        "actions": [{"type": a.get("type"), **({"amount": f"{a['amount_cents'] / 100:.2f}",
                                                "currency": a.get("currency")}
                                               if a.get("amount_cents") is not None else {})}
                    for a in decision.get("actions") or [] if isinstance(a, dict)],
    }
    if not cart_api:
        handoff = answer.get("handoff") or {}
        out.update({"intent": answer.get("intent"), "language": answer.get("language"),
                    "emotion": (answer.get("emotion") or {}).get("label"), "order_id": answer.get("order_id"),
                    "handoff": bool(handoff.get("required")), "handoff_reason": handoff.get("reason"),
                    "reply": answer.get("reply")})
    return out


# --------------------------------------------------------------------------------------------------------------
# Talking to the server


class Client:
    """httpx when installed, else requests; one JSON call at a time."""

    def __init__(self, base_url: str, key: str | None, ingest_key: str | None, timeout: float) -> None:
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.ingest_headers = {"Authorization": f"Bearer {ingest_key or key}"} if (ingest_key or key) else {}
        try:
            import httpx

            self._http = httpx.Client(timeout=timeout)
        except ImportError:  # pragma: no cover - exercised only where httpx is absent
            import requests

            self._http = requests.Session()

    def call(self, method: str, path: str, body: dict[str, Any], ingest: bool = False) -> tuple[int, Any]:
        headers = self.ingest_headers if ingest else self.headers
        response = self._http.request(method, self.base + path, json=body, headers=headers,
                                      **({} if hasattr(self._http, "event_hooks") else {"timeout": self.timeout}))
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        return response.status_code, payload


def _error_text(payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        error = payload["error"]
        return f"{error.get('message')}" + (f" (param {error['param']})" if error.get("param") else "")
    return str(payload)[:300]


def ingest(client: Client, shop: dict[str, dict[str, Any]]) -> list[str]:
    errors = []
    for kind in SHOP_KINDS:
        for key, body in shop.get(kind, {}).items():
            status, payload = client.call("PUT", SHOP_ROUTES[kind] + str(key), body, ingest=True)
            if status not in (200, 201):
                errors.append(f"PUT {SHOP_ROUTES[kind]}{key}: {status} {_error_text(payload)}")
    return errors


def ingest_scenario(client: Client, scenario: dict[str, Any], now: datetime, tag: str) -> list[str]:
    return ingest(client, prepare_shop(scenario.get("shop") or {}, now, tag))


def run_scenario(client: Client, scenario: dict[str, Any], now: datetime, tag: str,
                 errors: list[str] | None = None) -> dict[str, Any]:
    """The scenario's turns against the server; its shop data is ingested here unless `errors` says it already was
    (the runner ingests every scenario first, so that each one meets the same, whole catalog)."""
    sid = scenario["id"]
    result: dict[str, Any] = {"id": sid, "language": scenario["language"], "situation": scenario.get("situation"),
                              "passed": False, "reasons": [], "wrong_amounts": 0, "turns": []}
    if errors is None:
        errors = ingest_scenario(client, scenario, now, tag)
    if errors:
        result["reasons"] = [f"ingest: {e}" for e in errors]
        return result
    speaker = scenario.get("customer") or next(iter(scenario["shop"]["customers"]))
    customer_id = tagged(speaker, tag)
    for index, turn in enumerate(scenario["turns"]):
        expect = resolve_dates(turn.get("expect") or {}, now)
        record: dict[str, Any] = {"index": index, "text": turn.get("text"), "passed": False, "reasons": []}
        started = time.perf_counter()
        if "cart_api" in turn:
            body = {"customer_id": customer_id, **turn["cart_api"]}
            status, payload = client.call("POST", "/v1/carts/coupons", body)
            record["kind"] = "cart_api"
        else:
            conversation = f"scn-{sid}-{tag or 'x'}-{turn.get('conversation', 1)}"
            body = {"customer_id": customer_id, "channel": turn.get("channel") or scenario.get("channel") or "web",
                    "text": turn["text"]}
            for key in ("product", "cart", "order_id", "language"):
                if turn.get(key) is not None:
                    body[key] = turn[key]
            status, payload = client.call("POST", f"/v1/conversations/{conversation}/messages", body)
        record["ms"] = round((time.perf_counter() - started) * 1000, 1)
        if status != 200 or not isinstance(payload, dict):
            record["reasons"] = [f"HTTP {status}: {_error_text(payload)}"]
            if "amounts" in expect:
                result["wrong_amounts"] += len(expect.get("amounts") or {})
            result["turns"].append(record)
            result["reasons"].append(f"turn {index}: HTTP {status}")
            break
        reasons, wrong = compare(expect, payload, cart_api="cart_api" in turn)
        record.update(passed=not reasons, reasons=reasons, got=summary_of(payload, cart_api="cart_api" in turn))
        result["wrong_amounts"] += wrong
        result["turns"].append(record)
        result["reasons"] += [f"turn {index}: {r}" for r in reasons]
    result["passed"] = (not result["reasons"]) and len(result["turns"]) == len(scenario["turns"])
    return result


def tabulate(results: list[dict[str, Any]], languages: tuple[str, ...]) -> dict[str, dict[str, int]]:
    table = {}
    for lang in languages:
        mine = [r for r in results if r["language"] == lang]
        turns = [t for r in mine for t in r["turns"]]
        table[lang] = {"right": sum(r["passed"] for r in mine), "total": len(mine),
                       "turns_right": sum(t["passed"] for t in turns), "turns_total": len(turns),
                       "wrong_amounts": sum(r["wrong_amounts"] for r in mine)}
    return table


def print_table(table: dict[str, dict[str, int]], results: list[dict[str, Any]]) -> None:
    print(f"{'lang':<5} {'scenarios':>9} {'right':>6} {'rate':>6} {'turns':>6} {'t.right':>8} {'wrong amts':>11}")
    for lang, row in table.items():
        rate = row["right"] / row["total"] if row["total"] else 0.0
        print(f"{lang:<5} {row['total']:>9} {row['right']:>6} {rate:>6.1%} {row['turns_total']:>6} "
              f"{row['turns_right']:>8} {row['wrong_amounts']:>11}")
    total = sum(r["total"] for r in table.values())
    right = sum(r["right"] for r in table.values())
    print(f"{'all':<5} {total:>9} {right:>6} {(right / total if total else 0):>6.1%} "
          f"{sum(r['turns_total'] for r in table.values()):>6} {sum(r['turns_right'] for r in table.values()):>8} "
          f"{sum(r['wrong_amounts'] for r in table.values()):>11}")
    failed = [r for r in results if not r["passed"]]
    if failed:
        print("\nfailed:")
        for r in failed:
            print(f"  {r['id']}: {r['reasons'][0] if r['reasons'] else 'incomplete'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="kefu's base URL")
    parser.add_argument("--lang", action="append", choices=LANGUAGES, help="only this language (repeatable)")
    parser.add_argument("--scenario", action="append", help="only this scenario id (repeatable)")
    parser.add_argument("--key", help="API key sent as Bearer (a key of role admin covers ingest and chat)")
    parser.add_argument("--ingest-key", help="another key (role integration) for the PUTs")
    parser.add_argument("--run-tag", default=None,
                        help="suffix for customer ids so reruns start fresh (default: random; '' for none)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--out", type=Path, default=RESULTS_PATH)
    parser.add_argument("--check", action="store_true", help="validate the YAML and exit; no server needed")
    args = parser.parse_args(argv)
    languages = tuple(args.lang) if args.lang else LANGUAGES

    problems = validate_suite(SCENARIO_DIR, LANGUAGES)
    if problems:
        print("the scenario files have problems:", *problems, sep="\n  ", file=sys.stderr)
        return 2
    everything = load_suite(SCENARIO_DIR, LANGUAGES)
    suite = [s for s in everything if s["language"] in languages]
    if args.scenario:
        suite = [s for s in suite if s["id"] in set(args.scenario)]
    if args.check:
        counts = {lang: sum(s["language"] == lang for s in suite) for lang in languages}
        print(f"{len(suite)} scenarios valid:", ", ".join(f"{k} {v}" for k, v in counts.items()))
        return 0

    tag = uuid.uuid4().hex[:6] if args.run_tag is None else args.run_tag
    now = datetime.now(timezone.utc).replace(microsecond=0)
    client = Client(args.url, args.key, args.ingest_key, args.timeout)
    started = time.perf_counter()
    # Phase 1: every scenario's shop data, so the catalog is whole (and the same on a first run and a rerun) before
    # any customer speaks; phase 2: the turns.
    # The whole suite is ingested even when only some scenarios run, so a selection meets the full run's catalog.
    ingested: dict[str, list[str]] = {}
    for scenario in everything:
        try:
            ingested[scenario["id"]] = ingest_scenario(client, scenario, now, tag)
        except Exception as exc:
            ingested[scenario["id"]] = [f"{type(exc).__name__}: {exc}"]
    results = []
    for scenario in suite:
        try:
            results.append(run_scenario(client, scenario, now, tag, ingested[scenario["id"]]))
        except Exception as exc:  # a transport error: record it and go on with the next scenario
            results.append({"id": scenario["id"], "language": scenario["language"],
                            "situation": scenario.get("situation"), "passed": False,
                            "reasons": [f"error: {type(exc).__name__}: {exc}"], "wrong_amounts": 0, "turns": []})
    table = tabulate(results, languages)
    report = {
        "url": args.url, "run_at": now.isoformat(), "run_tag": tag,
        "seconds": round(time.perf_counter() - started, 1),
        "languages": table,
        "totals": {"right": sum(r["right"] for r in table.values()), "total": sum(r["total"] for r in table.values()),
                   "turns_right": sum(r["turns_right"] for r in table.values()),
                   "turns_total": sum(r["turns_total"] for r in table.values())},
        "wrong_amounts": sum(r["wrong_amounts"] for r in table.values()),
        "scenarios": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print_table(table, results)
    print(f"\nwritten {args.out}")
    return 0 if report["totals"]["right"] == report["totals"]["total"] else 1


if __name__ == "__main__":
    sys.exit(main())
