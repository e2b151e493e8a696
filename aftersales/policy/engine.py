"""The policy engine: the shop's YAML rules in, for each Case the Decision of the first rule that answers it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aftersales.policy.decisions import Action, Case, Decision, DefectFinding
from aftersales.errors import PolicyConfigError
from aftersales.policy.config import PolicyFile, PolicySettings, Promotion, read_policy_files, validated
from aftersales.policy.rules import RULE_TYPES, Rule, RuleFile

logger = logging.getLogger("kefu.aftersales")

__all__ = ["Action", "Case", "Decision", "DefectFinding", "PolicyEngine", "Rule"]


def _read_rule(data: Any, source: Path, where: str) -> Rule:
    kind = data.get("type") if isinstance(data, dict) else None
    if isinstance(kind, str) and kind not in RULE_TYPES:
        raise PolicyConfigError(source, f"{where}.type", f"unknown rule type {kind!r}; expected one of "
                                                        f"{sorted(RULE_TYPES)}")
    schema = RULE_TYPES[kind].schema if isinstance(kind, str) else RuleFile
    read = validated(schema, data, source, where)
    return Rule(read.id, read.type, read.intents, read.with_defects, read.params(), str(source))


class PolicyEngine:
    """Pure: the same Case always gets the same Decision. Rules are tried in file order, then YAML order."""

    def __init__(self, rules: list[Rule], settings: PolicySettings):
        self.rules = tuple(rules)
        self.settings = settings

    @classmethod
    def from_dir(cls, directory: Path) -> "PolicyEngine":
        """Read every *.yaml of `directory` (e.g. configs/policies); nonsense raises PolicyConfigError."""
        rules: list[Rule] = []
        seen: dict[str, str] = {}
        zone: ZoneInfo | None = None
        promotions = []
        for path, data in read_policy_files(Path(directory)):
            policy = validated(PolicyFile, data, path)
            if policy.timezone is not None:
                if zone is not None and policy.timezone != zone:
                    raise PolicyConfigError(path, "timezone", f"{policy.timezone.key} contradicts {zone.key} set by "
                                                              "an earlier file")
                zone = policy.timezone
            for i, raw in enumerate(policy.rules):
                rule = _read_rule(raw, path, f"rules[{i}]")
                if rule.id in seen:
                    raise PolicyConfigError(path, f"rules[{i}].id",
                                            f"duplicate rule id {rule.id!r} (first in {seen[rule.id]})")
                seen[rule.id] = str(path)
                rules.append(rule)
            promotions += [(promotion, path, f"promotions[{i}]") for i, promotion in enumerate(policy.promotions)]
        if not rules:
            raise PolicyConfigError(directory, "rules", "no rules defined")
        zone = zone or ZoneInfo("UTC")
        periods: dict[str, Promotion] = {}
        for promotion, path, where in promotions:
            if promotion.id in periods:
                raise PolicyConfigError(path, f"{where}.id", f"duplicate promotion id {promotion.id!r}")
            periods[promotion.id] = promotion.promotion(zone)
        ordered = tuple(sorted(periods.values(), key=lambda p: p.start))
        for rule in rules:
            for promotion_id in getattr(rule.params, "promotion_window_days", {}):
                if promotion_id not in periods:
                    raise PolicyConfigError(Path(rule.source), f"{rule.id}.promotion_window_days.{promotion_id}",
                                            f"unknown promotion; known: {', '.join(periods) or 'none'}")
        logger.info("policy: %d rules and %d promotions from %s", len(rules), len(ordered), directory)
        return cls(rules, PolicySettings(zone, ordered))

    def rule_for(self, case: Case) -> Rule | None:
        return next((r for r in self.rules if r.matches(case)), None)

    def decide(self, case: Case) -> Decision:
        rule = self.rule_for(case)
        if rule is None:
            return Decision("fallback.general_help", {"intent": case.intent},
                            [Action("general_help", params={"variant": case.intent})])
        if RULE_TYPES[rule.type].needs_order and case.order is None:
            return Decision(f"{rule.id}.need_order", {"intent": case.intent}, [Action("need_order_info")])
        return RULE_TYPES[rule.type].decide(rule, case, self.settings)
