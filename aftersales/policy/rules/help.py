"""Hand-off to a person on request, and general help for intents no other rule answers."""

from __future__ import annotations

from aftersales.policy.decisions import Action, Case, Decision
from aftersales.policy.config import PolicySettings
from aftersales.policy.rules.base import Rule
from aftersales.policy.rules.common import handoff


def handoff_rule(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    return Decision(rule.id, {"intent": case.intent}, [handoff("customer_asked")], manual=True)


def general_help(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    return Decision(rule.id, {"intent": case.intent}, [Action("general_help", params={"variant": case.intent})])
