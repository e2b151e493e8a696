"""Reply tables of every served language: same actions and facts as English, every tone, fillable, local dates."""

from __future__ import annotations

import logging
import re
import string
from datetime import date

import pytest
import yaml

from aftersales.policy.decisions import Action, Decision
from aftersales.money import Money
from aftersales.replies.templates import DEFAULT_TEMPLATES, TONES, ReplyWriter, format_date
from tests.unit.aftersales.test_replies import _decision

LANGUAGES = ("zh", "en", "id", "th", "vi", "ms", "fil")
NEW_LANGUAGES = ("id", "th", "vi", "ms", "fil")

# An amount in each market's currency and how that language writes it (written out, not computed by format_money).
AMOUNTS = {
    "zh": (Money(2500, "CNY"), "25.00元"),
    "en": (Money(2500, "USD"), "$25.00"),
    "id": (Money(2500000, "IDR"), "Rp25.000"),
    "th": (Money(25000, "THB"), "฿250.00"),
    "vi": (Money(50000000, "VND"), "500.000₫"),
    "ms": (Money(2500, "MYR"), "RM25.00"),
    "fil": (Money(125000, "PHP"), "₱1,250.00"),
}

# 12 November 2026 as each language writes it.
NOV_12 = {
    "zh": "2026年11月12日",
    "en": "12 November 2026",
    "id": "12 November 2026",
    "th": "12 พฤศจิกายน 2026",
    "vi": "ngày 12 tháng 11 năm 2026",
    "ms": "12 November 2026",
    "fil": "Nobyembre 12, 2026",
}
# A month whose name differs between Indonesian and Malay, and from English.
MAR_5 = {"id": "5 Maret 2026", "ms": "5 Mac 2026", "th": "5 มีนาคม 2026", "vi": "ngày 5 tháng 3 năm 2026",
         "fil": "Marso 5, 2026"}


@pytest.fixture(scope="module")
def table() -> dict:
    """The shipped file as written, read independently of ReplyWriter's checks."""
    return yaml.safe_load(DEFAULT_TEMPLATES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def writer() -> ReplyWriter:
    return ReplyWriter()


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_language_has_its_own_table(table, writer):
    assert set(LANGUAGES) <= set(table)
    assert set(LANGUAGES) <= set(writer.languages)


@pytest.mark.parametrize("language", LANGUAGES)
def test_action_keys_equal_english(table, language):
    keys, en = set(table[language]["actions"]), set(table["en"]["actions"])
    assert keys == en, {"missing": sorted(en - keys), "extra": sorted(keys - en)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_uses_the_facts_of_english(table, language):
    en = table["en"]["actions"]
    actions = table[language]["actions"]
    wrong = {key: {"missing": sorted(_fields(en[key]) - _fields(actions[key])),
                   "extra": sorted(_fields(actions[key]) - _fields(en[key]))}
             for key in en if key in actions and _fields(actions[key]) != _fields(en[key])}
    assert not wrong, wrong


@pytest.mark.parametrize("language", LANGUAGES)
def test_sections_cover_every_tone_and_fact(table, language):
    lang = table[language]
    for section in ("openings", "closings"):
        assert set(lang[section]) == set(TONES), section
        assert all(isinstance(text, str) for text in lang[section].values()), section
    assert all(lang["closings"][tone].strip() for tone in TONES)
    assert lang["openings"]["soothing"].strip()
    assert set(lang["urgency"]) == set(table["en"]["urgency"])
    for key, template in lang["urgency"].items():
        assert _fields(template) == _fields(table["en"]["urgency"][key]), key
    assert set(lang["handoff"]) == set(table["en"]["handoff"])
    assert set(lang["countries"]) == set(table["en"]["countries"])
    assert len(lang["months"]) == 12 and len(set(lang["months"])) == 12
    assert lang["unknown_action"].strip()


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_new_languages_are_translated_not_copied(table, language):
    en, lang = table["en"], table[language]
    copied = [key for key, text in lang["actions"].items() if text == en["actions"][key]]
    assert not copied, copied
    assert lang["closings"] != en["closings"] and lang["handoff"] != en["handoff"]
    assert lang["joiner"] == " "


def _coupon_decision(language: str) -> Decision:
    money, _ = AMOUNTS[language]
    subtotal = Money(money.cents * 12, money.currency)
    final = Money(subtotal.cents - money.cents, money.currency)
    action = Action("explain_coupon_stack", money.cents, money.currency, {
        "variant": "all", "order_id": "O7788", "coupons": "SHOP20, PLAT30", "subtotal": subtotal,
        "final_price": final})
    return Decision("coupon_stacking", {"order_id": "O7788", "status": "pending_payment"}, [action])


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_reply_states_the_amount_and_the_order(writer, caplog, language, tone):
    with caplog.at_level(logging.ERROR, logger="kefu.aftersales"):
        text = writer.render(_coupon_decision(language), language, tone)
    assert not caplog.records, caplog.text
    assert AMOUNTS[language][1] in text, text
    assert "O7788" in text and "SHOP20, PLAT30" in text, text
    assert writer.templates[language]["unknown_action"] not in text
    assert "{" not in text and "}" not in text
    if tone == "soothing":
        assert text.startswith(writer.templates[language]["openings"]["soothing"])


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_new_languages_answer_in_their_own_language(writer, language):
    text = writer.render(_coupon_decision(language), language, "friendly")
    assert text != writer.render(_coupon_decision(language), "en", "friendly")
    assert "you pay" not in text.lower()
    if language == "th":
        assert re.search(r"[\u0e00-\u0e7f]", text) and "ค่ะ" in text
    if language == "vi":
        assert "anh/chị" in text


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_dates_and_countries_are_localised_in_a_reply(writer, language):
    action = Action("show_status", params={"variant": "paid", "order_id": "O1005", "status": "paid",
                                           "paid_on": date(2026, 11, 12)})
    text = writer.render(_decision(action), language, "friendly")
    assert NOV_12[language] in text and "O1005" in text
    duty = Action("explain_no_duty_rule", params={"country": "PH"})
    assert writer.templates[language]["countries"]["PH"] in writer.render(_decision(duty), language, "friendly")


@pytest.mark.parametrize("language", LANGUAGES)
def test_format_date_writes_year_and_day(language):
    text = format_date(date(2026, 11, 12), language)
    assert "2026" in text and "12" in text
    assert text == NOV_12[language]


@pytest.mark.parametrize("language", sorted(MAR_5))
def test_format_date_uses_the_language_month_names(language):
    assert format_date(date(2026, 3, 5), language) == MAR_5[language]
