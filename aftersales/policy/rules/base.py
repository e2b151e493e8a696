"""The Rule and RuleType records every rule family module builds on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aftersales.policy.decisions import Case, Decision
from aftersales.policy.config import ConfigReader, PolicySettings


@dataclass(frozen=True)
class Rule:
    """One rule of the shop's policy.

    Attributes:
        id: Unique id; decisions carry it (plus an outcome suffix) as their `rule`.
        type: Key into RULE_TYPES.
        intents: Intents it answers ("*" for any).
        with_defects: Further intents it answers only when the customer showed or described a defect.
        params: The type's parsed parameters.
        source: File it came from (for messages).
    """

    id: str
    type: str
    intents: tuple[str, ...]
    with_defects: tuple[str, ...]
    params: Any
    source: str

    def matches(self, case: Case) -> bool:
        return ("*" in self.intents or case.intent in self.intents
                or (bool(case.defects) and case.intent in self.with_defects))


@dataclass(frozen=True)
class RuleType:
    """How to read and apply one kind of rule.

    Attributes:
        parse: Reads the type's own YAML keys into its params (the reader rejects unknown keys afterwards).
        decide: The pure decision.
        needs_order: Without a resolved order the engine asks for the order id instead of calling `decide`.
    """

    parse: Callable[[ConfigReader], Any]
    decide: Callable[[Rule, Case, PolicySettings], Decision]
    needs_order: bool
