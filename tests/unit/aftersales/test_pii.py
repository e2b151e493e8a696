"""Phone and identity-card numbers never reach a log line in full; order ids, SKUs, amounts and dates do."""

from __future__ import annotations

import logging

import pytest

from aftersales.pii import install_log_masking, mask_pii


@pytest.mark.parametrize("raw, masked", [
    ("call me on 13812345678 please", "call me on *******5678 please"),
    ("+86 138 1234 5678", "+** *** **** 5678"),
    ("电话：+86-13912345678。", "电话：+**-*******5678。"),
    ("身份证 11010519491231002X", "身份证 **************002X"),
    ("NIK 3174012345678901 ya", "NIK ************8901 ya"),
    ("nomor saya 0812-3456-7890", "nomor saya ****-****-7890"),
    ("Thai ID 1-2345-67890-12-3", "Thai ID *-****-****0-12-3"),
    ("Gọi 0912 345 678 nhé", "Gọi **** **5 678 nhé"),
    ("WhatsApp +62 812 3456 7890", "WhatsApp +** *** **** 7890"),
])
def test_phones_and_identity_numbers_keep_only_their_last_four_digits(raw, masked):
    assert mask_pii(raw) == masked


@pytest.mark.parametrize("text", [
    "order O1003 of KF-SW-002 paid 399.00 on 2026-11-11 at 12:30",
    "price dropped from 349 to 299, coupon C-50-2026",
    "tracking SF1234567890123",  # a carrier's tracking number is letters and digits: not a phone
    "订单 O1003 已于 11月11日 发货，优惠 20.00 元",
])
def test_order_data_that_is_not_personal_is_left_alone(text):
    assert mask_pii(text) == text


def test_installed_masking_covers_every_logger_and_formatted_arguments(caplog):
    install_log_masking()
    install_log_masking()  # idempotent: one wrapper, not two
    with caplog.at_level(logging.INFO):
        logging.getLogger("kefu.test").info("customer %s phoned from %s", "C1003", "13812345678")
        logging.getLogger("ray.serve").warning("id 11010519491231002X in a note")
        logging.getLogger("kefu.test").info("order %s: %d items", "O1003", 2)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["customer C1003 phoned from *******5678", "id **************002X in a note",
                        "order O1003: 2 items"]
    assert "13812345678" not in caplog.text and "11010519491231002X" not in caplog.text
    assert caplog.records[2].args == ("O1003", 2)  # records without personal data keep their arguments


def test_a_process_that_imports_the_service_masks_its_logs():
    import subprocess
    import sys

    code = ("import logging, sys; logging.basicConfig(stream=sys.stdout, format='%(message)s'); import serving; "
            "logging.getLogger('ray.serve').warning('caller %s', '+62 812 3456 7890')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "caller +** *** **** 7890"
