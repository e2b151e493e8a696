"""Strict reading of policy YAML through pydantic schemas: unknown keys and bad values are refused, and every error names
the file and the key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo,
                      field_validator)

from aftersales.errors import InvalidInput, PolicyConfigError
from aftersales.money import parse_amount


# --- the schema toolkit: pydantic pieces every policy file shares -----------------------------------------------


class Strict(BaseModel):
    """A mapping of the policy YAML: unknown keys are mistakes (typos, options of another rule)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _choices(allowed: tuple[str, ...]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    def check(values: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"unknown value(s) {unknown}; expected among {list(allowed)}")
        return values

    return check


def Choices(allowed: tuple[str, ...]) -> Any:  # noqa: N802 - a type, spelled as one
    """A list of strings, each one of `allowed` (a tuple in the parsed policy)."""
    return Annotated[tuple[Annotated[str, Field(min_length=1)], ...], AfterValidator(_choices(allowed))]


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"expected a number in [0, 1], got {value!r}")
    return float(value)


def cents(value: Any) -> int:
    """An amount in the major unit ("10.00", 10, 10.5) → cents; ValueError (a validation error) when it is none."""
    try:
        return parse_amount(value)
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


def _positive_cents(value: Any) -> int:
    amount = cents(value)
    if amount <= 0:
        raise ValueError(f"must be positive, got {value!r}")
    return amount


def _currency(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise ValueError(f"currency must be an ISO 4217 code, got {value!r}")
    return value.upper()


Fraction = Annotated[float, BeforeValidator(_fraction)]
Days = Annotated[int, Field(strict=True, ge=0)]
PositiveDays = Annotated[int, Field(strict=True, ge=1)]
Text = Annotated[str, Field(min_length=1, pattern=r"\S")]
Currency = Annotated[str, BeforeValidator(_currency)]
# {CNY: "10.00", USD: 1.5} → {"CNY": 1000, "USD": 150}: amounts in the major unit, at most two decimals, positive.
MoneyMap = Annotated[dict[Currency, Annotated[int, BeforeValidator(_positive_cents)]], Field(min_length=1)]


def validated(schema: type[BaseModel], data: Any, file: Path, where: str = "") -> Any:
    """`data` read from `file` as the pydantic `schema` says; the first mistake is a PolicyConfigError naming the
    file and the key ("rules[0].groups[1].labels", below `where`) in the words an operator fixes it by."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = [part for part in error["loc"] if part != "[key]"]
        key = where
        for part in loc:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        raise PolicyConfigError(file, key or "(top level)", _reason(error, schema, loc)) from None


def _reason(error: dict[str, Any], schema: type[BaseModel], loc: list[Any]) -> str:
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        known = _fields_at(schema, loc[:-1])
        return "unknown key" + (f" (known here: {', '.join(known)})" if known else "")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got!r}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign, bound = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt"),
                       "less_than_equal": ("≤", "le"), "less_than": ("<", "lt")}[kind]
        return f"must be {sign} {ctx.get(bound)}, got {got!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got!r}"
    if kind in ("string_type", "string_too_short", "string_pattern_mismatch"):
        return f"expected a non-empty string, got {got!r}"
    if kind in ("model_type", "dict_type", "model_attributes_type", "dataclass_type"):
        return f"expected a mapping, got {type(got).__name__}"
    if kind in ("list_type", "tuple_type", "too_short"):
        return f"expected a {'non-empty ' if kind == 'too_short' else ''}list, got {got!r}"
    if kind == "literal_error":
        return f"expected {str(ctx.get('expected', '')).replace(chr(39), '')}, got {got!r}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def _fields_at(schema: type[BaseModel], loc: list[Any]) -> list[str]:
    """The keys the model at `loc` of `schema` knows (for "unknown key" messages); [] when it cannot tell."""
    model: Any = schema
    for part in loc:
        if isinstance(part, int):
            continue  # an item of a list: the model is the list's items'
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return []
        model = _inner_model(model.model_fields[part].annotation)
    return sorted(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside `X | None`, `list[X]`, `tuple[X, ...]`, `dict[K, X]`, or the annotation itself."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in reversed(get_args(annotation)):
        inner = _inner_model(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


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


def _names(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not value or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()):
        raise ValueError("expected a mapping of language → name")
    return dict(value)


def _clock_time(value: Any) -> time | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(f'expected a quoted local time of day ("16:00"), got {value!r}') from None


def _naive_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.min)
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"expected a date or date-time (2026-11-11 23:59:59), got {value!r}") from None
    if parsed.tzinfo is not None:
        raise ValueError("give the shop's local time without a zone (the policy's timezone applies)")
    return parsed


LocalDateTime = Annotated[datetime, BeforeValidator(_naive_datetime)]


class PromotionFile(Strict):
    """One `promotions:` entry; start and end are the shop's local time (its zone is known after every file)."""

    id: Text
    names: Annotated[dict[str, str], BeforeValidator(_names)]
    start: LocalDateTime
    end: LocalDateTime
    ship_cutoff: Annotated[time | None, BeforeValidator(_clock_time)] = None

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("must be after start")
        return end

    def promotion(self, zone: ZoneInfo) -> Promotion:
        return Promotion(self.id, dict(self.names), self.start.replace(tzinfo=zone), self.end.replace(tzinfo=zone),
                         self.ship_cutoff)


def _non_empty_list(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list, got {value!r}")
    return value


def _zone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


class PolicyFile(Strict):
    """One policy YAML file. Its rules are read by their own type's schema (aftersales.policy.rules.RULE_TYPES)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    version: int = Field(1, strict=True, ge=1)
    timezone: Annotated[ZoneInfo, BeforeValidator(_zone)] | None = None
    rules: Annotated[list[Any], BeforeValidator(_non_empty_list)] = []
    promotions: Annotated[list[PromotionFile], BeforeValidator(_non_empty_list)] = []

    @field_validator("version")
    @classmethod
    def _supported(cls, version: int) -> int:
        if version != 1:
            raise ValueError(f"unsupported policy version {version}; this engine reads version 1")
        return version


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
