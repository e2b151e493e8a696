"""Strict reading of policy YAML: every key is consumed or reported, every value checked, errors name file and key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ValidationError

from aftersales.errors import InvalidInput, PolicyConfigError
from aftersales.money import parse_amount


def validated(schema: type[BaseModel], data: Any, file: Path) -> Any:
    """`data` read from `file` as the pydantic `schema` says; the first error is a PolicyConfigError naming the file
    and the dotted key ("labels.hole.base"), as every config error of kefu does."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        value = f", got {error['input']!r}" if error["type"] != "missing" and "input" in error else ""
        raise PolicyConfigError(file, key, f"{error['msg']}{value}") from None


class ConfigReader:
    """A mapping from YAML read key by key; `done()` rejects the keys nobody asked for (typos, unknown options)."""

    def __init__(self, data: Any, file: Path, where: str):
        if not isinstance(data, dict):
            raise PolicyConfigError(file, where or "(top level)", f"expected a mapping, got {type(data).__name__}")
        self.data, self.file, self.where = data, file, where
        self._seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, reason: str) -> PolicyConfigError:
        return PolicyConfigError(self.file, self.key(name), reason)

    def raw(self, name: str, default: Any = None, required: bool = False) -> Any:
        self._seen.add(name)
        if name not in self.data:
            if required:
                raise self.fail(name, "is required")
            return default
        return self.data[name]

    def string(self, name: str, default: str | None = None, required: bool = False) -> str:
        value = self.raw(name, default, required)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"expected a non-empty string, got {value!r}")
        return value

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"expected a whole number, got {value!r}")
        if value < minimum:
            raise self.fail(name, f"must be ≥ {minimum}, got {value}")
        return value

    def fraction(self, name: str, default: float) -> float:
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise self.fail(name, f"expected a number in [0, 1], got {value!r}")
        return float(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {value!r}")
        return value

    def str_list(self, name: str, default: tuple[str, ...] = (), allowed: tuple[str, ...] | None = None
                 ) -> tuple[str, ...]:
        value = self.raw(name, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(name, f"expected a list of strings, got {value!r}")
        if allowed is not None:
            unknown = [v for v in value if v not in allowed]
            if unknown:
                raise self.fail(name, f"unknown value(s) {unknown}; expected among {list(allowed)}")
        return tuple(value)

    def money_map(self, name: str) -> dict[str, int]:
        """{CNY: "10.00", USD: 1.5} → {"CNY": 1000, "USD": 150}; amounts must be positive."""
        value = self.raw(name, required=True)
        if not isinstance(value, dict) or not value:
            raise self.fail(name, f"expected a mapping of currency → amount, got {value!r}")
        out = {}
        for currency, amount in value.items():
            if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
                raise self.fail(f"{name}.{currency}", "currency must be an ISO 4217 code")
            try:
                cents = parse_amount(amount)
            except InvalidInput as exc:
                raise self.fail(f"{name}.{currency}", str(exc)) from None
            if cents <= 0:
                raise self.fail(f"{name}.{currency}", f"must be positive, got {amount!r}")
            out[currency.upper()] = cents
        return out

    def child(self, name: str, default: Any = None) -> "ConfigReader | None":
        value = self.raw(name, default)
        return None if value is None else ConfigReader(value, self.file, self.key(name))

    def children(self, name: str) -> list["ConfigReader"]:
        value = self.raw(name, required=True)
        if not isinstance(value, list) or not value:
            raise self.fail(name, "expected a non-empty list")
        return [ConfigReader(v, self.file, f"{self.key(name)}[{i}]") for i, v in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self._seen, key=str)
        if unknown:
            raise self.fail(str(unknown[0]), f"unknown key (known here: {', '.join(sorted(self._seen))})")


@dataclass(frozen=True)
class Promotion:
    """A named sales period (618, 双11, ...) that rules and the reply tone can read.

    Attributes:
        id: Key rules refer to ("double11").
        names: Language → display name.
        start, end: Tz-aware instants; the period includes both (the whole second `end` names).
        ship_cutoff: Local time of day before which a paid order ships the same day during the period, None when the
            shop promises none (the urgent reply tone states it).
    """

    id: str
    names: dict[str, str]
    start: datetime
    end: datetime
    ship_cutoff: time | None = None

    def covers(self, instant: datetime) -> bool:
        return self.start <= instant < self.end + timedelta(seconds=1)


@dataclass(frozen=True)
class PolicySettings:
    """Shop-wide settings of the policy.

    Attributes:
        timezone: The shop's zone; windows count calendar days there, as shops and platforms do.
        promotions: Named sales periods, in start order.
    """

    timezone: ZoneInfo
    promotions: tuple[Promotion, ...] = ()

    def promotion_at(self, instant: datetime | None) -> Promotion | None:
        """The promotion running at `instant` (the latest-starting one if periods overlap), None outside them."""
        if instant is None:
            return None
        running = [p for p in self.promotions if p.covers(instant)]
        return running[-1] if running else None


def parse_promotions(r: ConfigReader
                     ) -> list[tuple[str, dict[str, str], datetime, datetime, time | None, ConfigReader]]:
    """The `promotions:` list of one file, with naive start/end (the shop's zone is known only after every file)."""
    out = []
    for p in r.children("promotions"):
        names = p.raw("names", required=True)
        if not isinstance(names, dict) or not names or not all(
                isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in names.items()):
            raise p.fail("names", "expected a mapping of language → name")
        start, end = _naive_datetime(p, "start"), _naive_datetime(p, "end")
        if end <= start:
            raise p.fail("end", "must be after start")
        out.append((p.string("id", required=True), dict(names), start, end, _clock_time(p, "ship_cutoff"), p))
        p.done()
    return out


def _clock_time(r: ConfigReader, name: str) -> time | None:
    value = r.raw(name)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return time.fromisoformat(value)
    except ValueError:
        raise r.fail(name, f'expected a quoted local time of day ("16:00"), got {value!r}') from None


def _naive_datetime(r: ConfigReader, name: str) -> datetime:
    value = r.raw(name, required=True)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.min)
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise r.fail(name, f"expected a date or date-time (2026-11-11 23:59:59), got {value!r}") from None
    if parsed.tzinfo is not None:
        raise r.fail(name, "give the shop's local time without a zone (the policy's timezone applies)")
    return parsed


def read_policy_files(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every *.yaml / *.yml of `directory`, sorted by name, parsed; unreadable or empty setups raise."""
    if not directory.is_dir():
        raise PolicyConfigError(directory, "-", "policy directory does not exist")
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not files:
        raise PolicyConfigError(directory, "-", "no *.yaml policy files")
    out = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise PolicyConfigError(path, "-", f"cannot read YAML: {exc}") from None
        out.append((path, data if data is not None else {}))
    return out


def parse_timezone(reader: ConfigReader, default: str = "UTC") -> ZoneInfo:
    name = reader.string("timezone", default)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail("timezone", f"unknown time zone {name!r}") from None
