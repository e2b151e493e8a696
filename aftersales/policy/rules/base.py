"""The Rule and RuleType records every rule family module builds on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import field_validator

from aftersales.policy.config import Choices, PolicySettings, Strict, Text
from aftersales.policy.decisions import INTENTS, Case, Decision


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


_Intents = Choices((*INTENTS, "*"))
_DefectIntents = Choices(INTENTS)


class RuleFile(Strict):
    """The keys every rule has; each rule type's schema adds its own."""

    id: Text
    type: Text
    intents: _Intents
    with_defects: _DefectIntents = ()
    description: Any = None  # free text for the shop's own notes

    @field_validator("intents")
    @classmethod
    def _answers_something(cls, intents: tuple[str, ...]) -> tuple[str, ...]:
        if not intents:
            raise ValueError("a rule must answer at least one intent")
        return intents

    def params(self) -> Any:
        """What the type's `decide` reads; None for types without keys of their own."""
        return None


@dataclass(frozen=True)
class RuleType:
    """How to read and apply one kind of rule.

    Attributes:
        schema: The rule's YAML as this type reads it (RuleFile and the type's own keys); `params()` of a read rule
            is what `decide` gets.
        decide: The pure decision.
        needs_order: Without a resolved order the engine asks for the order id instead of calling `decide`.
    """

    schema: type["RuleFile"]
    decide: Callable[[Rule, Case, PolicySettings], Decision]
    needs_order: bool
