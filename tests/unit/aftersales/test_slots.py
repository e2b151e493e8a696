"""The slot grammar on messages as customers of each market write them."""

import pytest

from aftersales.understanding.slots import extract, fold, new_address, written_order, zh_number


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


@pytest.mark.parametrize("text, language, amounts", [
    ("今天直播间低了二十 怎么弄", "zh", [2000]),
    ("我買完隔天就降價三百！！", "zh", [30000]),
    ("跨店每满200减25能叠加不", "zh", [20000, 2500]),
    ("快递让我付180关税", "zh", [18000]),
    ("bought it for 39.99, now it's 29.99", "en", [3999, 2999]),
    ("DHL wants 32.50 in duties", "en", [3250]),
    # Not money: a date, days, pieces, a discount rate.
    ("我11.20号出国", "zh", []),
    ("降了3天了还没到", "zh", []),
    ("满3件打八折", "zh", []),
])
def test_prices_written_without_a_currency(text, language, amounts):
    assert extract(text, language).amounts == amounts


@pytest.mark.parametrize("written, number", [("二十", 20), ("三百五", 350), ("一千二百", 1200), ("两万", 20000),
                                             ("十五", 15), ("一百零五", 105), ("零", None), ("元", None)])
def test_chinese_numerals(written, number):
    assert zh_number(written) == number


@pytest.mark.parametrize("text, address", [
    ("地址错了!!! 改成江苏省南京市鼓楼区中山北路30号 快 别发出去", "江苏省南京市鼓楼区中山北路30号"),
    ("这次帮我寄到学校吧 湖北省武汉市洪山区珞喻路1037号华中科技大学东区 谢谢亲亲", "湖北省武汉市洪山区珞喻路1037号华中科技大学东区"),
    ("改成上海市 浦东新区 张江路100号", "上海市 浦东新区 张江路100号"),
    ("alamat diganti ke Jl. Margonda Raya No. 88, Depok 16423 ya kak. order O1234", "Jl. Margonda Raya No. 88, Depok 16423"),
    ("pindah ke Jl. Boulevard Raya Blok F No. 3, Makassar 90231 hehe makasih yaa 😊", None),
    ("Tukar ke alamat ni je cepat: Blok C-12-03, Jalan Ampang, 68000 Ampang", "Blok C-12-03, Jalan Ampang, 68000 Ampang"),
    ("can the order go to my office instead: 15F, 1 Raffles Place, Singapore 048616", "15F, 1 Raffles Place, Singapore 048616"),
])
def test_the_new_address_among_the_words_around_it(text, address):
    assert new_address(text, []) == address


@pytest.mark.parametrize("text, address", [
    # Where the address ends: a clause after it, in lower case or after a full stop; a label and its colon.
    ("tolong ganti alamat ke Jl. Kenanga No. 4, Kota Bekasi 17112 soalnya aku pindah", "Jl. Kenanga No. 4, Kota Bekasi 17112"),
    ("tukar alamat kepada No. 9, Jalan Seroja 2, 81300 Skudai, Johor. Sy dah pindah bulan lepas",
     "No. 9, Jalan Seroja 2, 81300 Skudai, Johor"),
    ("Alamat baru: Lot 22, Kampung Baru, 06000 Jitra, Kedah. Penerima: Siti", "Lot 22, Kampung Baru, 06000 Jitra, Kedah"),
    ("kirim ke Jl. Anggrek No. 3, Bogor 16111 ya kak. a.n. Dewi", "Jl. Anggrek No. 3, Bogor 16111"),
    # The words that ask for it: abbreviated, or a label and a colon further on.
    ("htr ke No. 3, Jalan Delima, 10400 George Town", "No. 3, Jalan Delima, 10400 George Town"),
    ("tolong tukar alamat kpd No. 3, Jalan Delima, 10400 George Town", "No. 3, Jalan Delima, 10400 George Town"),
    ("order O2041 pindahin ke Perum Griya Asri Blok C/7, Bekasi 17510", "Perum Griya Asri Blok C/7, Bekasi 17510"),
    ("mohon dikirim ke alamat kantor karena rumah kosong: Gedung Arta Lt. 3, Jl. Sudirman No. 5, Jakarta 10220",
     "Gedung Arta Lt. 3, Jl. Sudirman No. 5, Jakarta 10220"),
    ("New: 12 Rizal St., Brgy. Poblacion, Makati City 1210 🙏", "12 Rizal St., Brgy. Poblacion, Makati City 1210"),
    # On a line of its own, the request after it.
    ("No 4, Lorong Mawar 2, Taman Indah, 14000 Bukit Mertajam\nni alamat betul sis, tolong tukar",
     "No 4, Lorong Mawar 2, Taman Indah, 14000 Bukit Mertajam"),
    # Thai: the words after the request come first; a place's name holds "จ้า" (เจ้าฟ้า) and is no courtesy.
    ("ส่งไปบ้านแม่แทน บ้านเลขที่ 9 หมู่ 2 ตำบลบ้านใหม่ อำเภอเมือง จังหวัดลำปาง 52000 ชื่อผู้รับ สมใจ",
     "บ้านเลขที่ 9 หมู่ 2 ตำบลบ้านใหม่ อำเภอเมือง จังหวัดลำปาง 52000"),
    ("ขอเปลี่ยนเป็นที่อยู่นี้ค่ะ\n7/3 ถนนเจ้าฟ้า ต.ฉลอง อ.เมือง จ.ภูเก็ต 83130", "7/3 ถนนเจ้าฟ้า ต.ฉลอง อ.เมือง จ.ภูเก็ต 83130"),
    # Chinese: the address first, or among other words, a building's name without a place character inside it.
    ("浙江省杭州市西湖区文三路90号3幢501室 这个是新地址 帮忙改一下", "浙江省杭州市西湖区文三路90号3幢501室"),
    ("地址是 北京市 海淀区 中关村大街 银科SOHO B2 1203室 原来那个不要了", "北京市 海淀区 中关村大街 银科SOHO B2 1203室"),
    # English: a dash, "instead of", a question before it.
    ("77 Park Lane, Leeds LS1 4AB - that's the new one", "77 Park Lane, Leeds LS1 4AB"),
    ("pls send to 5 Jalan Ria, 47400 Petaling Jaya instead of the old one", "5 Jalan Ria, 47400 Petaling Jaya"),
    ("can send to my office instead? 8 Marina View, #20-01, S018960. tq", "8 Marina View, #20-01, S018960"),
    # A lower-case address keeps its lower-case words.
    ("tukar alamat ke no 4 jalan mawar, taman indah, 14000 bukit mertajam", "no 4 jalan mawar, taman indah, 14000 bukit mertajam"),
])
def test_where_the_new_address_starts_and_ends(text, address):
    assert new_address(text, []) == address


@pytest.mark.parametrize("text, language, cents", [
    # After a full-width comma (NFKC makes it ","), a price is still one.
    ("袖子破了，199元买的", "zh", [19900]),
    ("台灯 299买的 不亮", "zh", [29900]), ("39.9包邮的", "zh", [3990]),
    ("交一百二十块税费", "zh", [12000]), ("3千的包", "zh", [300000]), ("退款1.5万", "zh", [1500000]),
    ("降到499了", "zh", [49900]), ("优惠券50没抵扣", "zh", [5000]),
    # A piece, a count and a date are no money.
    ("一块污渍", "zh", []), ("能补一张不", "zh", []), ("11.11买的", "zh", []), ("3千积分", "zh", []),
    # Thai: a unit of money before Thai words, price words before a bare number; a percentage is none.
    ("ขอส่วนต่าง 300 บาทได้ไหมคะ", "th", [30000]), ("ราคา 590 รวมส่งไหม", "th", [59000]),
    ("ค่าส่ง 40 คะ", "th", [4000]), ("โค้ดลด 15% ใช้ไม่ได้", "th", []),
    # A shopping festival is a date, not a price.
    ("คูปองวันที่ 11.11 หายไป", "th", []),
    ("paid 59 now 45", "en", [5900, 4500]), ("£89 then £69", "en", [8900, 6900]), ("waited 3 days now 2 weeks", "en", []),
])
def test_money_as_more_customers_write_it(text, language, cents):
    assert extract(text, language).amounts == cents


def test_an_eight_digit_phone_after_the_words_for_one():
    assert extract("pls call me 91234567", "en").phone == "91234567"
    assert extract("order 91234567 pls", "en").phone is None


@pytest.mark.parametrize("text, language, dates", [
    ("คูปองวันที่ 11.11 หายไป", "th", ["2026-11-11"]), ("ได้รับของเมื่อ 25/11/69", "th", ["2026-11-25"]),
    ("rating 4.5 lah", "ms", []),
])
def test_festivals_and_short_buddhist_years(text, language, dates):
    assert extract(text, language).dates == dates


def test_a_measure_and_a_vietnamese_syllable_are_no_dates():
    assert extract("脚长24.5cm 穿多大", "zh").dates == []
    assert extract("ao mac 2 lan da bi xu", "vi").dates == []


def test_a_number_in_the_new_address_is_not_a_date():
    found = extract("tolong tukar alamat kepada No. 18, Jalan Kemuning 2/4, 30100 Ipoh", "ms")
    assert found.new_address == "No. 18, Jalan Kemuning 2/4, 30100 Ipoh" and found.dates == []


@pytest.mark.parametrize("text, address", [
    # Words that may ask for something else take only what reads as an address by itself.
    ("nhờ shop đổi thành số 12 đường Lê Lợi, phường Bến Thành, quận 1, TP HCM", "số 12 đường Lê Lợi, phường Bến Thành, quận 1, TP HCM"),
    ("pakilipat po sa 9 Mabini St., Brgy. Malate, Manila 1004 salamat", "9 Mabini St., Brgy. Malate, Manila 1004"),
    ("ilipat nyo na lang sa Purok 5, Brgy. Lahug, Cebu City kasi wala ako", "Purok 5, Brgy. Lahug, Cebu City"),
    ("mali yung barangay, dapat Sitio Bato, Brgy. Pardo, Cebu City 6000 hindi Brgy. Basak",
     "Sitio Bato, Brgy. Pardo, Cebu City 6000"),
    # A courtesy a passed-over clause leaves, an arrow, a Vietnamese address's first word.
    ("gửi giúp về nhà bạn mình nhé, tầng 3 chung cư Sky, 12 Nguyễn Huệ, phường 4, quận 5, TP.HCM, mình cảm ơn",
     "tầng 3 chung cư Sky, 12 Nguyễn Huệ, phường 4, quận 5, TP.HCM"),
    ("address ng order ko → 14 Luna St., Brgy. Kapitolyo, Pasig City 1603", "14 Luna St., Brgy. Kapitolyo, Pasig City 1603"),
    ("xóm 4, xã Diễn Châu, huyện Diễn Châu, Nghệ An\nđịa chỉ mới của em ạ", "xóm 4, xã Diễn Châu, huyện Diễn Châu, Nghệ An"),
    # "Nha" of Nha Trang is no "nha" that ends a sentence; "Exec." abbreviates.
    ("doi dia chi thanh 7 Hung Vuong, phuong Loc Tho, TP Nha Trang, Khanh Hoa", "7 Hung Vuong, phuong Loc Tho, TP Nha Trang, Khanh Hoa"),
    ("ilipat sa Blk 2 Lot 4 Sunrise Exec. Homes, Brgy. Dela Paz, Pasig City 1600 kasi", "Blk 2 Lot 4 Sunrise Exec. Homes, Brgy. Dela Paz, Pasig City 1600"),
])
def test_weaker_requests_corrections_and_recipients(text, address):
    assert new_address(text, []) == address


@pytest.mark.parametrize("text", ["đổi sang size 40 được không shop", "dapat po ba 2 pcs yung order ko?",
                                  "it should be here by 12 Dec right?"])
def test_weaker_requests_take_no_address_that_is_none(text):
    assert new_address(text, []) is None


@pytest.mark.parametrize("text, language, cents", [
    ("现在才八十九", "zh", [8900]), ("别人拼单才69", "zh", [6900]), ("能不能退我20", "zh", [2000]),
    # A numeral with no unit after a coupon, a height before a weight: no money.
    ("店铺券一起用吗", "zh", []), ("买的 175 140斤穿什么码", "zh", []),
])
def test_chinese_price_words_and_what_is_no_price(text, language, cents):
    assert extract(text, language).amounts == cents


def test_the_recipients_name_before_the_phone_is_no_part_of_the_address():
    found = extract("change address to 3 Lopez Ave., Brgy. Uno, Lipa City, Batangas 4217, Ana Reyes 09171112222", "fil")
    assert found.new_address == "3 Lopez Ave., Brgy. Uno, Lipa City, Batangas 4217" and found.phone == "09171112222"


def test_a_province_after_the_postcode_stays_where_no_phone_cuts_the_address():
    text = "mohon dikirim ke alamat kantor saja karena rumah kosong: Jl. Melati No 5, Kota Bandung 40111, Jawa Barat"
    assert new_address(text, []) == "Jl. Melati No 5, Kota Bandung 40111, Jawa Barat"


def test_a_phone_after_an_order_id_is_still_a_phone():
    found = extract("please set the phone on order O1077 to 012-777 8899", "en")
    assert found.order_id == "O1077" and found.phone == "0127778899"
    assert extract("order no 0123456789012", "en").phone is None


@pytest.mark.parametrize("text, language, tracking", [
    ("运单号 SF1234567890123 三天没动了", "zh", "SF1234567890123"),
    ("我的快递单号是7712345678901，怎么还不动", "zh", "7712345678901"),
    ("tracking number: 1Z999AA10123456784 says delivered", "en", "1Z999AA10123456784"),
    ("no resi JX1234567890 belum update kak", "id", "JX1234567890"),
    ("mã vận đơn SPXVN0123456789 chưa thấy cập nhật", "vi", "SPXVN0123456789"),
    ("ma van don SPXVN0123456789", "vi", "SPXVN0123456789"),
    ("เลขพัสดุ TH012345678901 ยังไม่ขยับ", "th", "TH012345678901"),
    ("parcel NJVPH1095755262 stuck in sorting", "fil", "NJVPH1095755262"),
])
def test_a_tracking_number_is_read_and_is_no_order_id(text, language, tracking):
    got = extract(text, language)
    assert got.tracking_number == tracking and got.order_id is None


def test_an_order_page_gives_its_order_id_total_and_tracking_number_apart():
    page = "订单详情\n订单编号：240611123456789\n实付款 ¥128.50\n运单号 SF1234567890123\n顺丰速运 已发货"
    got = extract(page, "zh")
    assert (got.order_id, got.amounts, got.tracking_number) == ("240611123456789", [12850], "SF1234567890123")


@pytest.mark.parametrize("text, language, amounts", [
    ("Tổng thanh toán 1.263.000", "vi", [126300000]),
    ("tong tien 250.000d", "vi", [25000000]),  # đồng without its stroke
    ("Kabuuang bayad 1,467.28", "fil", [146728]),
    ("Total Pembayaran 150.000", "id", [15000000]),
    ("Jumlah Bayaran 45.90", "ms", [4590]),
    ("bought it for 1,299.00, now 999.00", "en", [129900, 99900]),
    # Not money: a count after the word for a total, a number of days.
    ("total 3 items", "en", []),
    ("tổng 2 món", "vi", []),
    ("ship 3d nữa", "vi", []),
])
def test_totals_as_order_pages_and_customers_write_them(text, language, amounts):
    assert extract(text, language).amounts == amounts


def test_an_id_read_off_a_screen_may_confuse_the_letter_o_with_zero_but_only_when_read():
    ids = ["O1042", "O1001"]
    assert written_order("Order ID 01042 total $19.99", ids) is None
    assert written_order("Order ID 01042 total $19.99", ids, read=True) == "O1042"
    # An id written exactly wins over a lookalike one, and lookalikes never reach another id's length.
    assert written_order("01001 / O1042", ids, read=True) == "O1042"
    assert written_order("010421", ids, read=True) is None
