"""Rule types of the policy: each a pydantic schema of its YAML and a small pure function Case → Decision."""

from __future__ import annotations

# Modules, not their functions, are imported: a function named like its module (logistics, cross_border) would
# otherwise replace the submodule as an attribute of this package.
from aftersales.policy.rules import address, coupons, cross_border, defects, help, knowledge, logistics, price, returns
from aftersales.policy.rules.base import Rule, RuleFile, RuleType

# New rule types (coupon stacking, address change, late delivery) go in a module of their own and register here.
RULE_TYPES: dict[str, RuleType] = {
    "price_protection": RuleType(price.PriceProtectionFile, price.price_protection, True),
    "defect_remedy": RuleType(defects.DefectRemedyFile, defects.defect_remedy, True),
    "logistics": RuleType(logistics.LogisticsFile, logistics.logistics, True),
    "no_reason_return": RuleType(returns.NoReasonReturnFile, returns.no_reason_return, True),
    "handoff": RuleType(RuleFile, help.handoff_rule, False),
    "general_help": RuleType(RuleFile, help.general_help, False),
    "cross_border": RuleType(cross_border.CrossBorderFile, cross_border.cross_border, True),
    "coupon_stacking": RuleType(coupons.CouponStackingFile, coupons.coupon_stacking, True),
    "address_change": RuleType(address.AddressChangeFile, address.address_change, True),
    "product_knowledge": RuleType(RuleFile, knowledge.product_knowledge, False),
}

__all__ = ["RULE_TYPES", "Rule", "RuleType"]
