"""Customer-facing replies rendered from a Decision alone: templates per language and tone (replies.yaml)."""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from aftersales.policy.decisions import Action, Decision
from aftersales.errors import ConfigError, InvalidInput
from aftersales.understanding.language import normalize_language
from aftersales.money import Money, format_money

logger = logging.getLogger("kefu.aftersales")

DEFAULT_TEMPLATES = Path(__file__).with_name("replies.yaml")
TONES = ("soothing", "friendly", "urgent")
FALLBACK_LANGUAGE = "en"
_SECTIONS = ("joiner", "date", "months", "openings", "closings", "handoff", "urgency", "unknown_action", "actions",
             "countries")
_URGENCY = ("stock", "ship_by")


def tone_for(emotion: str, promotion: bool = False) -> str:
    """Apologise first to upset customers; inside a sales period say what is running out; be light otherwise."""
    if emotion in ("angry", "anxious"):
        return "soothing"
    return "urgent" if promotion else "friendly"


def format_date(value: date, language: str, templates: Mapping[str, Any] | None = None) -> str:
    """The date as the language writes it (`date` and `months` of its reply table)."""
    table = templates or _templates(DEFAULT_TEMPLATES)
    lang = language if language in table else FALLBACK_LANGUAGE
    return table[lang]["date"].format(year=value.year, month=value.month, day=value.day,
                                      month_name=table[lang]["months"][value.month - 1])


def _load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(path, "-", f"cannot read templates: {exc}") from None
    if not isinstance(data, dict) or FALLBACK_LANGUAGE not in data:
        raise ConfigError(path, "-", f"expected language → templates, with {FALLBACK_LANGUAGE!r} present")
    for lang, table in data.items():
        if not isinstance(table, dict) or set(table) != set(_SECTIONS):
            raise ConfigError(path, str(lang), f"expected exactly the sections {list(_SECTIONS)}")
        for section in ("openings", "closings"):
            if set(table[section]) != set(TONES):
                raise ConfigError(path, f"{lang}.{section}", f"expected one entry per tone {list(TONES)}")
        if set(table["urgency"]) != set(_URGENCY):
            raise ConfigError(path, f"{lang}.urgency", f"expected exactly {list(_URGENCY)}")
        months = table["months"]
        if not isinstance(months, list) or len(months) != 12 or not all(isinstance(m, str) for m in months):
            raise ConfigError(path, f"{lang}.months", "expected the 12 month names")
        for where, template in [("date", table["date"])] + [(f"actions.{k}", v) for k, v in table["actions"].items()]:
            try:
                list(string.Formatter().parse(template))
            except (ValueError, TypeError) as exc:
                raise ConfigError(path, f"{lang}.{where}", f"bad template: {exc}") from None
    return data


@lru_cache(maxsize=4)
def _templates(path: Path) -> dict[str, dict[str, Any]]:
    return _load(path)


class ReplyWriter:
    """Turns a Decision into a message in the customer's language and a tone that fits their mood."""

    def __init__(self, templates: Path = DEFAULT_TEMPLATES):
        self.templates = _templates(Path(templates))

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.templates)

    def render(self, decision: Decision, language: str | None, tone: str,
               context: Mapping[str, Any] | None = None) -> str:
        """The reply. `context` may carry "handoff_reason" (customer_asked, policy_manual, angry_customer) to add the
        hand-off sentence, and, for the urgent tone, "urgency": {"title", "stock_left"} and/or {"promotion",
        "ship_by"} (facts of the store and the promotion calendar); every other fact comes from `decision`."""
        if tone not in TONES:
            raise InvalidInput(f"tone must be one of {TONES}, got {tone!r}")
        lang = normalize_language(language) or FALLBACK_LANGUAGE
        if lang not in self.templates:
            lang = FALLBACK_LANGUAGE
        table = self.templates[lang]
        parts = [table["openings"][tone]]
        parts += [self._sentence(action, decision, lang) for action in decision.actions]
        reason = (context or {}).get("handoff_reason")
        if reason and not any(a.type == "handoff_to_human" for a in decision.actions):
            parts.append(table["handoff"].get(reason, table["handoff"]["policy_manual"]))
        if tone == "urgent":
            parts += self._urgency((context or {}).get("urgency") or {}, lang)
        if decision.concrete:
            parts.append(table["closings"][tone])
        return table["joiner"].join(p for p in parts if p).strip()

    def _urgency(self, facts: Mapping[str, Any], lang: str) -> list[str]:
        sentences = []
        for key, needs in (("stock", ("title", "stock_left")), ("ship_by", ("promotion", "ship_by"))):
            if all(facts.get(n) not in (None, "") for n in needs):
                fields = {n: self._text(_in_language(facts[n], lang), lang) for n in needs}
                sentences.append(self.templates[lang]["urgency"][key].format_map(fields))
        return sentences

    def _text(self, value: Any, lang: str) -> str:
        return _text(value, lang, self.templates)

    def _sentence(self, action: Action, decision: Decision, lang: str) -> str:
        variant = action.params.get("variant")
        keys = ([f"{action.type}.{variant}"] if variant else []) + [action.type]
        for language in dict.fromkeys((lang, FALLBACK_LANGUAGE)):
            actions = self.templates[language]["actions"]
            template = next((actions[k] for k in keys if k in actions), None)
            if template is None:
                continue
            fields = self._fields(action, decision, language)
            try:
                return template.format_map(fields)
            except (KeyError, IndexError, ValueError) as exc:
                # A template asking for a fact the decision lacks is a template bug; the customer still gets a reply.
                logger.error("template %s/%s cannot be filled: %r", language, keys[0], exc)
                break
        else:
            logger.error("no template for action %s", action.type)
        return self.templates[lang]["unknown_action"]

    def _fields(self, action: Action, decision: Decision, lang: str) -> dict[str, str]:
        raw: dict[str, Any] = {k: v for k, v in decision.inputs.items() if not isinstance(v, (list, dict, tuple))}
        raw.update(action.params)
        if action.money is not None:
            raw["amount"] = action.money
        for key, value in raw.items():
            raw[key] = _in_language(value, lang)
        if isinstance(raw.get("country"), str):
            raw["country_name"] = self.templates[lang]["countries"].get(raw["country"], raw["country"])
        return {k: self._text(v, lang) for k, v in raw.items()}


def _in_language(value: Any, lang: str) -> Any:
    """A fact given in several languages (a country's duty rule, a promotion's name) in `lang`, else as it is."""
    if _localized(value):
        return value.get(lang) or value.get(FALLBACK_LANGUAGE) or next(iter(value.values()))
    return value


def _localized(value: Any) -> bool:
    return (isinstance(value, dict) and bool(value)
            and all(isinstance(k, str) and len(k) <= 3 and isinstance(v, str) for k, v in value.items()))


def _text(value: Any, lang: str, templates: Mapping[str, Any]) -> str:
    if isinstance(value, Money):
        return format_money(value.cents, value.currency, lang)
    if isinstance(value, datetime):
        return format_date(value.date(), lang, templates)
    if isinstance(value, date):
        return format_date(value, lang, templates)
    if isinstance(value, (list, tuple)):
        titles = [v.get("title", "") if isinstance(v, dict) else str(v) for v in value]
        return "、".join(f"「{t}」" for t in titles) if lang == "zh" else ", ".join(titles)
    if value is None:
        return ""
    return str(value)
