"""Slot values in a chat message in any of kefu's seven languages: order ids, phone numbers, amounts, dates, a new address.

Order ids are found by their shape (the shop's own O1004, the long numeric ids of Tmall, JD, Douyin and Lazada, a
Shopee order SN, a Tokopedia invoice), whatever words and script surround them; a number is an order id only when it
cannot be a phone number. The address a customer asks to change to follows the words each language says it with.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from aftersales.errors import InvalidInput
from aftersales.money import parse_amount

DEFAULT_YEAR = 2026

_ALNUM_EDGE_L = r"(?<![A-Za-z0-9/])"
_ALNUM_EDGE_R = r"(?![A-Za-z0-9/])"
_TOKOPEDIA = re.compile(r"INV/\d{8}/[A-Z]{2,5}/\d{6,12}", re.IGNORECASE)
_SHOP = re.compile(_ALNUM_EDGE_L + r"[Oo]\d{4,9}" + _ALNUM_EDGE_R)
# Shopee's order SN: six date digits, then eight letters and digits with at least one letter.
_SHOPEE = re.compile(_ALNUM_EDGE_L + r"\d{6}(?=[A-Za-z0-9]{0,7}[A-Za-z])[A-Za-z0-9]{8}" + _ALNUM_EDGE_R)
_LONG_NUMBER = re.compile(r"(?<![\d+\-.,])\d{12,20}(?![\d.,]\d)")
# An id right after the words for "order (number)" may have any shape with four digits or more.
_ORDER_WORDS = re.compile(
    r"(?i)(?:订单号?|单号|order\s*(?:no\.?|number|id|#)?|pesanan|no\.?\s*pesanan|invoice|đơn(?:\s*hàng)?|"
    r"m[aã]\s*đ?[oơ]n|ma\s*don|don\s*hang|คำสั่งซื้อ|ออเดอร์|เลขที่|order\s*ko|order\s*ko\s*po)"
    r"\s*(?:là|la|ko|is|ni|nya|ng|:|：|#|no\.?)?\s*[:：#]?\s*((?:[A-Za-z]{1,6}[\-_])*[A-Za-z]{0,4}\d[A-Za-z0-9\-]{3,24})")
_PHONE_WORDS = re.compile(
    r"(?i)(电话|手机|联系方式|phone|mobile|tel\b|contact|call\s+me|call\b|whatsapp\s+me|hp\b|no\.?\s*hp|nomor|nombor|telefon|whatsapp|wa\b|"
    r"sđt|sdt|số\s*điện\s*thoại|so\s*dien\s*thoai|เบอร์|โทร|cp\b|cellphone|numero|number\s*ko)")
_PHONE = re.compile(
    r"(?<![\dA-Za-z])(\+\d{1,3}[\s\-]?\(?\d{1,4}\)?(?:[\s\-]?\d{2,5}){2,4}|1[3-9]\d{9}|"
    r"0\d{1,4}(?:[\s\-]?\d{2,5}){1,4}|[689]\d{3}[\s\-]?\d{4})(?![\dA-Za-z])")


@dataclass(frozen=True)
class Slots:
    """The slot values of one message.

    Attributes:
        order_id: The order id written, upper-cased, None when none.
        phone: A phone number, digits (and a leading +) only.
        amounts: Money written, in minor units (cents), in order of appearance.
        dates: Dates written, ISO (the year DEFAULT_YEAR where none is written).
        new_address: The address the customer asks to change to, as written.
    """

    order_id: str | None = None
    phone: str | None = None
    amounts: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    new_address: str | None = None


def fold(text: str) -> str:
    """Lower case without diacritics (Vietnamese typed without them reads the same): "Địa chỉ" → "dia chi"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def extract(text: str, language: str | None = None) -> Slots:
    """Every slot of `text` (NFKC-normalised by the caller or not); `language` picks date order and separators."""
    if not isinstance(text, str):
        raise InvalidInput(f"text must be a string, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text)
    phones = _phones(text)
    order_id = _order_id(text, phones)
    taken = [order_id] if order_id else []
    id_spans = _spans(text, taken) + [(start, end) for start, end, _ in phones]
    amounts, money_spans = _amounts(text, language, id_spans)
    address = new_address(text, id_spans)
    # A unit or house number in the address ("Jalan Kemuning 2/4", "Blok H5/12") is not a date.
    address_spans = _spans(text, [address]) if address else []
    return Slots(order_id=order_id.upper() if order_id else None,
                 phone=re.sub(r"[^\d+]", "", phones[0][2]) if phones else None,
                 amounts=amounts,
                 dates=_dates(text, language, [*money_spans, *id_spans, *address_spans]),
                 new_address=address)


def _spans(text: str, values: list[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for v in values for m in re.finditer(re.escape(v), text)]


def _phones(text: str) -> list[tuple[int, int, str]]:
    """(start, end, as written) of phone numbers: by their shape, or any number the words for phone precede."""
    found = []
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        before = text[max(0, m.start() - 24):m.start()]
        # Singapore's numbers have eight digits: one after the words for a phone ("call me 91234567").
        if not (9 <= len(digits) <= 15 or len(digits) == 8 and digits[0] in "689" and _PHONE_WORDS.search(before)):
            continue
        # A 12-digit JD id never starts with 0 or +; a local number starting with 0 is a phone unless an order word
        # stands right before it.
        if m.group().startswith(("+", "1")) or _PHONE_WORDS.search(before) or not _ORDER_WORDS.search(before + m.group()):
            found.append((m.start(), m.end(), m.group()))
    return found


def _order_id(text: str, phones: list[tuple[int, int, str]]) -> str | None:
    """The first order id in text order; a number inside a phone number is not one."""
    def is_phone(start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e, _ in phones)

    candidates: list[tuple[int, str]] = []
    for pattern in (_TOKOPEDIA, _SHOP, _SHOPEE, _LONG_NUMBER):
        for m in pattern.finditer(text):
            if not is_phone(m.start(), m.end()):
                candidates.append((m.start(), m.group()))
    for m in _ORDER_WORDS.finditer(text):
        value = m.group(1).rstrip("-")
        if sum(ch.isdigit() for ch in value) >= 4 and not is_phone(m.start(1), m.end(1)):
            candidates.append((m.start(1), value))
    if not candidates:
        return None
    start, value = min(candidates, key=lambda c: (c[0], -len(c[1])))
    return value


def written_order(text: str, order_ids: list[str]) -> str | None:
    """Which of `order_ids` (a customer's own) the message writes, in any phrasing and whatever the shop's id format:
    case aside, spaces, dashes and dots between its characters allowed ("kf en 261114", "9023 4561 202"); the first
    written wins. Ids shorter than four characters are never looked for."""
    found = []
    for order_id in order_ids:
        chars = [c for c in order_id if c.isalnum()]
        if len(chars) < 4:
            continue
        pattern = r"[\s\-_.]?".join(re.escape(c) for c in chars)
        m = re.search(rf"(?i)(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])", text)
        if m:
            found.append((m.start(), -len(chars), order_id))
    return min(found)[2] if found else None


# ---- amounts ----------------------------------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PREFIX = r"(?:S\$|US\$|HK\$|A\$|\$|¥|￥|£|€|RM|Rp\.?|฿|₫|₱|PHP|USD|SGD|MYR|IDR|THB|VND|CNY|RMB|GBP|EUR|Php|P(?=\d))"
_SUFFIX = (r"(?:元|块钱|块|圆|rmb|yuan|cny|usd|dollars?|bucks|sgd|ringgit|myr|rupiah|idr|rb|ribu|jt|juta|k|"
           r"บาท|baht|thb|\.-|đồng|dong|đ|vnđ|vnd|nghìn|nghin|ngàn|ngan|tr|triệu|trieu|pesos?|php)")
_AMOUNT = re.compile(
    rf"(?i)(?:(?<![A-Za-z0-9]){_PREFIX}\s?({_NUM})(\s?(?:k|rb|ribu|jt|juta)\b)?|"
    rf"(?<![A-Za-z0-9])(?<!\d[.,])({_NUM})\s?{_SUFFIX}(?![A-Za-z0-9\u00c0-\u024f\u1e00-\u1eff]))")
# A number with two decimals is a price wherever it stands ("bought it for 39.99, now 29.99"), unless a date unit
# follows it.
_DECIMAL = re.compile(r"(?<![\w/:\-])(?<!\d[.,])(?!(\d\d?)\.\1(?!\d))(\d{1,6}\.\d{2})"
                      r"(?![\w/:\-]|[.,]\d|\s?(?:号|日|月|买|下单|收到|发货|寄))")  # (11.11 is a date)
# Chinese price words followed by a bare number, in digits or in Chinese numerals: "低了二十", "降價三百",
# "每满200减25", "付180关税", "差价30".
_ZH_NUMERAL = "零〇一二两三四五六七八九十百千万"
_ZH_MONEY = re.compile(
    rf"(?:降了|降价了?|降價了?|降到|低了|便宜了|贵了|差价|差價|少了|满|减|付了?|补了?|退了?|花了|卖|賣|优惠了?|现在|只要|"
    rf"买的|到手|券)"
    rf"\s?(\d+(?:\.\d{{1,2}})?|[{_ZH_NUMERAL}]+)(?![\d{_ZH_NUMERAL}]|\s?(?:天|号|日|月|年|件|个|次|张|条|双|套|瓶|盒|台|份|单|小时|分钟|%|折))|"
    # A price before the words for "bought it" or a unit of money: "299买的", "一百二十块", "3千", "1.5万".
    rf"(?<![\d.])(?!(?:1[0-2]|0?[1-9])\.(?:[12]\d|3[01]|0?[1-9])(?!\d))(\d+(?:\.\d{{1,2}})?)\s?(?=买的|买了|入手|包邮)|"
    # (not "11.11买的", a date; not the "一块" of "一块污渍", a piece)
    rf"([{_ZH_NUMERAL}]*[十百千万][{_ZH_NUMERAL}]*)(?=块|元)|([{_ZH_NUMERAL}]+)(?=块钱|元)|"
    rf"(?<![\d.])(\d+(?:\.\d)?[千万])(?:块|元)?(?!\s?(?:积分|人|次|步|粉|字|件|个|公里|米|多人))")
# Thai price words before a bare number: "ลด 200", "ค่าส่ง 40", "ขั้นต่ำ 1,500", "เหลือ 7,990".
_TH_MONEY = re.compile(
    rf"(?:ลด|ค่าส่ง(?:ด่วน)?(?:ไป)?|ขั้นต่ำ|ยอด(?:ในตะกร้า)?|ราคา|เหลือ|ส่วนต่าง|จ่าย(?:ไป)?|คืน(?:มา)?|แค่|โค้ด\S{{0,8}}|"
    rf"คูปอง\S{{0,8}})\s*({_NUM})(?!\d|\s*(?:%|วัน|ชิ้น|ครั้ง|เดือน|ปี|ชม|ชั่วโมง|นาที|กก|กิโล|ซม|cm|kg|ml))")
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


def _amounts(text: str, language: str | None,
             taken: list[tuple[int, int]] = ()) -> tuple[list[int], list[tuple[int, int]]]:
    amounts: list[int] = []
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
        if cents not in amounts:
            amounts.append(cents)
    return amounts, spans


def _unit(match: str) -> str:
    tail = re.search(r"[A-Za-zÀ-ỹ]+$", match)
    return tail.group().lower() if tail else ""


# ---- dates --------------------------------------------------------------------------------------------------------

_MONTHS = {
    **{m: i for i, ms in enumerate((
        "jan january januari enero janeiro tháng1", "feb february februari febrero pebrero", "mar march maret mac marso",
        "apr april abril", "may mei mayo", "jun june juni hunyo", "jul july juli julai hulyo",
        "aug august agustus ogos ago agosto", "sep sept september setyembre", "oct october oktober okt okt oktubre",
        "nov november nopember nob nobyembre", "dec december desember dis disember des disyembre"), 1)
       for m in ms.split()},
}
_THAI_MONTHS = {m: i for i, ms in enumerate((
    "ม.ค. มกราคม", "ก.พ. กุมภาพันธ์", "มี.ค. มีนาคม", "เม.ย. เมษายน", "พ.ค. พฤษภาคม", "มิ.ย. มิถุนายน",
    "ก.ค. กรกฎาคม", "ส.ค. สิงหาคม", "ก.ย. กันยายน", "ต.ค. ตุลาคม", "พ.ย. พฤศจิกายน", "ธ.ค. ธันวาคม"), 1)
    for m in ms.split()}
_MONTH_WORD = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_THAI_MONTH = "|".join(sorted((re.escape(m) for m in _THAI_MONTHS), key=len, reverse=True))
_YEAR = r"(?:[,\s]+(\d{4}))?"
_DATE_PATTERNS = (
    ("ymd", re.compile(r"(?<!\d)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")),
    ("md", re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?")),
    ("dmy_th", re.compile(rf"(?<!\d)(\d{{1,2}})\s*({_THAI_MONTH})\s*(\d{{4}})?")),
    ("vi", re.compile(r"(?i)(?<!\d)(\d{1,2})\s*th[aá]ng\s*(\d{1,2})" + _YEAR)),
    ("d_mon", re.compile(rf"(?i)(?<![A-Za-z\d])(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?({_MONTH_WORD})\.?(?![A-Za-z])"
                         + _YEAR)),
    ("mon_d", re.compile(rf"(?i)(?<![A-Za-z])({_MONTH_WORD})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])" + _YEAR)),
    # Not a measure: "脚长24.5cm", "2.5kg".
    ("numeric", re.compile(r"(?<![\d.,/:])(\d{1,2})([/.\-])(\d{1,2})(?:\2(\d{2,4}))?(?![\d:/]|[.,]\d)"
                           r"(?!\s*(?:cm|mm|kg|ml|inch|厘米|公分|公斤|斤|码|寸|千|万)|\s*(?:m|g|in)\b)")),
)
# Month-first where the market writes it so when both numbers could be a month; day-first elsewhere.
_MONTH_FIRST = frozenset({"zh", "en"})


def _iso(year: int | None, month: int, day: int) -> str | None:
    year = year or DEFAULT_YEAR
    if year > 2400:
        year -= 543  # the Thai Buddhist era (2569 → 2026)
    elif year < 100:
        year += 2000
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _dates(text: str, language: str | None, taken: list[tuple[int, int]]) -> list[str]:
    found: list[tuple[int, str]] = []
    used = list(taken)

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in used)

    for kind, pattern in _DATE_PATTERNS:
        if language == "vi" and kind in ("d_mon", "mon_d"):
            continue  # Vietnamese writes "tháng"; its syllables "mac", "may" are no months ("mac 2 lan": worn twice)
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            g = m.groups()
            if kind == "ymd":
                iso = _iso(int(g[0]), int(g[1]), int(g[2]))
            elif kind == "md":
                iso = _iso(None, int(g[0]), int(g[1]))
            elif kind == "dmy_th":
                iso = _iso(int(g[2]) if g[2] else None, _THAI_MONTHS[g[1]], int(g[0]))
            elif kind == "vi":
                iso = _iso(int(g[2]) if g[2] else None, int(g[1]), int(g[0]))
            elif kind == "d_mon":
                iso = _iso(int(g[2]) if g[2] else None, _MONTHS[g[1].lower()], int(g[0]))
            elif kind == "mon_d":
                iso = _iso(int(g[2]) if g[2] else None, _MONTHS[g[0].lower()], int(g[1]))
            else:
                iso = _numeric_date(g, language)
            if iso:
                found.append((m.start(), iso))
                used.append((m.start(), m.end()))
    return list(dict.fromkeys(iso for _, iso in sorted(found)))


def _numeric_date(groups: tuple, language: str | None) -> str | None:
    a, sep, b, year = int(groups[0]), groups[1], int(groups[2]), groups[3]
    if sep == "." and language not in ("zh",) and year is None and not a == b <= 12:
        return None  # "4.5" is a rating or a decimal outside Chinese; 11.11, 12.12 are the shopping festivals
    if year and len(year) == 2 and language == "th" and int(year) >= 60:
        year = str(2500 + int(year))  # "25/11/69": the Buddhist era's 2569
    if sep == "-" and year is None:
        return None  # a range ("3-5 days")
    month_first = language in _MONTH_FIRST
    if a > 12 and b <= 12:
        month_first = False
    elif b > 12 and a <= 12:
        month_first = True
    month, day = (a, b) if month_first else (b, a)
    return _iso(int(year) if year else None, month, day)


# ---- the new address -------------------------------------------------------------------------------------------

_ADDRESS_INTRO = re.compile(
    r"(?i)(?:"
    r"(?:地址)?(?:改成|改为|改到|换成|换到|改寄到|改送到|寄到|送到|发到)|新地址(?:是|为)?|地址(?:是|为)|"
    r"(?:address|addr|ship(?:ping)?|deliver(?:y|ed)?|send\s+(?:it|them)?|sent)[^.!?\n]{0,50}?\b(?:to|is)\b|"
    r"new\s+(?:address|addr)\s*(?:is)?|"
    r"alamat[^.!?\n]{0,50}?\b(?:ke|jadi|jd|menjadi|kepada|kpd|baru(?:nya)?(?:\s+(?:di|ialah|adalah))?)\b|alamatnya\b|"
    r"(?:kirim|hantar|htr|hntr|antar|pos)(?:kan)?\s+(?:je\s+)?ke|pindah(?:in|kan)\s+ke|"
    r"(?:tukar|ganti|ubah)(?:kan)?\s+(?:ke|kpd|kepada|jd|jadi)\b|"
    r"(?:tukar|ganti|ubah)(?:kan)?\s+(?:ke\s+)?alamat(?![^.!?\n]{0,50}?\b(?:ke|jadi|jd|menjadi|kepada|kpd)\b)|"
    r"(?:order|parcel|package|it)\s+(?:go|be\s+sent|be\s+delivered|be\s+shipped)\s+to|(?:needs?\s+to|should|must)\s+go\s+to|"
    r"(?:địa\s*chỉ|dia\s*chi|đ/c|dc)[^.!?\n]{0,50}?(?:sang|thành|thanh|qua|là|la|về|ve|mới|moi)(?![a-zà-ỹ])|"
    r"(?:giao|gửi|gui|ship)\s+(?:về|ve|đến|den|tới|toi|qua)(?![a-zà-ỹ])|"
    r"(?:ที่อยู่|address|addr)[^\n]{0,40}?(?:เป็น|เปน|ไปที่|ใหม่)|(?:ส่ง|จัดส่ง)(?:ไป)?ที่|ส่งไป|ที่อยู่(?=\s*\d)|"
    r"(?:address|addr)[^.!?\n]{0,50}?\b(?:sa|into|ng)\b|"
    r"(?:ipadala|i-deliver|ideliver|dalhin|ipapadala)\s+(?:na\s+lang\s+)?(?:po\s+)?sa|"
    r"(?:bagong|new)\s+(?:address|add|addr)(?:\s+ko)?(?:\s+po)?(?:\s+ay)?|"
    # A label and a colon: "Alamat baru sy:", "alamat ofis:", "New:", "address yung O6621:", "địa chỉ nhận:".
    r"(?:address|addr|alamat|địa\s*chỉ|dia\s*chi|ที่อยู่|地址|new)[^:：\n.!?]{0,25}[:：]"
    r")\s*[:：]?\s*")
# Words and courtesies that end a message but not an address (Latin ones after a space, so "City" keeps its "ty").
_ADDRESS_TAIL = re.compile(
    r"(?i)(?:(?:[\s,，]+(?:instead|please|pls|plz|thanks?(?:\s+you)?|thx|ty|asap|ok|okay|ya|yah|yaa|ye|yer|kak|kakak|min|"
    r"gan|sis|bos|boss|bro|tq|thank\s+u|terima\s+kasih|makasih|nha|nhé|nhe|ạ|shop|ơi|oi|nhaa|với|voi|"
    r"giúp\s+(?:mình|minh|e|em|tôi|toi)|giup\s+(?:minh|e|em|toi)|po|"
    r"naman|lang|salamat|hehe+|haha+|wkwk+)|[\s,，]*(?:ครับ|ค่ะ|ค่าา+|คะ|นะ|นะคะ|นะครับ|(?<!เ)จ้า|ด้วย|ขอบคุณ(?:ครับ|ค่ะ)?|谢谢|谢了|哈|哦|呢|吧|啊|呀|"
    r"麻烦了|辛苦了|[\U0001F300-\U0001FAFF\u2600-\u27BF]))[\s!?.。！？~\uFE0F]*)+$")
# Where an address ends: a question or exclamation, a line's end, a Thai courtesy, a label and its colon ("Penerima:
# Aisyah", "Nama: Jessica"), the words for the recipient or their phone, a clause's first word in a language that
# spaces words ("… 65314 aja gk"); full stops are judged apart (_address_end).
_ADDRESS_END = re.compile(
    r"[!?！？。\n]|\s[-–—]\s|(?i:\s*(?:ครับ|ค่ะ|ค่าา+|คะ|นะคะ|นะครับ|(?<!เ)จ้า|ด่วน|ให้หน่อย|ได้ไหม|ได้มั้ย|แทน))|[,，;；]\s*(?=[\u4e00-\u9fff])|"
    r"[\s,，]+[^\W\d_]+\s*[:：]|"
    r"[\s,，]*(?:收件人|收货人|联系人|电话|手机|姓名|ชื่อ|ผู้รับ|เบอร์|โทร)|"
    r"(?i:[.,，;；]\s*(?=(?:and|also|thanks|thank|pls|please|còn|con|tapi|but|tsaka|saka|terima|makasih|salamat|cảm|cam|"
    r"ขอบคุณ|并且|还有|另外|顺便|order|pesanan|đơn|don|mã|shop|hehe|haha)\b))|"
    r"[\s,，]+(?=(?:(?i:a\.n\.|u/p|atas\s+nama|soalnya|karena|krn|kalau|kalo|klo|harap|biar|aja|sebab|because|coz|cuz|"
    r"since|instead|nama|penerima|recipient|receiver|contact|no\s+hp|no\s+tel|yung|kasi|sđt|sdt|người\s+nhận|nguoi\s+nhan)|"
    r"an\.|sbb|sy|saya|aku|I|I'm|i|im|my|we|our|hp|tel|kc|em|mình|mik|anh|chị|cảm|order)(?![^\W_]))")
# Words an address abbreviates with a full stop: after any other word a full stop ends it ("…, Selangor. Sy dah").
_ABBREVIATIONS = frozenset("""
jl jln lt gg no kel kec kab prov blk brgy bgy ave st rd blvd subd sta sto dr apt bldg fl flr rm lrg tmn kg bt km sdn
bhd mt ft sr jr dist gen hwy pres tp tx kp rt rw ds dsn perum komp ph ext sec ctr cor nr mr mrs ms kav jend ir kh hj
prof col capt
""".split())
# What a Chinese address is made of: a piece of the message without one of these is not part of it.
_ZH_PLACE = re.compile(r"[省市区县镇乡村路街道巷弄号楼栋室单元座层园苑院]")
_THAI_PLACE = re.compile(
    r"\d|บ้านเลขที่|หมู่|ซอย|ซ\.|ถนน|ถ\.|แขวง|เขต|ตำบล|ต\.|อำเภอ|อ\.|จังหวัด|จ\.|กทม|กรุงเทพ|หอพัก|คอนโด|อาคาร|ตึก|"
    r"บริษัท|ห้อง|ชั้น|หมู่บ้าน|[A-Za-z]")
# The words of streets, units and places an address names, for one found with no words asking for it.
_PLACE_WORDS = re.compile(
    r"(?i)\b(?:jl|jln|jalan|gg|gang|lorong|lrg|taman|tmn|kampung|kg|blok|blk|lot|no|rt|rw|kel|kec|kota|kab|perum|"
    r"perumahan|pangsapuri|kondominium|street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|grove|crescent|close|terrace|"
    r"place|plaza|suite|court|ct|highway|hwy|boulevard|blvd|parkway|unit|apt|floor|brgy|barangay|purok|"
    r"sitio|subd|city|gedung|menara|tingkat|wisma|apartemen|apartment|condo|kondo|tower|building|bldg|villa|kos|"
    r"komplek|ktx|chung\s+cư|tòa|toa|số|soi|đường|duong|phường|phuong|quận|quan|ngõ|ngo|hẻm|hem|tp|huyện|huyen|xã|thôn|thon|tỉnh|tinh)\b|"
    r"[路号省市区]|ถนน|ซอย|หมู่|แขวง|เขต|ตำบล|อำเภอ|จังหวัด")
_POSTCODE = re.compile(r"(?<![\d/-])\d{4,6}(?![\d/-])|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")  # and the UK's "M20 6PL"
# Where an address may begin with no words asking for it: the message's start, a new line, after a colon, a
# question, an exclamation or a sentence.
_CLAUSE_START = re.compile(r"^|\n|[:：?？!！,，]\s*|\.\s+|\s[-–—]\s+|(?:ครับ|ค่ะ|คะ|แอด)\s*")


def new_address(text: str, taken: list[tuple[int, int]] = ()) -> str | None:
    """The address after the words that ask for it ("change the shipping address to …", "改成…", "alamat ke …"), or
    one standing apart (on a line of its own, after a colon or a question); an order id or phone number after it
    (`taken` spans) is not part of it."""
    def before_taken(start: int) -> str:
        return text[start:min([s for s, _ in taken if s >= start] + [len(text)])]

    for m in _ADDRESS_INTRO.finditer(text):
        rest = before_taken(m.end())
        colon = re.search(r"[:：]\s*", rest[:60])
        if colon and not re.search(r"\d", rest[:colon.start()]):
            rest = rest[colon.end():]  # "mohon dikirim ke alamat kantor saja karena …: Gedung Graha Mandiri …"
        # The words after the request may come first: "send it to my office instead? 12F Robinsons Tower …",
        # "ส่งไปบ้านแม่แทน บ้านเลขที่ 17 …"; up to three clauses with no number in them are passed over.
        for skipped in range(4):
            value, resume = _address_value(rest)
            if value and skipped and not address_shaped(value):
                value = None  # "ubah alamat di aplikasi sih?? udh 3x coba error mulu" names no place
            if value or resume is None or re.search(r"\d", rest[:resume]):
                break
            rest = rest[resume:]
        if value:
            return value
    for m in _CLAUSE_START.finditer(text):
        before = re.search(r"([^\W_]+)$", text[:m.start()])
        if m.group().startswith(".") and (not before or before.group().lower() in _ABBREVIATIONS
                                          or len(before.group()) < 2):
            continue  # "Jl. Boulevard …": an abbreviation's full stop begins nothing
        raw = before_taken(m.end())
        value, _ = _address_value(raw)
        # Standing apart, an address begins a line, or with a number or a place word ("Kung pwede pa, 1024 Taft
        # Ave., …"), where the clause begins; "pindah ke Jl. …" (I moved to) asks for nothing.
        first = value.split()[0] if value else ""
        if not raw.lstrip().startswith(first) and not re.match(r"[\u4e00-\u9fff]", first):
            continue  # (a Chinese address is picked out of the words around it: _zh_place)
        if value and address_shaped(value) and (re.search(r"\d", first) or _PLACE_WORDS.match(first)):
            return value
    return None


def address_shaped(value: str) -> bool:
    """Whether a value reads as an address with no words around it to say so: a postcode after a number or with a
    place word, or two place words, in four parts or more; a Chinese one with three place characters and a number."""
    places = len(_PLACE_WORDS.findall(value))
    if re.match(r"[\u4e00-\u9fff]", value):
        return places >= 3 and bool(re.search(r"\d", value))  # "上海市浦东新区张江镇祖冲之路887弄5号楼302室"
    # A house number and a postcode after it: "8 Marina View, #20-01, S018960" (not "3000 diem tich luy …").
    number = re.match(r"\d\S*", value)
    numbered = bool(number and _POSTCODE.search(value, number.end()))
    return (bool(_POSTCODE.search(value)) and places >= 1 or numbered or places >= 2) and len(
        [p for p in re.split(r"[,，\s]+", value) if p]) >= 4


def _address_end(rest: str) -> tuple[int, int] | None:
    """Where the address at the start of `rest` ends: _ADDRESS_END, or a full stop after a number of four digits or a
    word that is not an abbreviation ("Jl. Melati No. 12" goes on; "…, Selangor. Sy dah pindah" ends)."""
    ends = []
    m = _ADDRESS_END.search(rest)
    if m:
        ends.append((m.start(), max(m.end(), m.start() + 1)))
    for stop in re.finditer(r"\.(?=\s|$)", rest):
        word = re.search(r"([^\W_]+)$", rest[:stop.start()])
        if word and (word.group().isdigit() and len(word.group()) >= 4 or not word.group().isdigit()
                     and len(word.group()) >= 2 and re.match(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+$", word.group())
                     and word.group().lower() not in _ABBREVIATIONS):
            ends.append((stop.start(), stop.end()))
            break
    return min(ends) if ends else None


def _address_value(rest: str) -> tuple[str | None, int | None]:
    """The address at the start of `rest` (None when it names no place: a number and at least two parts, a Chinese
    one of six characters or more, or three place words), and where the text after its end resumes."""
    end = _address_end(rest)
    value = rest[:end[0]] if end is not None else rest
    value = _ADDRESS_TAIL.sub("", value).strip(" \t:：,，.。'\"“”()（）")
    value = _ADDRESS_TAIL.sub("", _lowercase_tail(_lowercase_head(value))).strip(" \t:：,，.。")
    value = _thai_place(_zh_place(value))
    parts = [p for p in re.split(r"[,，\s]+", value) if p]
    if re.search(r"\d", value) and (len(parts) >= 2 or len(value) >= 6) or (
            len(_PLACE_WORDS.findall(value)) >= 3 and len(re.split(r"[,，]", value)) >= 3):
        return value, end and end[1]
    return None, end and end[1]


def _capitalised(words: list[re.Match]) -> bool:
    return sum(1 for w in words if w.group()[0].isupper()) >= 2


def _lowercase_tail(value: str) -> str:
    """A capitalised address without the lower-case words after its last part ("…, Jawa Timur 65314 aja gk" →
    "…, Jawa Timur 65314"): words in lower case with no digit, after a part with a digit or a capital."""
    words = list(re.finditer(r"[^\s,，]+", value))
    if not _capitalised(words):
        return value
    keep = len(words)
    while keep and words[keep - 1].group().islower() and not re.search(r"\d", words[keep - 1].group()):
        keep -= 1
    return value[:words[keep - 1].end()].rstrip(" ,，.") if 0 < keep < len(words) else value


def _lowercase_head(value: str) -> str:
    """A capitalised address without the lower-case words before it that lead to it ("bahay ng mama ko sa Sitio
    Malinis, …", "new add ko po ay Door 3, …"): a run of lower-case words ending in a word for "at" or "is"."""
    words = list(re.finditer(r"[^\s,，]+", value))
    if not _capitalised(words):
        return value
    lead = 0
    while lead < len(words) and words[lead].group().islower() and not re.search(r"\d", words[lead].group()):
        lead += 1
    if 0 < lead < len(words) and words[lead - 1].group() in ("sa", "ke", "to", "at", "kat", "di", "ay", "is"):
        return value[words[lead].start():]
    return value


def _thai_place(value: str) -> str:
    """A Thai address among words around it ("บ้านแม่แทน บ้านเลขที่ 17 หมู่ 8 … 41000 ชื่อผู้รับ"): from the first to the
    last space-separated piece with a number or a place word; other values unchanged."""
    if not re.search(r"[\u0e00-\u0e7f]", value):
        return value
    pieces = value.split()
    placed = [bool(_THAI_PLACE.search(p)) for p in pieces]
    if not any(placed):
        return value
    first = placed.index(True)
    last = len(placed) - 1 - placed[::-1].index(True)
    return " ".join(pieces[first:last + 1])


def _zh_place(value: str) -> str:
    """A Chinese address among words around it ("学校吧 湖北省武汉市…东区 谢谢亲亲"): from the first to the last
    space-separated piece that names a place (省, 市, 路, 号 …) or holds a number ("望京SOHO T3 1608室", "9-3-2");
    other values unchanged."""
    pieces = value.split()
    if len(pieces) < 2 or not re.search(r"[\u4e00-\u9fff]", value):
        return value
    placed = [bool(_ZH_PLACE.search(p) or re.search(r"\d", p)) for p in pieces]
    if not any(placed):
        return value
    first = placed.index(True)
    last = len(placed) - 1 - placed[::-1].index(True)
    return " ".join(pieces[first:last + 1])
