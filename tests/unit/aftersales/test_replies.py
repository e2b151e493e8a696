"""Replies: every action has a sentence in zh and en, amounts and dates in local style, tone follows emotion."""

from __future__ import annotations

import logging
import re
from datetime import date

import pytest
import yaml

from aftersales.policy.decisions import Action, Decision
from aftersales.errors import ConfigError, InvalidInput
from aftersales.money import Money
from aftersales.replies.templates import DEFAULT_TEMPLATES, ReplyWriter, tone_for

PP_INPUTS = {"order_id": "O1001", "days_since_payment": 3, "window_days": 7, "items": []}
ITEM = {"sku": "KF-SW-001", "title": "法式复古针织开衫 奶白色", "quantity": 1}

# One example of every action type (and variant) the shipped rules emit, with the params they give it.
EXAMPLES: list[Action] = [
    Action("refund_price_difference", 3000, "CNY", {**ITEM, "paid_unit_price": Money(29900, "CNY"),
                                                     "current_price": Money(26900, "CNY")}),
    Action("explain_no_price_drop", params={**ITEM, "paid_unit_price": Money(26900, "CNY"),
                                            "current_price": Money(26900, "CNY")}),
    Action("issue_coupon", 1000, "CNY", {"kind": "no_threshold", "valid_days": 30, "variant": "no_threshold"}),
    Action("issue_coupon", 1000, "CNY", {"kind": "full_reduction", "valid_days": 30, "variant": "full_reduction"}),
    Action("presale_reminder", params={**ITEM, "restock_date": date(2026, 12, 5)}),
    Action("restock_reminder", params={**ITEM, "restock_date": None}),
    Action("offer_exchange", params={**ITEM, "defect": "snag"}),
    Action("offer_exchange", params={**ITEM, "deadline": date(2026, 11, 26), "variant": "no_reason"}),
    Action("offer_return", params={**ITEM, "return_shipping": "free", "variant": "free"}),
    Action("offer_return", params={**ITEM, "return_shipping": "customer", "variant": "customer",
                                   "deadline": date(2026, 11, 26)}),
    Action("offer_refund", 4900, "CNY", {**ITEM, "defect": "crack"}),
    Action("offer_reship", params={**ITEM, "defect": "crack"}),
    Action("ask_for_photo"),
    Action("ask_which_item", params={"items": [{"sku": "A", "title": "外套"}, {"sku": "B", "title": "T恤"}]}),
    *[Action("handoff_to_human", params={"variant": v, "reason": v})
      for v in ("customer_asked", "policy", "defect_not_covered", "not_delivered", "outside_window")],
    Action("explain_presale", params={**ITEM, "presale": True, "restock_date": date(2026, 12, 5),
                                      "variant": "dated"}),
    Action("explain_presale", params={**ITEM, "presale": False, "restock_date": None, "variant": "undated"}),
    *[Action("show_status", params={"variant": s, "order_id": "O1005", "status": s, "paid_on": date(2026, 11, 17),
                                    "shipped_on": date(2026, 11, 19), "delivered_on": None,
                                    "destination_country": "ID"})
      for s in ("pending_payment", "paid", "shipped", "delivered", "closed")],
    Action("explain_return_window", params={"window_days": 7, "delivered_on": date(2026, 11, 11)}),
    Action("explain_return_excluded", params={**ITEM, "category": "beauty"}),
    Action("need_order_info"),
    Action("general_help", params={"variant": "other"}),
    Action("general_help", params={"variant": "greeting_thanks"}),
]


@pytest.fixture(scope="module")
def writer() -> ReplyWriter:
    return ReplyWriter()


def _decision(*actions: Action, inputs=None, manual: bool = False) -> Decision:
    return Decision("test", dict(PP_INPUTS if inputs is None else inputs), list(actions), manual)


@pytest.mark.parametrize("language", ["zh", "en", "id", "th", "vi", "ms", "fil"])
@pytest.mark.parametrize("action", EXAMPLES, ids=lambda a: f"{a.type}.{a.params.get('variant', '')}")
def test_every_action_has_a_filled_sentence(writer, caplog, language, action):
    with caplog.at_level(logging.ERROR, logger="kefu.aftersales"):
        text = writer.render(_decision(action), language, "friendly")
    assert not caplog.records, caplog.text
    assert writer.templates[language]["unknown_action"] not in text
    assert "{" not in text and "None" not in text
    if language == "en":
        assert not re.search(r"[\u4e00-\u9fff]", text.replace(ITEM["title"], "").replace("外套", "").replace("T恤", ""))


def test_price_refund_reply_in_chinese(writer):
    text = writer.render(_decision(EXAMPLES[0]), "zh", "friendly")
    assert "30.00元" in text and "299.00元" in text and "269.00元" in text and "法式复古针织开衫" in text
    assert "3天" in text and "7天" in text


def test_price_refund_reply_in_english(writer):
    text = writer.render(_decision(EXAMPLES[0]), "en", "friendly")
    assert "¥30.00" in text and "refund" in text.lower() and "7-day" in text


def test_coupon_and_presale_reminder_reply(writer):
    text = writer.render(_decision(EXAMPLES[2], EXAMPLES[4], inputs={**PP_INPUTS, "days_since_payment": 12}),
                         "en", "friendly")
    assert "¥10.00" in text and "no-minimum" in text and "5 December 2026" in text and "12 days" in text
    zh = writer.render(_decision(EXAMPLES[2], EXAMPLES[4]), "zh", "friendly")
    assert "10.00元无门槛优惠券" in zh and "2026年12月5日" in zh


def test_languages_without_a_table_fall_back_to_english(writer):
    for language in ("ja", "ko", "de", None, "en-US"):
        assert writer.render(_decision(EXAMPLES[0]), language, "friendly") == writer.render(
            _decision(EXAMPLES[0]), "en", "friendly")


def test_soothing_apologises_first_then_solves(writer):
    zh = writer.render(_decision(EXAMPLES[0]), "zh", "soothing")
    assert zh.startswith("非常抱歉") and zh.index("抱歉") < zh.index("30.00元")
    en = writer.render(_decision(EXAMPLES[0]), "en", "soothing")
    assert en.lower().startswith("we're very sorry") and en.index("sorry") < en.index("¥30.00")
    friendly = writer.render(_decision(EXAMPLES[0]), "en", "friendly")
    assert "sorry" not in friendly.lower()


def test_handoff_sentence_from_context(writer):
    decision = _decision(Action("general_help", params={"variant": "other"}))
    plain = writer.render(decision, "zh", "soothing")
    handed = writer.render(decision, "zh", "soothing", {"handoff_reason": "angry_customer"})
    assert handed.startswith(plain) and "资深客服" in handed
    # A decision that already hands off is not told twice.
    twice = writer.render(_decision(Action("handoff_to_human", params={"variant": "customer_asked"})), "en",
                          "friendly", {"handoff_reason": "customer_asked"})
    assert twice.count("human agent") == 1


def test_tone_for_emotion():
    assert tone_for("angry") == tone_for("anxious") == "soothing"
    assert tone_for("neutral") == tone_for("happy") == "friendly"


def test_bad_tone_is_invalid_input(writer):
    with pytest.raises(InvalidInput):
        writer.render(_decision(EXAMPLES[0]), "zh", "sarcastic")


def test_missing_fact_falls_back_and_logs(writer, caplog):
    broken = Action("refund_price_difference", 3000, "CNY", {"sku": "X"})  # no title, no prices
    with caplog.at_level(logging.ERROR, logger="kefu.aftersales"):
        text = writer.render(_decision(broken), "en", "friendly")
    assert writer.templates["en"]["unknown_action"] in text
    assert caplog.records


def test_unknown_action_type_gets_the_generic_sentence(writer):
    text = writer.render(_decision(Action("teleport_parcel")), "zh", "friendly")
    assert writer.templates["zh"]["unknown_action"] in text


def test_bad_template_file_is_refused(tmp_path):
    data = yaml.safe_load(DEFAULT_TEMPLATES.read_text(encoding="utf-8"))
    del data["zh"]["closings"]["soothing"]
    path = tmp_path / "replies.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        ReplyWriter(path)
    assert err.value.key == "zh.closings"
