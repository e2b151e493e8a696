"""The policy engine: the shop's YAML rules in, for each Case the Decision of the first rule that answers it."""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from aftersales.policy.decisions import INTENTS, Action, Case, Decision, DefectFinding
from aftersales.errors import PolicyConfigError
from aftersales.policy.config import (
    ConfigReader,
    PolicySettings,
    Promotion,
    parse_promotions,
    parse_timezone,
    read_policy_files,
)
from aftersales.policy.rules import RULE_TYPES, Rule

logger = logging.getLogger("kefu.aftersales")

__all__ = ["Action", "Case", "Decision", "DefectFinding", "PolicyEngine", "Rule"]


def _parse_rule(reader: ConfigReader, source: Path) -> Rule:
    rule_id = reader.string("id", required=True)
    kind = reader.string("type", required=True)
    if kind not in RULE_TYPES:
        raise reader.fail("type", f"unknown rule type {kind!r}; expected one of {sorted(RULE_TYPES)}")
    intents = reader.str_list("intents", allowed=(*INTENTS, "*"))
    if not intents:
        raise reader.fail("intents", "a rule must answer at least one intent")
    with_defects = reader.str_list("with_defects", allowed=INTENTS)
    reader.raw("description")  # free text for the shop's own notes
    params = RULE_TYPES[kind].parse(reader)
    reader.done()
    return Rule(rule_id, kind, intents, with_defects, params, str(source))


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
            top = ConfigReader(data, path, "")
            version = top.integer("version", 1, 1)
            if version != 1:
                raise top.fail("version", f"unsupported policy version {version}; this engine reads version 1")
            if "timezone" in data:
                file_zone = parse_timezone(top)
                if zone is not None and file_zone != zone:
                    raise top.fail("timezone", f"{file_zone.key} contradicts {zone.key} set by an earlier file")
                zone = file_zone
            for r in top.children("rules") if "rules" in data else []:
                rule = _parse_rule(r, path)
                if rule.id in seen:
                    raise r.fail("id", f"duplicate rule id {rule.id!r} (first in {seen[rule.id]})")
                seen[rule.id] = str(path)
                rules.append(rule)
            promotions += parse_promotions(top) if "promotions" in data else []
            top.done()
        if not rules:
            raise PolicyConfigError(directory, "rules", "no rules defined")
        zone = zone or ZoneInfo("UTC")
        periods: dict[str, Promotion] = {}
        for promo_id, names, start, end, cutoff, reader in promotions:
            if promo_id in periods:
                raise reader.fail("id", f"duplicate promotion id {promo_id!r}")
            periods[promo_id] = Promotion(promo_id, names, start.replace(tzinfo=zone), end.replace(tzinfo=zone),
                                          cutoff)
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
