"""Policy YAML validation: nonsense is refused on load with the file and key named."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from aftersales.errors import PolicyConfigError
from aftersales.policy.engine import PolicyEngine

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = yaml.safe_load((ROOT / "configs" / "policies" / "default.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, data, name: str = "shop.yaml") -> Path:
    (tmp_path / name).write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True),
                                 encoding="utf-8")
    return tmp_path


def _rules(*rules: dict) -> dict:
    return {"version": 1, "rules": list(rules)}


PRICE = {"id": "pp", "type": "price_protection", "intents": ["price_protection"], "window_days": 7}


def test_shipped_policy_loads_with_every_rule_type():
    engine = PolicyEngine.from_dir(ROOT / "configs" / "policies")
    assert {r.type for r in engine.rules} == {"price_protection", "defect_remedy", "logistics", "no_reason_return",
                                              "handoff", "general_help", "cross_border", "coupon_stacking",
                                              "address_change", "product_knowledge"}
    assert engine.settings.timezone.key == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("data", "key", "reason"),
    [
        (_rules({**PRICE, "window_day": 7}), "rules[0].window_day", "unknown key"),
        (_rules({**PRICE, "window_days": -1}), "rules[0].window_days", "≥ 0"),
        (_rules({**PRICE, "window_days": "seven"}), "rules[0].window_days", "whole number"),
        (_rules(PRICE, {**PRICE, "window_days": 3}), "rules[1].id", "duplicate rule id"),
        (_rules({**PRICE, "type": "teleport"}), "rules[0].type", "unknown rule type"),
        (_rules({**PRICE, "intents": ["price_protecton"]}), "rules[0].intents", "unknown value"),
        (_rules({**PRICE, "intents": []}), "rules[0].intents", "at least one intent"),
        (_rules({k: v for k, v in PRICE.items() if k != "id"}), "rules[0].id", "required"),
        (_rules({**PRICE, "outside_window": {"coupon": {"amount": {"CNY": "-10"}}}}),
         "rules[0].outside_window.coupon.amount.CNY", "positive"),
        (_rules({**PRICE, "outside_window": {"coupon": {"amount": {"CNY": "10.001"}}}}),
         "rules[0].outside_window.coupon.amount.CNY", "two decimals"),
        (_rules({**PRICE, "outside_window": {"coupon": {"amount": {"CNY": 10}, "valid_days": 0}}}),
         "rules[0].outside_window.coupon.valid_days", "≥ 1"),
        (_rules({**PRICE, "outside_window": {"coupon": {"amount": {"CNY": 10}, "colour": "red"}}}),
         "rules[0].outside_window.coupon.colour", "unknown key"),
        (_rules({"id": "d", "type": "defect_remedy", "intents": ["defect_complaint"],
                 "groups": [{"id": "g", "labels": ["wrinkle"], "actions": [{"type": "offer_exchange"}]}]}),
         "rules[0].groups[0].labels", "unknown value"),
        (_rules({"id": "d", "type": "defect_remedy", "intents": ["defect_complaint"],
                 "groups": [{"id": "g", "labels": ["snag"], "actions": [{"type": "offer_hug"}]}]}),
         "rules[0].groups[0].actions[0].type", "unknown remedy"),
        (_rules({"id": "d", "type": "defect_remedy", "intents": ["defect_complaint"], "min_confidence": 1.5,
                 "groups": [{"id": "g", "labels": ["snag"], "actions": [{"type": "offer_exchange"}]}]}),
         "rules[0].min_confidence", "[0, 1]"),
        (_rules({"id": "d", "type": "defect_remedy", "intents": ["defect_complaint"],
                 "groups": [{"id": "g", "labels": ["snag"], "severities": ["tiny"],
                             "actions": [{"type": "offer_exchange"}]}]}),
         "rules[0].groups[0].severities", "unknown value"),
        (_rules({"id": "d", "type": "defect_remedy", "intents": ["defect_complaint"],
                 "groups": [{"id": "g", "labels": ["snag"],
                             "actions": [{"type": "offer_partial_refund", "params": {"percent": 120}}]}]}),
         "rules[0].groups[0].actions[0].params", "percent between 0 and 100"),
        (_rules({"id": "d", "type": "defect_remedy", "intents": ["defect_complaint"],
                 "groups": [{"id": "g", "labels": ["snag"], "actions": [{"type": "offer_partial_refund"}]}]}),
         "rules[0].groups[0].actions[0].params", "percent between 0 and 100"),
        (_rules({"id": "r", "type": "no_reason_return", "intents": ["return_refund"], "return_shipping": "maybe"}),
         "rules[0].return_shipping", "customer or free"),
        ({**_rules(PRICE), "timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({**_rules(PRICE), "version": 2}, "version", "unsupported"),
        ({**_rules(PRICE), "rulez": []}, "rulez", "unknown key"),
        ({"version": 1, "rules": "all of them"}, "rules", "non-empty list"),
        (["not", "a", "mapping"], "(top level)", "expected a mapping"),
    ],
)
def test_nonsense_is_refused_naming_file_and_key(tmp_path, data, key, reason):
    directory = _write(tmp_path, data)
    with pytest.raises(PolicyConfigError) as err:
        PolicyEngine.from_dir(directory)
    assert err.value.key == key
    assert reason in err.value.reason
    assert err.value.file.endswith("shop.yaml") and "shop.yaml" in str(err.value)


def test_duplicate_ids_across_files(tmp_path):
    _write(tmp_path, _rules(PRICE), "a.yaml")
    _write(tmp_path, _rules(PRICE), "b.yaml")
    with pytest.raises(PolicyConfigError, match="duplicate rule id") as err:
        PolicyEngine.from_dir(tmp_path)
    assert err.value.file.endswith("b.yaml")


def test_contradicting_timezones_across_files(tmp_path):
    _write(tmp_path, {**_rules(PRICE), "timezone": "Asia/Shanghai"}, "a.yaml")
    _write(tmp_path, {"timezone": "Asia/Jakarta"}, "b.yaml")
    with pytest.raises(PolicyConfigError, match="contradicts"):
        PolicyEngine.from_dir(tmp_path)


def test_rules_of_several_files_keep_file_order(tmp_path):
    _write(tmp_path, _rules({"id": "help", "type": "general_help", "intents": ["*"]}), "20-help.yaml")
    _write(tmp_path, _rules(PRICE), "10-price.yaml")
    engine = PolicyEngine.from_dir(tmp_path)
    assert [r.id for r in engine.rules] == ["pp", "help"]
    assert engine.settings.timezone.key == "UTC"


@pytest.mark.parametrize("content", ["rules: [unclosed", ""])
def test_unreadable_or_empty_policy(tmp_path, content):
    _write(tmp_path, content)
    with pytest.raises(PolicyConfigError):
        PolicyEngine.from_dir(tmp_path)


def test_missing_directory_or_no_files(tmp_path):
    with pytest.raises(PolicyConfigError, match="does not exist"):
        PolicyEngine.from_dir(tmp_path / "nope")
    with pytest.raises(PolicyConfigError, match="no \\*.yaml"):
        PolicyEngine.from_dir(tmp_path)


def test_shipped_file_is_strictly_valid_after_round_trip(tmp_path):
    # The shipped policy must not rely on keys the reader would reject if reordered or re-serialised.
    promotions = yaml.safe_load((ROOT / "configs" / "policies" / "promotions.yaml").read_text(encoding="utf-8"))
    _write(tmp_path, promotions, "promotions.yaml")  # the price rule names 双11
    engine = PolicyEngine.from_dir(_write(tmp_path, SHIPPED))
    assert [r.id for r in engine.rules][:3] == ["defect_remedy", "address_change", "coupon_stacking"]


def test_promotions_are_read_in_the_shop_zone_and_found_by_instant():
    from zoneinfo import ZoneInfo

    settings = PolicyEngine.from_dir(ROOT / "configs" / "policies").settings
    double11 = next(p for p in settings.promotions if p.id == "double11")
    assert double11.start == datetime(2026, 10, 20, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    last_second = datetime(2026, 11, 11, 15, 59, 59, 500000, tzinfo=timezone.utc)  # 23:59:59.5 in Shanghai
    assert settings.promotion_at(last_second).id == "double11"
    assert settings.promotion_at(last_second + timedelta(seconds=1)) is None
    assert settings.promotion_at(datetime(2026, 6, 18, 12, tzinfo=timezone.utc)).id == "618"
    assert [p.start for p in settings.promotions] == sorted(p.start for p in settings.promotions)


def test_a_rule_naming_an_unknown_promotion_is_refused(tmp_path):
    directory = _write(tmp_path, _rules({**PRICE, "promotion_window_days": {"black_friday": 10}}))
    with pytest.raises(PolicyConfigError) as err:
        PolicyEngine.from_dir(directory)
    assert err.value.key == "pp.promotion_window_days.black_friday" and "unknown promotion" in err.value.reason


@pytest.mark.parametrize(("promotions", "key", "reason"), [
    ([{"id": "x", "names": {"en": "X"}, "start": "2026-11-12", "end": "2026-11-11"}], "promotions[0].end", "after"),
    ([{"id": "x", "names": {"en": "X"}, "start": "soon", "end": "2026-11-11"}], "promotions[0].start", "date"),
    ([{"id": "x", "names": {"en": "X"}, "start": "2026-11-01T00:00:00+08:00", "end": "2026-11-11"}],
     "promotions[0].start", "without a zone"),
    ([{"id": "x", "names": "X", "start": "2026-11-01", "end": "2026-11-11"}], "promotions[0].names", "language"),
    ([{"id": "x", "names": {"en": "X"}, "start": "2026-11-01", "end": "2026-11-11", "discount": 5}],
     "promotions[0].discount", "unknown key"),
    ([{"id": "x", "names": {"en": "X"}, "start": "2026-11-01", "end": "2026-11-11"}] * 2, "promotions[1].id",
     "duplicate promotion"),
])
def test_bad_promotions_are_refused(tmp_path, promotions, key, reason):
    directory = _write(tmp_path, {**_rules(PRICE), "promotions": promotions})
    with pytest.raises(PolicyConfigError) as err:
        PolicyEngine.from_dir(directory)
    assert err.value.key == key and reason in err.value.reason


def test_an_unknown_key_is_told_with_the_keys_known_there(tmp_path):
    directory = _write(tmp_path, _rules({**PRICE, "outside_window": {"coupon": {"amount": {"CNY": 10},
                                                                               "valid_day": 3}}}))
    with pytest.raises(PolicyConfigError) as err:
        PolicyEngine.from_dir(directory)
    assert err.value.key == "rules[0].outside_window.coupon.valid_day"
    assert err.value.reason == "unknown key (known here: amount, kind, valid_days)"
