"""The end-to-end scenario suite without a server: every YAML file is sound, its amounts agree with its own shop data
and the policy, and the runner's comparison passes a right answer and catches a wrong amount."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = ROOT / "benchmarks" / "scenarios"


def _load_runner():
    spec = importlib.util.spec_from_file_location("kefu_scenarios_runner", ROOT / "benchmarks" / "scenarios.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


runner = _load_runner()
SUITE = runner.load_suite(SCENARIO_DIR)
TURNS = [(s, i, t) for s in SUITE for i, t in enumerate(s["turns"])]


def test_every_file_is_valid():
    assert runner.validate_suite(SCENARIO_DIR) == []


@pytest.mark.parametrize("lang", runner.LANGUAGES)
def test_each_language_has_at_least_16_scenarios(lang):
    data = yaml.safe_load((SCENARIO_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
    assert data["language"] == lang
    assert len(data["scenarios"]) >= 16


def test_at_least_112_scenarios_with_unique_ids():
    ids = [s["id"] for s in SUITE]
    assert len(ids) >= 112
    assert len(ids) == len(set(ids))


def test_no_order_customer_coupon_or_product_id_is_shared_across_scenarios():
    for kind in ("orders", "customers", "coupons", "products"):
        owner: dict[str, str] = {}
        for s in SUITE:
            for key in (s["shop"].get(kind) or {}):
                assert key not in owner, f"{kind[:-1]} {key} in {owner.get(key)} and {s['id']}"
                owner[key] = s["id"]


def _amounts_in(expect: dict) -> list:
    values = []
    for value in (expect.get("amounts") or {}).values():
        values += value if isinstance(value, list) else [value]
    values += [v for k, v in (expect.get("inputs") or {}).items() if k.split(".")[-1] in runner.MONEY_INPUTS]
    return values


def test_every_amount_in_expect_is_a_decimal_string():
    seen = 0
    for s, i, turn in TURNS:
        for value in _amounts_in(turn["expect"]):
            seen += 1
            assert isinstance(value, str) and runner.AMOUNT_RE.match(value), f"{s['id']} turn {i}: {value!r}"
    assert seen >= 60


def test_every_language_covers_the_required_kinds_of_scenario():
    wanted = {
        "logistics.status", "price_protection", "price_protection.outside_window", "return.no_reason",
        "return.no_reason.outside_window", "defect_remedy", "address_change", "product_knowledge.size", "human",
        "cross_border_duty",
    }
    for lang in runner.LANGUAGES:
        turns = [(s, t) for s, _, t in TURNS if s["language"] == lang]
        rules = {r for _, t in turns for r in runner._as_list(t["expect"].get("rule", []))}
        assert wanted <= rules, (lang, wanted - rules)
        assert any(r.startswith("coupon_stacking") for r in rules), lang
        assert any(t["expect"].get("intent") == "exchange" for _, t in turns), lang
        assert any(t["expect"].get("emotion") == "angry" for _, t in turns), lang
        assert any("order_id" in t["expect"] and len(s["shop"]["orders"]) >= 2 for s, t in turns), lang
        assert any("rule_not" in t["expect"] for _, t in turns), lang  # a product not in the order


# ---------------------------------------------------------------------------------------------------------------
# The hand-computed amounts restated from each scenario's own shop data and the policy YAML (a typo guard).

POLICY = yaml.safe_load((ROOT / "configs" / "policies" / "default.yaml").read_text(encoding="utf-8"))
CROSS = yaml.safe_load((ROOT / "configs" / "policies" / "cross_border.yaml").read_text(encoding="utf-8"))


def _cents(value) -> int:
    return runner.to_cents(str(value))


def _order_of(s: dict, expect: dict) -> dict:
    orders = s["shop"]["orders"]
    return orders[str(expect["order_id"])] if "order_id" in expect else next(iter(orders.values()))


def _single_item(s: dict, expect: dict) -> dict:
    items = _order_of(s, expect)["items"]
    assert len(items) == 1
    return items[0]


def test_price_protection_refunds_are_paid_minus_current_times_quantity():
    checked = 0
    for s, _, turn in TURNS:
        expect = turn["expect"]
        if "refund_price_difference" not in (expect.get("amounts") or {}):
            continue
        item = _single_item(s, expect)
        current = s["shop"]["products"][item["sku"]]["price"]
        refund = (_cents(item["unit_price"]) - _cents(current)) * item["quantity"]
        assert _cents(expect["amounts"]["refund_price_difference"]) == refund, s["id"]
        checked += 1
    assert checked >= 7


def test_defect_refunds_follow_the_policy_groups():
    percent = next(a["params"]["percent"] for r in POLICY["rules"] if r["id"] == "defect_remedy"
                   for g in r["groups"] if g["id"] == "fabric_minor" for a in g["actions"]
                   if a["type"] == "offer_partial_refund")
    checked = 0
    for s, _, turn in TURNS:
        expect = turn["expect"]
        amounts = expect.get("amounts") or {}
        if not {"offer_partial_refund", "offer_refund"} & set(amounts):
            continue
        item = _single_item(s, expect)
        paid = _cents(item["unit_price"]) * item["quantity"]
        if "offer_partial_refund" in amounts:
            share = (Decimal(paid) * Decimal(str(percent)) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            assert _cents(amounts["offer_partial_refund"]) == int(share), s["id"]
        else:
            assert _cents(amounts["offer_refund"]) == paid, s["id"]
        checked += 1
    assert checked >= 7


def test_duty_conversions_use_the_shops_rates():
    rates = {(r["from"], r["to"]): Decimal(str(r["rate"])) for r in CROSS["rules"][0]["exchange_rates"]}
    checked = 0
    for s, _, turn in TURNS:
        expect = turn["expect"]
        converted = (expect.get("inputs") or {}).get("order_value_converted")
        if converted is None:
            continue
        order = _order_of(s, expect)
        value = sum(_cents(i["unit_price"]) * i["quantity"] for i in order["items"])
        cents = (Decimal(value) * rates[(order["currency"], expect["currency"])]).quantize(
            Decimal(1), rounding=ROUND_HALF_UP)
        assert _cents(converted) == int(cents), s["id"]
        checked += 1
    assert checked == 7


# ---------------------------------------------------------------------------------------------------------------
# The runner's comparison on fabricated answers


def _money(cents: int, currency: str = "CNY") -> dict:
    return {"amount": cents / 100, "amount_cents": cents, "currency": currency}


def _answer(refund_cents: int = 4000, **overrides) -> dict:
    answer = {
        "conversation_id": "c1", "transcript": None, "language": "zh", "intent": "price_protection",
        "emotion": {"label": "neutral", "score": 0.7}, "order_id": "4012873365519870103", "product": None,
        "defects": [],
        "decision": {"rule": "price_protection",
                     "inputs": {"order_id": "4012873365519870103", "days_since_payment": 3,
                                "items": [{"sku": "ZH03-CD", "current_price": _money(22900)}]},
                     "actions": [{"type": "refund_price_difference", **_money(refund_cents),
                                  "params": {"sku": "ZH03-CD", "quantity": 1}}],
                     "manual": False},
        "reply": "亲，差价40.00元已为您申请退回。",
        "handoff": {"required": False, "reason": None, "queue_id": None},
    }
    answer.update(overrides)
    return answer


EXPECT = {"intent": "price_protection", "rule": "price_protection", "amounts": {"refund_price_difference": "40.00"},
          "currency": "CNY", "handoff": False, "language": "zh", "inputs": {"items.0.current_price": "229.00"}}


def test_a_right_answer_passes():
    assert runner.compare(EXPECT, _answer()) == ([], 0)


def test_a_wrong_amount_fails_and_is_counted():
    reasons, wrong = runner.compare(EXPECT, _answer(refund_cents=3000))
    assert wrong == 1
    assert any("refund_price_difference" in r and "30.00" in r and "40.00" in r for r in reasons), reasons


def test_an_extra_money_action_and_a_wrong_currency_are_wrong_amounts():
    answer = _answer()
    answer["decision"]["actions"].append({"type": "issue_coupon", **_money(1000), "params": {}})
    reasons, wrong = runner.compare(EXPECT, answer)
    assert wrong == 1 and any("unexpected amount issue_coupon=10.00" in r for r in reasons)
    answer = _answer()
    answer["decision"]["actions"][0]["currency"] = "USD"
    reasons, wrong = runner.compare(EXPECT, answer)
    assert wrong == 1 and any("currency" in r for r in reasons)


def test_rule_handoff_language_and_money_inputs_are_checked():
    answer = _answer(language="en", handoff={"required": True, "reason": "low_confidence", "queue_id": 4})
    answer["decision"]["rule"] = "price_protection.outside_window"
    answer["decision"]["inputs"]["items"][0]["current_price"] = _money(23900)
    reasons, wrong = runner.compare(EXPECT, answer)
    assert wrong == 1  # the money input
    text = " | ".join(reasons)
    for piece in ("rule 'price_protection.outside_window'", "handoff True", "language 'en'", "current_price"):
        assert piece in text, text


def test_params_compare_normalised_strings_and_rule_lists_and_negative_checks():
    answer = {"language": "th", "intent": "address_change", "order_id": "O1", "emotion": {"label": "neutral"},
              "handoff": {"required": False, "reason": None}, "reply": "ok",
              "decision": {"rule": "address_change", "inputs": {},
                           "actions": [{"type": "change_address", "amount": None, "amount_cents": None,
                                        "currency": None,
                                        "params": {"variant": "given", "new_address": " 99/12 ถนนสุขุมวิท  ซอย 23 "}}]}}
    expect = {"rule": ["address_change", "address_change.x"], "amounts": {}, "language": "th",
              "params": {"change_address": {"new_address": "99/12 ถนนสุขุมวิท ซอย 23"}},
              "rule_not": ["defect_remedy"], "actions_absent": ["offer_refund"]}
    assert runner.compare(expect, answer) == ([], 0)
    answer["decision"]["actions"][0]["params"]["new_address"] = "99/12 ถนนสุขุมวิท"
    reasons, _ = runner.compare(expect, answer)
    assert reasons and "change_address params" in reasons[0]


def test_a_cart_api_decision_is_compared_on_its_rule_amounts_and_inputs():
    decision = {"rule": "coupon_stacking.cart",
                "inputs": {"subtotal": _money(34700), "final_price": _money(29200),
                           "rejected": {"EN07-SHOP15": "same_group_as_chosen"}},
                "actions": [{"type": "apply_coupons", **_money(5500), "params": {}}]}
    expect = {"rule": "coupon_stacking.cart", "amounts": {"apply_coupons": "55.00"}, "currency": "CNY",
              "inputs": {"final_price": "292.00", "rejected": {"EN07-SHOP15": "same_group_as_chosen"}}}
    assert runner.compare(expect, decision, cart_api=True) == ([], 0)
    decision["inputs"]["final_price"] = _money(29300)
    reasons, wrong = runner.compare(expect, decision, cart_api=True)
    assert wrong == 1 and "final_price" in reasons[0]


def test_relative_dates_and_run_tags():
    now = datetime(2026, 12, 6, 13, 0, tzinfo=timezone.utc)
    assert runner.resolve_dates({"paid_at": {"days_ago": 7}}, now) == {"paid_at": "2026-11-29T13:00:00+00:00"}
    assert runner.resolve_dates({"restock_date": {"date_days_ahead": 10}}, now) == {"restock_date": "2026-12-16"}
    shop = {"customers": {"C1": {"identities": [{"channel": "tmall", "external_id": "tb1"}]}},
            "orders": {"O1": {"customer_id": "C1", "created_at": {"days_ago": 1}}},
            "coupons": {"K1": {"kind": "no_threshold", "amount": "5.00", "customer_id": "C1"}}}
    ready = runner.prepare_shop(shop, now, "r1")
    assert list(ready["customers"]) == ["C1.r1"]
    assert ready["customers"]["C1.r1"]["identities"][0]["external_id"] == "tb1.r1"
    assert ready["orders"]["O1"]["customer_id"] == "C1.r1" and ready["coupons"]["K1"]["customer_id"] == "C1.r1"
    assert ready["orders"]["O1"]["created_at"] == "2026-12-05T13:00:00+00:00"
    assert shop["orders"]["O1"]["created_at"] == {"days_ago": 1}  # the scenario itself is left as written


def test_validation_catches_float_amounts_shared_order_ids_and_too_few_scenarios(tmp_path):
    def scenario(sid: str, order: str, amount) -> dict:
        return {"id": sid, "situation": "x", "shop": {
            "customers": {f"{sid}-C": {}}, "products": {f"{sid}-P": {"price": "1.00"}},
            "orders": {order: {"customer_id": f"{sid}-C", "items": [{"sku": f"{sid}-P", "unit_price": "1.00"}]}}},
            "turns": [{"text": "hi", "expect": {"rule": "x", "language": "zh", "amounts": {"issue_coupon": amount}}}]}

    data = {"language": "zh", "scenarios": [scenario("zh-a", "O1", "5.00"), scenario("zh-b", "O1", 5.0)]}
    (tmp_path / "zh.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = runner.validate_suite(tmp_path, ("zh",), min_per_language=16)
    text = "\n".join(problems)
    assert "2 scenarios, at least 16" in text
    assert "order id 'O1' is also used by zh-a" in text
    assert "decimal string" in text
