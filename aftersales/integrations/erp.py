"""Fetching an order from a shop's own ERP over HTTP, mapped field by field onto kefu's order contract.

Shops' ERPs speak their own JSON (Taobao-style status codes, local times without a zone, prices as strings or
fen). An `ErpConfig` says where an order lives (`base_url` + `order_path`) and where each of kefu's fields is found
(`fields`: dotted paths, with a value map for statuses and a time format with the ERP's zone); the result is
validated as an `OrderIn`, exactly like a `PUT /v1/orders/{id}` body.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from aftersales.errors import InvalidInput, NotFound
from aftersales.integrations.ingest import OrderIn

logger = logging.getLogger("kefu.aftersales")


class ErpError(Exception):
    """The ERP did not answer usably (down, timeout, 5xx, not JSON)."""

    code = "erp_unavailable"


@dataclass(frozen=True)
class FieldMap:
    """Where one of kefu's order fields is in the ERP's JSON.

    Attributes:
        path: Dotted path in the ERP's order ("buyer.id", "trade.pay_time"); for `items` and `logistics`, the list.
        values: ERP value → kefu value (e.g. {"WAIT_SELLER_SEND_GOODS": "paid"}); unmapped values pass unchanged.
        time_format: For times: "iso" (with or without a zone), "epoch_s", "epoch_ms", or a strptime pattern.
        cents: The ERP gives money in cents (fen) rather than major units.
        fields: For lists (`items`, `logistics`): kefu's item field → FieldMap inside each element.
    """

    path: str
    values: Mapping[str, str] = field(default_factory=dict)
    time_format: str = "iso"
    cents: bool = False
    fields: Mapping[str, "FieldMap"] = field(default_factory=dict)


@dataclass(frozen=True)
class ErpConfig:
    """One shop's ERP.

    Attributes:
        base_url: "https://erp.example.com/api".
        order_path: Path template with `{order_id}`, appended to base_url.
        fields: kefu's OrderIn field → where it is; fields not mapped are read from the same name.
        timezone: Zone of ERP times given without one.
        headers: Extra HTTP headers; a value "env:NAME" is read from the environment (tokens stay out of config).
        timeout_s: Per-request timeout.
    """

    base_url: str
    order_path: str = "/orders/{order_id}"
    fields: Mapping[str, FieldMap] = field(default_factory=dict)
    timezone: str = "Asia/Shanghai"
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 5.0

    def __post_init__(self) -> None:
        scheme = urllib.parse.urlparse(self.base_url).scheme
        if scheme not in ("http", "https"):
            raise InvalidInput(f"ERP base_url must be http(s), got {self.base_url!r}")
        if "{order_id}" not in self.order_path:
            raise InvalidInput("ERP order_path must contain {order_id}")
        ZoneInfo(self.timezone)  # unknown zones fail here, at configuration time


_TIME_FIELDS = ("created_at", "paid_at", "shipped_at", "delivered_at", "at")
_MONEY_FIELDS = ("unit_price",)


class HttpErpAdapter:
    """Fetch and map one order at a time; stateless and thread-safe."""

    def __init__(self, config: ErpConfig):
        self.config = config
        self.zone = ZoneInfo(config.timezone)

    def fetch_order(self, order_id: str) -> OrderIn:
        """The ERP's order `order_id` as an OrderIn.

        Raises:
            NotFound: The ERP has no such order (HTTP 404).
            ErpError: The ERP is unreachable, slow, failing or answers something that is not JSON.
            InvalidInput: The mapped order breaks kefu's contract; the message names the field.
        """
        raw = self._get(order_id)
        mapped = self._map(raw, self.config.fields, OrderIn.model_fields)
        try:
            return OrderIn.model_validate(mapped)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(order)"
            raise InvalidInput(f"ERP order {order_id}: {where}: {first['msg']}") from None

    def _get(self, order_id: str) -> Any:
        url = self.config.base_url.rstrip("/") + self.config.order_path.format(
            order_id=urllib.parse.quote(order_id, safe=""))
        headers = {"Accept": "application/json"}
        for name, value in self.config.headers.items():
            headers[name] = os.environ.get(value[4:], "") if value.startswith("env:") else value
        request = urllib.request.Request(url, headers=headers, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:  # noqa: S310 (http(s))
                body = response.read(8 * 1024 * 1024)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise NotFound("order", order_id) from None
            raise ErpError(f"ERP answered HTTP {exc.code} for order {order_id}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ErpError(f"ERP unreachable for order {order_id}: {exc}") from None
        try:
            return json.loads(body)
        except ValueError:
            raise ErpError(f"ERP answered non-JSON for order {order_id}") from None

    def _map(self, raw: Any, fields: Mapping[str, FieldMap], names: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            spec = fields.get(name)
            value = _lookup(raw, spec.path if spec else name)
            if value is None:
                continue
            if spec and spec.fields:  # a list of sub-records
                if not isinstance(value, list):
                    raise InvalidInput(f"ERP field {spec.path} should be a list")
                model = OrderIn.model_fields[name].annotation.__args__[0]  # type: ignore[union-attr]
                value = [self._map(element, spec.fields, model.model_fields) for element in value]
            elif spec:
                value = spec.values.get(str(value), value) if spec.values else value
            if name in _TIME_FIELDS:
                value = self._time(value, spec.time_format if spec else "iso", name)
            elif name in _MONEY_FIELDS and spec and spec.cents:
                value = f"{int(value) / 100:.2f}"
            out[name] = value
        return out

    def _time(self, value: Any, fmt: str, name: str) -> str:
        try:
            if fmt in ("epoch_s", "epoch_ms"):
                seconds = float(value) / (1000 if fmt == "epoch_ms" else 1)
                return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
            parsed = datetime.fromisoformat(str(value)) if fmt == "iso" else datetime.strptime(str(value), fmt)
        except (TypeError, ValueError, OverflowError):
            raise InvalidInput(f"ERP field {name}: cannot read time {value!r} as {fmt}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed.isoformat()


def _lookup(data: Any, path: str) -> Any:
    for key in path.split("."):
        if isinstance(data, Mapping) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return None
    return data


def field_map(spec: Any) -> FieldMap:
    """A FieldMap from config: a plain path string, or {path, values, time_format, cents, fields}."""
    if isinstance(spec, str):
        return FieldMap(spec)
    if not isinstance(spec, Mapping) or "path" not in spec:
        raise InvalidInput(f"an ERP field map is a path or a mapping with a path, got {spec!r}")
    unknown = set(spec) - {"path", "values", "time_format", "cents", "fields"}
    if unknown:
        raise InvalidInput(f"unknown ERP field-map keys {sorted(unknown)}")
    return FieldMap(str(spec["path"]), dict(spec.get("values") or {}), str(spec.get("time_format", "iso")),
                    bool(spec.get("cents", False)), {k: field_map(v) for k, v in (spec.get("fields") or {}).items()})


__all__ = ["ErpConfig", "ErpError", "FieldMap", "HttpErpAdapter", "field_map"]
