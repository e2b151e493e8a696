"""Optional reply rewriting, guarded: a rewrite is sent only if it keeps every fact of the template and adds none."""

from __future__ import annotations

import logging
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from aftersales.money import CURRENCY_SYMBOLS
from aftersales.replies.templates import DEFAULT_TEMPLATES, ReplyWriter

logger = logging.getLogger("kefu.aftersales")

# "1,234.56", and the dotted thousands and decimal comma of Indonesian and Vietnamese ("1.234,56", "500.000").
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d{2}(?!\d))?|\d+(?:\.\d+)?"
# A minus counts only where it cannot be a hyphen ("KF-SW-001", "3-5 days", "7-day").
_SIGN = r"(?:(?:^|(?<=[\s(（:：]))[-−])?"
# Symbols written before an amount: ours (money.py) and a few a model may know from elsewhere.
_PREFIXES = sorted({*CURRENCY_SYMBOLS.values(), "US$", "HK$", "NT$", "RMB", "€", "£", "₹", "₩", "￥"}, key=len,
                   reverse=True)
_SUFFIXES = ("元", "块", "円", "₫", "đ", "฿", "บาท", "%", "％", "baht", "ringgit", "rupiah", "pesos", "peso", "yuan",
             "dollars", "dollar", "RMB", "CNY", "USD", "SGD", "MYR", "IDR", "THB", "VND", "PHP", "EUR", "GBP", "HKD")
_URL = r"(?:https?://|www\.)[^\s<>\"'“”‘’（）「」『』《》，。、；！？]+"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# Letters and digits together: order ids (O1004), tracking numbers (SF1234567890), skus (KF-SW-001). One that starts
# with a digit needs a capital (1Z999AA1), so "7-day" and "3pm" stay plain numbers.
_ID = (r"(?<![A-Za-z0-9])(?=[A-Za-z0-9_-]*\d)(?:[A-Za-z]|(?=[A-Za-z0-9_-]*[A-Z]))"
       r"[A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*(?![A-Za-z0-9])")
_TIME = r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)"
_ISO_DATE = r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)"
_URL_TAIL = ".,;:!?)]}'\""
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class RewriteResult:
    """What the customer is sent.

    Attributes:
        text: The rewrite when it was used, else the template reply unchanged.
        used: Whether `text` is the rewrite.
        problems: Why the rewrite was refused ("missing: ¥30.00", "new: ¥50.00", "empty rewrite", "too long: ...",
            "rewriter failed: ..."); empty when it was used, or when there was nothing to rewrite.
    """

    text: str
    used: bool
    problems: tuple[str, ...] = ()


class Rewriter(Protocol):
    """Anything that restyles a finished reply (a local causal LM in models/text/rewriter.py, a fake in tests)."""

    def rewrite(self, reply: str, language: str, tone: str) -> str:
        """`reply` said again in `language` and `tone`; may raise, and may get facts wrong: callers guard it."""
        ...


def facts_of(text: str, templates: Path = DEFAULT_TEMPLATES) -> list[str]:
    """The facts a rewrite of `text` must keep, in order of appearance, each once.

    Links and e-mail addresses; dates in the forms the reply tables write (month words stay with their day, so
    "12 November" cannot turn into "12 December", nor "11月12日" into "12月11日"); times; amounts with the currency
    sign or word next to them ("¥30.00", "30.00元", "Rp25,000.00"); ids mixing letters and digits (O1004,
    KF-SW-001); and every other number as written. `templates` supplies the month names and date layouts.
    """
    found: list[str] = []
    for match in _pattern(Path(templates)).finditer(text):
        fact = match.group(0)
        if match.lastgroup == "url":
            fact = fact.rstrip(_URL_TAIL)
        found.append(fact.strip())
    return list(dict.fromkeys(f for f in found if f))


def survives(facts: list[str], candidate: str, templates: Path = DEFAULT_TEMPLATES) -> list[str]:
    """Problems of `candidate` as a rewrite of a reply whose facts are `facts`; empty when it may be sent.

    "missing: F" for a fact the candidate lacks (only whitespace may differ inside a fact), and "new: F" for a link,
    amount, date, id or number the candidate adds: a rewriter must not invent a refund amount. A plain number that
    is part of a kept fact (the 2026 of a date) is not new.
    """
    known = {_key(f) for f in facts}
    numbers = {_key(n) for f in facts for n in re.findall(_NUMBER, f)}
    offered = facts_of(candidate, templates)
    have = {_key(f) for f in offered}
    problems = [f"missing: {f}" for f in dict.fromkeys(facts) if _key(f) not in have]
    problems += [f"new: {f}" for f in offered
                 if _key(f) not in known and not (re.fullmatch(_NUMBER, f) and _key(f) in numbers)]
    return problems


class GuardedRewriter:
    """Runs a Rewriter and keeps its text only when it is safe to send; otherwise the template reply stands.

    A failing rewriter never fails the customer's turn: its error is logged and the template is sent.
    """

    def __init__(self, rewriter: Rewriter, templates: Path = DEFAULT_TEMPLATES, max_ratio: float = 3.0,
                 max_extra_chars: int = 200):
        """`max_ratio` and `max_extra_chars` bound a rewrite's length (ratio × template + extra): a model that
        rambles or repeats itself is not sent even if the facts are all there."""
        self.rewriter = rewriter
        self.templates = Path(templates)
        self.max_ratio = max_ratio
        self.max_extra_chars = max_extra_chars

    def apply(self, reply: str, language: str, tone: str) -> RewriteResult:
        if not reply.strip():
            return RewriteResult(reply, False)
        try:
            candidate = self.rewriter.rewrite(reply, language, tone)
        except Exception as exc:  # noqa: BLE001 — the rewriter is optional; the template is always a good answer.
            logger.warning("rewriter failed, sending the template: %r", exc, exc_info=True)
            return RewriteResult(reply, False, (f"rewriter failed: {exc!r}",))
        problems = self._problems(reply, candidate)
        if problems:
            logger.info("rewrite refused (%s), sending the template", "; ".join(problems))
            return RewriteResult(reply, False, tuple(problems))
        return RewriteResult(candidate.strip(), True)

    def _problems(self, reply: str, candidate: object) -> list[str]:
        if not isinstance(candidate, str):
            return [f"rewrite is a {type(candidate).__name__}, not text"]
        text = candidate.strip()
        if not text:
            return ["empty rewrite"]
        limit = int(self.max_ratio * len(reply)) + self.max_extra_chars
        if len(text) > limit:
            return [f"too long: {len(text)} characters, at most {limit}"]
        return survives(facts_of(reply, self.templates), text, self.templates)


def _key(fact: str) -> str:
    return _SPACE.sub("", fact)


@lru_cache(maxsize=4)
def _pattern(templates: Path) -> re.Pattern[str]:
    """One scanner for every kind of fact; at each position the first alternative that matches wins, so the longer
    kinds (links, dates, amounts) come before the bare numbers they contain."""
    tables = ReplyWriter(templates).templates
    names = sorted({m for t in tables.values() for m in t["months"]}, key=len, reverse=True)
    month = "(?:" + "|".join(_literal(m, edge=True) for m in names) + ")"
    layouts = sorted({_layout(t["date"]) for t in tables.values()}, key=len, reverse=True)
    full = [_date_regex(layout, month) for layout in layouts]
    # A day next to a month word without a year, either way round ("12 November", "Nobyembre 12", "11月12日").
    partial = [rf"(?<!\d)\d{{1,2}}\s*{month}", rf"{month}\s*\d{{1,2}}(?!\d)(?:\s*[日号號])?"]
    prefix = "|".join(re.escape(p) for p in _PREFIXES)
    # A Latin currency word must end there ("500 đ", not the "đ" of "đơn"); CJK and Thai run on without spaces.
    suffix = "|".join(re.escape(s) + (r"(?![^\W\d_])" if re.fullmatch(r"[A-Za-zđ]+", s) else "")
                      for s in sorted(_SUFFIXES, key=len, reverse=True))
    amount = [rf"{_SIGN}(?<![A-Za-z])(?:{prefix})\s?(?:{_NUMBER})", rf"{_SIGN}(?<!\d)(?:{_NUMBER})\s?(?:{suffix})"]
    kinds = [("url", [_URL]), ("email", [_EMAIL]), ("date", [*full, _ISO_DATE, *partial]), ("time", [_TIME]),
             ("amount", amount), ("id", [_ID]), ("number", [rf"{_SIGN}(?<!\d)(?:{_NUMBER})"])]
    return re.compile("|".join(f"(?P<{kind}>{'|'.join(parts)})" for kind, parts in kinds))


def _layout(template: str) -> str:
    """A date template without the words around it that stand apart ("ngày {day} tháng ..." → "{day} tháng ..."):
    a rewrite may say "vào 12 tháng 11" without changing the date."""
    pieces = list(string.Formatter().parse(template))
    if pieces and pieces[0][1] is not None and pieces[0][0].strip() and pieces[0][0][-1].isspace():
        pieces[0] = ("", *pieces[0][1:])
    out = "".join(lit + (f"{{{name}}}" if name is not None else "") for lit, name, _, _ in pieces)
    tail = out[out.rfind("}") + 1:]
    if tail.strip() and tail[0].isspace():
        out = out[: len(out) - len(tail)]
    return out.strip()


def _date_regex(layout: str, month: str) -> str:
    fields = {"year": r"\d{4}", "month": r"\d{1,2}", "day": r"\d{1,2}", "month_name": month}
    parts: list[str] = []
    for lit, name, _, _ in string.Formatter().parse(layout):
        parts += [_literal(lit), fields.get(name, r"\d+") if name is not None else ""]
    return r"(?<!\d)" + r"\s*".join(p for p in parts if p) + r"(?!\d)"


def _literal(text: str, edge: bool = False) -> str:
    """`text` as a regex where whitespace may vary; with `edge`, a name that starts or ends in a digit ("11月",
    "tháng 1") may not be glued to another digit, so "tháng 1" does not match inside "tháng 11"."""
    body = r"\s*".join(re.escape(word) for word in text.split())
    if edge and text[:1].isdigit():
        body = r"(?<!\d)" + body
    if edge and text[-1:].isdigit():
        body += r"(?!\d)"
    return body
