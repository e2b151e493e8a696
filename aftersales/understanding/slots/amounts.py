"""Money written in a message, in seven markets' forms: "¥59", "150rb", "RM45.90", "1tr2", "两百块", "ลด 200"."""

from __future__ import annotations

import re

from aftersales.errors import InvalidInput
from aftersales.money import parse_amount

_NUM = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PREFIX = r"(?:S\$|US\$|HK\$|A\$|\$|¥|￥|£|€|RM|Rp\.?|฿|₫|₱|PHP|USD|SGD|MYR|IDR|THB|VND|CNY|RMB|GBP|EUR|Php|P(?=\d))"
_SUFFIX = (r"(?:元|块钱|块|圆|rmb|yuan|cny|usd|dollars?|bucks|sgd|ringgit|myr|rupiah|idr|rb|ribu|jt|juta|k|"
           r"บาท|baht|thb|\.-|đồng|dong|đ|vnđ|vnd|nghìn|nghin|ngàn|ngan|tr|triệu|trieu|pesos?|php|"
           # ("250.000d": đồng typed, or read off a screen, without its stroke; only after thousands groups)
           r"d(?<=[.,]\d{3}d))")
_AMOUNT = re.compile(
    rf"(?i)(?:(?<![A-Za-z0-9]){_PREFIX}\s?({_NUM})(\s?(?:k|rb|ribu|jt|juta)\b)?|"
    rf"(?<![A-Za-z0-9])(?<!\d[.,])({_NUM})\s?{_SUFFIX}(?![A-Za-z0-9\u00c0-\u024f\u1e00-\u1eff]))")
# A number with two decimals is a price wherever it stands ("bought it for 39.99, now 29.99"), unless a date unit
# follows it.
_DECIMAL = re.compile(r"(?<![\w/:\-])(?<!\d[.,])(?!(\d\d?)\.\1(?!\d))(\d{1,3}(?:,\d{3})+\.\d{2}|\d{1,6}\.\d{2})"
                      r"(?![\w/:\-]|[.,]\d|\s?(?:号|日|月|买|下单|收到|发货|寄))")  # (11.11 is a date)
# Chinese price words followed by a bare number, in digits or in Chinese numerals: "低了二十", "降價三百",
# "每满200减25", "付180关税", "差价30".
_ZH_NUMERAL = "零〇一二两三四五六七八九十百千万"
_ZH_MONEY = re.compile(
    rf"(?:降了|降价了?|降價了?|降到|低了|便宜了|贵了|差价|差價|少了|满|减|付了?|补了?|退了?|退我|花了|卖|賣|优惠了?|现在|只要|"
    rf"买的|单买|到手|才|券)"
    # (a Chinese numeral stands for money only with a unit in it: "券一起用" holds no 一 yuan; nor a height before
    # a weight, "买的 178 160斤")
    rf"\s?(\d+(?:\.\d{{1,2}})?|[{_ZH_NUMERAL}]*[十百千万][{_ZH_NUMERAL}]*)"
    rf"(?![\d{_ZH_NUMERAL}]|\s?(?:天|号|日|月|年|件|个|次|张|条|双|套|瓶|盒|台|份|单|小时|分钟|%|折|斤|cm|kg|公斤|厘米|岁|码)|"
    rf"\s\d+\s?(?:斤|kg|公斤))|"
    # A price before the words for "bought it" or a unit of money: "299买的", "一百二十块", "3千", "1.5万".
    rf"(?<![\d.])(?!(?:1[0-2]|0?[1-9])\.(?:[12]\d|3[01]|0?[1-9])(?!\d))(\d+(?:\.\d{{1,2}})?)\s?(?=买的|买了|入手|包邮)|"
    # (not "11.11买的", a date; not the "一块" of "一块污渍", a piece)
    rf"([{_ZH_NUMERAL}]*[十百千万][{_ZH_NUMERAL}]*)(?=块|元)|([{_ZH_NUMERAL}]+)(?=块钱|元)|"
    rf"(?<![\d.])(\d+(?:\.\d)?[千万])(?:块|元)?(?!\s?(?:积分|人|次|步|粉|字|件|个|公里|米|多人))")
# Thai price words before a bare number: "ลด 200", "ค่าส่ง 40", "ขั้นต่ำ 1,500", "เหลือ 7,990".
_TH_MONEY = re.compile(
    rf"(?:ลด|ค่าส่ง(?:ด่วน)?(?:ไป)?|ขั้นต่ำ|ยอด(?:ในตะกร้า)?|ราคา|เหลือ|ส่วนต่าง|จ่าย(?:ไป)?|คืน(?:มา)?|แค่|โค้ด\S{{0,8}}|"
    rf"คูปอง\S{{0,8}})\s*({_NUM})(?!\d|\s*(?:%|วัน|ชิ้น|ครั้ง|เดือน|ปี|ชม|ชั่วโมง|นาที|กก|กิโล|ซม|cm|kg|ml))")
# The words for an order's total before a bare number, as order pages, receipts and customers write them in every
# language: "实付款 128.50", "Tổng thanh toán 1.263.000", "Kabuuang bayad 1,467.28", "Jumlah 45.90".
_TOTAL = re.compile(
    rf"(?i)(?:实付款?|实付金额|合计|总计|总价|应付(?:金额)?|order\s*total|grand\s*total|sub\s*total|total(?:\s*(?:payment|"
    rf"amount|paid|pembayaran|bayaran))?|amount\s*paid|jumlah(?:\s*(?:bayaran|pembayaran))?|kabuuang\s*bayad|kabuuan|"
    rf"t[oổô]ng\s*(?:thanh\s*to[aá]n|ti[eềê]n|c[oộ]ng)|th[aà]nh\s*ti[eềê]n|"
    rf"ยอดชำระ(?:เงิน)?|ยอดรวม)\s*[:：]?\s*({_NUM})"
    rf"(?![\d.,]|\s*(?:items?|pcs|件|个|món|mon|barang|sản\s*phẩm|san\s*pham|ชิ้น|%))")
# English price words before a bare number: "paid 59 now 45", "it costs 20 now".
_EN_MONEY = re.compile(
    r"(?i)\b(?:paid|pay|costs?|cost\s+me|now(?:\s+(?:it'?s|only|is))?|was|priced\s+at|price\s+is|for\s+only)\s+"
    r"(\d+(?:\.\d{1,2})?)(?![\d.,:/]|\s*(?:days?|pcs|pieces|items?|%|times|x\b|weeks?|hours?|hrs?|mins?|minutes|"
    r"cm|mm|kg|g\b|m\b|in\b|inch|ml|l\b|am|pm|pairs?|sets?|units?|orders?))")
_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def zh_number(written: str) -> int | None:
    """二十 → 20, 三百五 → 350, 一千二百 → 1200, 两万 → 20000; None for what is not a number."""
    total, section, digit, last_unit = 0, 0, None, None
    for ch in written:
        if ch in "零〇":
            last_unit = None  # 一百零五 is 105: the digit after a zero is a plain one
        elif ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            unit = _ZH_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit, last_unit = 0, None, None
                continue
            section += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
    if digit is not None:
        # "三百五" is 350: a trailing digit after a unit counts a tenth of it.
        section += digit * (last_unit // 10) if last_unit and last_unit >= 100 else digit
    return total + section or None


# Vietnamese "1 triệu 2", "1tr2": one million two hundred thousand.
_MILLION_AND = re.compile(r"(?i)(?<![\w.,])(\d{1,3})\s?(?:triệu|trieu|tr)\s?(\d)(?![\d\w])")
_MULTIPLIERS = {"k": 1000, "rb": 1000, "ribu": 1000, "nghìn": 1000, "nghin": 1000, "ngàn": 1000, "ngan": 1000,
                "jt": 1_000_000, "juta": 1_000_000, "tr": 1_000_000, "triệu": 1_000_000, "trieu": 1_000_000}


def _number(written: str, language: str | None) -> int | None:
    """Cents of a written number: "150.000" groups thousands in id and vi, "45.90" has decimals, "1,299.50" both."""
    digits = written.replace(" ", "")
    head, sep, tail = max((digits.rpartition(s) for s in ".,"), key=lambda parts: len(parts[0]))
    if sep and len(tail) == 3 and (language in ("id", "vi") or head.replace(",", "").replace(".", "").isdigit()):
        number = re.sub(r"[.,]", "", digits)
    elif sep and len(tail) <= 2:
        number = re.sub(r"[.,]", "", head) + "." + tail
    else:
        number = re.sub(r"[.,]", "", digits)
    try:
        return parse_amount(number)
    except InvalidInput:
        return None


def amounts(text: str, language: str | None,
             taken: list[tuple[int, int]] = ()) -> tuple[list[int], list[tuple[int, int]]]:
    result: list[int] = []
    spans: list[tuple[int, int]] = []
    found: list[tuple[int, int]] = []
    for m in _MILLION_AND.finditer(text):
        spans.append((m.start(), m.end()))
        found.append((m.start(), (int(m.group(1)) * 10 + int(m.group(2))) * 100_000 * 100))
    for m in _AMOUNT.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in [*spans, *taken]):
            continue  # part of "1 triệu 2" or of an order id
        written = m.group(1) or m.group(3)
        cents = _number(written, language)
        if cents is None or cents == 0:
            continue
        unit = (m.group(2) or "").strip().lower() or _unit(m.group())
        cents *= _MULTIPLIERS.get(unit, 1)
        spans.append((m.start(), m.end()))
        found.append((m.start(), cents))
    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in [*spans, *taken])

    def bare(m: re.Match, group: int, cents: int | None, end: int | None = None) -> None:
        """A bare number a price word or a unit of money marks: kept where nothing else took its place."""
        if cents and free(m.start(group), m.end(group)):
            spans.append((m.start(group), end or m.end(group)))
            found.append((m.start(group), cents))

    for m in _DECIMAL.finditer(text):
        bare(m, 2, _number(m.group(2), language))
    for m in _TOTAL.finditer(text):
        bare(m, 1, _number(m.group(1), language))
    for m in _ZH_MONEY.finditer(text):
        group = next(i for i in range(1, 6) if m.group(i))
        written = m.group(group)
        if written[-1] in "千万":
            cents = int(round(float(written[:-1]) * _ZH_UNITS[written[-1]] * 100))
        elif written[0].isdigit():
            cents = _number(written, language)
        else:
            cents = (zh_number(written) or 0) * 100
        bare(m, group, cents, m.end())
    if language == "th":
        for m in _TH_MONEY.finditer(text):
            if not re.fullmatch(r"(\d\d?)\.\1", m.group(1)) and "วัน" not in m.group():
                bare(m, 1, _number(m.group(1), language))
    if language in (None, "en", "fil", "ms"):
        for m in _EN_MONEY.finditer(text):
            bare(m, 1, _number(m.group(1), language))
    for _, cents in sorted(found):
        if cents not in result:
            result.append(cents)
    return result, spans


def _unit(match: str) -> str:
    tail = re.search(r"[A-Za-zÀ-ỹ]+$", match)
    return tail.group().lower() if tail else ""
