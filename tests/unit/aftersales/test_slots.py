"""The slot grammar on messages as customers of each market write them."""

import pytest

from aftersales.slots import extract, fold, new_address, written_order


@pytest.mark.parametrize("text, language, order_id", [
    ("我的订单号是 2987654321098765432，什么时候发货", "zh", "2987654321098765432"),
    ("问一下O1004什么时候发货", "zh", "O1004"),
    ("我那个o2317的单子咋还没动", "zh", "O2317"),
    ("mã đơn của mình là 241105KX7P2QAB nha", "vi", "241105KX7P2QAB"),
    ("ma don 123456789012345 sao chua giao", "vi", "123456789012345"),
    ("INV/20261105/MPL/1234567890 belum sampai kak", "id", "INV/20261105/MPL/1234567890"),
    ("(order #301234567890) where is it", "en", "301234567890"),
    ("คำสั่งซื้อเลขที่ 6923456789012345678 ยังไม่ได้รับค่ะ", "th", "6923456789012345678"),
    ("order ko po 241120ABCD1234 kailan darating", "fil", "241120ABCD1234"),
])
def test_order_ids_whatever_the_words_around_them(text, language, order_id):
    assert extract(text, language).order_id == order_id


@pytest.mark.parametrize("text, language, phone", [
    ("sdt 0912 345 678 nha shop", "vi", "0912345678"),
    ("my number is +63 917 123 4567", "fil", "+639171234567"),
    ("电话13800138000，地址不变", "zh", "13800138000"),
    ("no hp 0812-3456-7890 ya kak", "id", "081234567890"),
])
def test_a_phone_number_is_never_taken_for_an_order_id(text, language, phone):
    got = extract(text, language)
    assert got.phone == phone and got.order_id is None


@pytest.mark.parametrize("text, language, cents", [
    ("¥299", "zh", [29_900]), ("299元，降了30块", "zh", [29_900, 3_000]), ("Rp 150.000", "id", [15_000_000]),
    ("150rb aja", "id", [15_000_000]), ("RM45.90 je", "ms", [4_590]), ("฿590", "th", [59_000]),
    ("590 บาท", "th", [59_000]), ("250.000đ", "vi", [25_000_000]), ("250k thôi", "vi", [25_000_000]),
    ("₱1,299", "fil", [129_900]), ("$19.99", "en", [1_999]), ("no digits", "en", []),
    ("241105KX7P2QAB nha", "vi", []),
])
def test_amounts_as_customers_write_them(text, language, cents):
    assert extract(text, language).amounts == cents


@pytest.mark.parametrize("text, language, dates", [
    ("11月11日买的", "zh", ["2026-11-11"]), ("bought it Nov 11", "en", ["2026-11-11"]),
    ("beli tgl 5 Desember", "id", ["2026-12-05"]), ("ซื้อเมื่อ 5 ธ.ค. 2569", "th", ["2026-12-05"]),
    ("đặt ngày 5/12", "vi", ["2026-12-05"]), ("ordered on 3rd of December", "en", ["2026-12-03"]),
    ("RM45.90 je", "ms", []), ("rating 4.5 lah", "ms", []), ("3-5 days", "en", []),
])
def test_dates_as_iso(text, language, dates):
    assert extract(text, language).dates == dates


@pytest.mark.parametrize("text, address", [
    ("change the shipping address on my order to 221B Baker Street, London NW1 6XE please",
     "221B Baker Street, London NW1 6XE"),
    ("地址改成上海市徐汇区漕溪北路88号，谢谢", "上海市徐汇区漕溪北路88号"),
    ("tolong ganti alamat ke Jl. Melati No. 12, RT 03/RW 05, Jakarta Pusat 10510 ya kak",
     "Jl. Melati No. 12, RT 03/RW 05, Jakarta Pusat 10510"),
    ("địa chỉ mới: 123 Nguyễn Trãi, Phường 2, Quận 5, TP.HCM nhé shop", "123 Nguyễn Trãi, Phường 2, Quận 5, TP.HCM"),
    ("ที่อยู่ใหม่ 99/12 หมู่ 3 ถ.สุขุมวิท แขวงคลองเตย กรุงเทพฯ 10110 ค่ะ", "99/12 หมู่ 3 ถ.สุขุมวิท แขวงคลองเตย กรุงเทพฯ 10110"),
    ("ipadala na lang sa Blk 5 Lot 12, Brgy. San Isidro, Antipolo City po",
     "Blk 5 Lot 12, Brgy. San Isidro, Antipolo City"),
    ("can I change the address?", None),
])
def test_the_new_address_in_each_markets_form(text, address):
    assert new_address(text) == address


def test_fold_reads_vietnamese_without_its_diacritics():
    assert fold("Địa chỉ mới") == "dia chi moi"


@pytest.mark.parametrize("text, written", [
    ("any update on order no. KF-EN-261114? the other one can wait", "KF-EN-261114"),
    ("kf en 261114 po kailan darating", "KF-EN-261114"),
    ("yung 9023 4561 202 po", "90234561202"),
    ("mã đơn của mình là kf-en-261113 nhé", "KF-EN-261113"),
    ("KF-EN-2611145 is not mine", None),
    ("order 261114 only", None),
])
def test_the_customers_own_order_is_found_in_any_phrasing_and_only_whole(text, written):
    assert written_order(text, ["KF-EN-261113", "KF-EN-261114", "90234561202", "O12"]) == written


def test_an_order_id_with_letter_groups_follows_the_order_words():
    assert extract("Hi, any update on order no. KF-EN-261114?", "en").order_id == "KF-EN-261114"
