"""Rule types of the policy: each a YAML parser for its params and a small pure function Case → Decision."""

from __future__ import annotations

# Modules, not their functions, are imported: a function named like its module (logistics, cross_border) would
# otherwise replace the submodule as an attribute of this package.
from aftersales.policy.rules import address, coupons, cross_border, defects, help, knowledge, logistics, price, returns
from aftersales.policy.rules.base import Rule, RuleType
from aftersales.policy.rules.common import no_params

# New rule types (coupon stacking, address change, late delivery) go in a module of their own and register here.
RULE_TYPES: dict[str, RuleType] = {
    "price_protection": RuleType(price.parse_price_protection, price.price_protection, True),
    "defect_remedy": RuleType(defects.parse_defect_remedy, defects.defect_remedy, True),
    "logistics": RuleType(logistics.parse_logistics, logistics.logistics, True),
    "no_reason_return": RuleType(returns.parse_no_reason_return, returns.no_reason_return, True),
    "handoff": RuleType(no_params, help.handoff_rule, False),
    "general_help": RuleType(no_params, help.general_help, False),
    "cross_border": RuleType(cross_border.parse_cross_border, cross_border.cross_border, True),
    "coupon_stacking": RuleType(coupons.parse_coupon_stacking, coupons.coupon_stacking, True),
    "address_change": RuleType(address.parse_address_change, address.address_change, True),
    "product_knowledge": RuleType(no_params, knowledge.product_knowledge, False),
}

__all__ = ["RULE_TYPES", "Rule", "RuleType"]
