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
    r"(?i)(电话|手机|联系方式|phone|mobile|tel\b|contact|hp\b|no\.?\s*hp|nomor|nombor|telefon|whatsapp|wa\b|"
    r"sđt|sdt|số\s*điện\s*thoại|so\s*dien\s*thoai|เบอร์|โทร|cp\b|cellphone|numero|number\s*ko)")
_PHONE = re.compile(
    r"(?<![\dA-Za-z])(\+\d{1,3}[\s\-]?\(?\d{1,4}\)?(?:[\s\-]?\d{2,5}){2,4}|1[3-9]\d{9}|"
    r"0\d{1,4}(?:[\s\-]?\d{2,5}){1,4})(?![\dA-Za-z])")


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
        if not 9 <= len(digits) <= 15:
            continue
        before = text[max(0, m.start() - 24):m.start()]
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
_PREFIX = r"(?:S\$|US\$|\$|¥|￥|RM|Rp\.?|฿|₫|₱|PHP|USD|SGD|MYR|IDR|THB|VND|CNY|RMB|Php|P(?=\d))"
_SUFFIX = (r"(?:元|块钱|块|圆|rmb|yuan|cny|usd|dollars?|bucks|sgd|ringgit|myr|rupiah|idr|rb|ribu|jt|juta|k|"
           r"บาท|baht|thb|\.-|đồng|dong|đ|vnđ|vnd|nghìn|nghin|ngàn|ngan|tr|triệu|trieu|pesos?|php)")
_AMOUNT = re.compile(
    rf"(?i)(?:(?<![A-Za-z0-9]){_PREFIX}\s?({_NUM})(\s?(?:k|rb|ribu|jt|juta)\b)?|"
    rf"(?<![A-Za-z0-9.,])({_NUM})\s?{_SUFFIX}(?![A-Za-z0-9À-ỹ]))")
# A number with two decimals is a price wherever it stands ("bought it for 39.99, now 29.99"), unless a date unit
# follows it.
_DECIMAL = re.compile(r"(?<![\w.,/:\-])(\d{1,6}\.\d{2})(?![\w/:\-]|[.,]\d|\s?(?:号|日|月))")
# Chinese price words followed by a bare number, in digits or in Chinese numerals: "低了二十", "降價三百",
# "每满200减25", "付180关税", "差价30".
_ZH_NUMERAL = "零〇一二两三四五六七八九十百千万"
_ZH_MONEY = re.compile(
    rf"(?:降了|降价了?|降價了?|低了|便宜了|贵了|差价|差價|少了|满|减|付了?|补了?|退了?|花了|卖|賣|优惠了?)"
    rf"\s?(\d+(?:\.\d{{1,2}})?|[{_ZH_NUMERAL}]+)(?![\d{_ZH_NUMERAL}]|\s?(?:天|号|日|月|年|件|个|次|小时|分钟|%|折))")
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

    for m in _DECIMAL.finditer(text):
        if free(m.start(1), m.end(1)):
            cents = _number(m.group(1), language)
            if cents:
                spans.append((m.start(1), m.end(1)))
                found.append((m.start(1), cents))
    for m in _ZH_MONEY.finditer(text):
        if free(m.start(1), m.end(1)):
            written = m.group(1)
            cents = _number(written, language) if written[0].isdigit() else (zh_number(written) or 0) * 100
            if cents:
                spans.append((m.start(1), m.end(1)))
                found.append((m.start(1), cents))
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
    ("numeric", re.compile(r"(?<![\d.,/:])(\d{1,2})([/.\-])(\d{1,2})(?:\2(\d{2,4}))?(?![\d:/]|[.,]\d)")),
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
    if sep in ".-" and language not in ("zh",) and year is None and sep == ".":
        return None  # "4.5" is a rating or a decimal outside Chinese, where 11.11 is the shopping festival
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
    r"(?:order|parcel|package|it)\s+(?:go|be\s+sent|be\s+delivered|be\s+shipped)\s+to|"
    r"(?:địa\s*chỉ|dia\s*chi|đ/c|dc)[^.!?\n]{0,50}?(?:sang|thành|thanh|qua|là|la|về|ve|mới|moi)(?![a-zà-ỹ])|"
    r"(?:giao|gửi|gui|ship)\s+(?:về|ve|đến|den|tới|toi|qua)(?![a-zà-ỹ])|"
    r"ที่อยู่[^\n]{0,40}?(?:เป็น|ไปที่|ใหม่)|(?:ส่ง|จัดส่ง)(?:ไป)?ที่|"
    r"(?:address|addr)[^.!?\n]{0,50}?\b(?:sa|into|ng)\b|(?:ipadala|i-deliver|ideliver|dalhin|ipapadala)\s+(?:na\s+lang\s+)?sa|"
    r"bagong\s+address(?:\s+ko)?(?:\s+ay)?|"
    # A label and a colon: "Alamat baru sy:", "alamat ofis:", "New:", "address yung O6621:", "địa chỉ nhận:".
    r"(?:address|addr|alamat|địa\s*chỉ|dia\s*chi|ที่อยู่|地址|new)[^:：\n.!?]{0,25}[:：]"
    r")\s*[:：]?\s*")
# Words and courtesies that end a message but not an address (Latin ones after a space, so "City" keeps its "ty").
_ADDRESS_TAIL = re.compile(
    r"(?i)(?:(?:[\s,，]+(?:instead|please|pls|plz|thanks?(?:\s+you)?|thx|ty|asap|ok|okay|ya|yah|yaa|ye|yer|kak|kakak|min|"
    r"gan|sis|bos|boss|bro|tq|terima\s+kasih|makasih|nha|nhé|nhe|ạ|shop|ơi|oi|nhaa|với|voi|giúp\s+mình|giup\s+minh|po|"
    r"naman|lang|salamat|hehe+|haha+|wkwk+)|[\s,，]*(?:ครับ|ค่ะ|คะ|นะ|นะคะ|นะครับ|จ้า|ด้วย|ขอบคุณ(?:ครับ|ค่ะ)?|谢谢|谢了|哈|哦|呢|吧|啊|呀|"
    r"麻烦了|辛苦了|[\U0001F300-\U0001FAFF\u2600-\u27BF]))[\s!?.。！？~\uFE0F]*)+$")
# Where an address ends. Addresses hold periods ("Jl. Melati No. 12", "Brgy. San Isidro"): a period ends one after a
# word of five letters or more or a number of four digits ("…, Selangor. Sy dah pindah", "… 55281. a.n. Rina"), or
# before a clause's first word; so does a label and its colon ("Penerima: Aisyah", "Nama: Jessica"), the words for
# the recipient or their phone, and a clause's first word in a language that spaces words ("… 65314 aja gk").
_ADDRESS_END = re.compile(
    r"[!?！？。\n]|(?i:\s*(?:ครับ|ค่ะ|คะ|นะคะ|นะครับ|จ้า|ด่วน))|[,，;；]\s*(?=[\u4e00-\u9fff])|"
    r"(?<=[^\W\d_]{5})\.(?=\s)|(?<=\d{4})\.(?=\s)|"
    r"[\s,，]+[^\W\d_]+\s*[:：]|"
    r"[\s,，]*(?:收件人|收货人|联系人|电话|手机|姓名|ผู้รับ|เบอร์|โทร)|"
    r"(?i:[.,，;；]\s*(?=(?:and|also|thanks|thank|pls|please|còn|con|tapi|but|tsaka|saka|terima|makasih|salamat|cảm|cam|"
    r"ขอบคุณ|并且|还有|另外|顺便|order|pesanan|đơn|don|mã|shop|hehe|haha)\b))|"
    r"[\s,，]+(?=(?:(?i:a\.n\.|an\.|u/p|atas\s+nama|soalnya|karena|krn|kalau|kalo|klo|sy|saya|aku|harap|biar|aja|sebab|"
    r"sbb|because|coz|cuz|since|i|i'm|im|my|we|our|nama|penerima|recipient|receiver|contact|hp|no\s+hp|no\s+tel|tel|"
    r"yung|kasi|kc|sđt|sdt)|em|mình|mik|anh|chị|cảm)(?![^\W_]))")
# What a Chinese address is made of: a piece of the message without one of these is not part of it.
_ZH_PLACE = re.compile(r"[省市区县镇乡村路街道巷弄号楼栋室单元座层园苑院]")
# An address on a line of its own, with no words asking for it: the words of streets, units and places it names.
_PLACE_WORDS = re.compile(
    r"(?i)\b(?:jl|jln|jalan|gg|gang|lorong|lrg|taman|tmn|kampung|kg|blok|blk|lot|no|rt|rw|kel|kec|kota|kab|perum|"
    r"perumahan|pangsapuri|kondominium|street|st|road|rd|avenue|ave|lane|drive|unit|apt|floor|brgy|barangay|purok|"
    r"city|soi|đường|duong|phường|phuong|quận|quan|ngõ|ngo|hẻm|hem|tp|huyện|huyen|xã|xa)\b|[路号省市区]|ถนน|ซอย|หมู่|แขวง|เขต|ตำบล|อำเภอ|จังหวัด")
_POSTCODE = re.compile(r"(?<![\d/-])\d{4,6}(?![\d/-])")


def new_address(text: str, taken: list[tuple[int, int]] = ()) -> str | None:
    """The address after the words that ask for it ("change the shipping address to …", "改成…", "alamat ke …"), or
    on a line of its own; an order id or phone number after it (`taken` spans) is not part of it."""
    for m in _ADDRESS_INTRO.finditer(text):
        start = m.end()
        stop = min([s for s, _ in taken if s >= start] + [len(text)])
        rest = text[start:stop]
        colon = re.search(r"[:：]\s*", rest[:60])
        if colon and not re.search(r"\d", rest[:colon.start()]):
            rest = rest[colon.end():]  # "mohon dikirim ke alamat kantor saja karena …: Gedung Graha Mandiri …"
        value = _address_value(rest)
        if value:
            return value
    for line in text.splitlines():
        value = _address_value(line)
        if value and (_POSTCODE.search(value) or len(_PLACE_WORDS.findall(value)) >= 2) and len(
                re.split(r"[,，]", value)) >= 3:
            return value
    return None


def _address_value(rest: str) -> str | None:
    """The address at the start of `rest`: up to where it ends, without the courtesies and the lower-case clause
    after a capitalised address; None when it names no place (a number and at least two parts, or a Chinese one of
    six characters or more)."""
    end = _ADDRESS_END.search(rest)
    value = rest[:end.start()] if end else rest
    value = _ADDRESS_TAIL.sub("", value).strip(" \t:：,，.。'\"“”()（）")
    value = _zh_place(_ADDRESS_TAIL.sub("", _lowercase_tail(value)).strip(" \t:：,，.。"))
    parts = [p for p in re.split(r"[,，\s]+", value) if p]
    if re.search(r"\d", value) and (len(parts) >= 2 or len(value) >= 6):
        return value
    return None


def _lowercase_tail(value: str) -> str:
    """A capitalised address without the lower-case words after its last part ("…, Jawa Timur 65314 aja gk" →
    "…, Jawa Timur 65314"): words in lower case with no digit, after a part with a digit or a capital."""
    words = list(re.finditer(r"[^\s,，]+", value))
    if sum(1 for w in words if w.group()[0].isupper()) < 2:
        return value
    keep = len(words)
    while keep and words[keep - 1].group().islower() and not re.search(r"\d", words[keep - 1].group()):
        keep -= 1
    return value[:words[keep - 1].end()].rstrip(" ,，.") if 0 < keep < len(words) else value


def _zh_place(value: str) -> str:
    """A Chinese address among words around it ("学校吧 湖北省武汉市…东区 谢谢亲亲"): the run of space-separated
    pieces that name places (省, 市, 路, 号 …); other values unchanged."""
    pieces = value.split()
    if len(pieces) < 2 or not re.match(r"[\u4e00-\u9fff]", value):
        return value
    placed = [bool(_ZH_PLACE.search(p)) for p in pieces]
    if not any(placed):
        return value
    first = placed.index(True)
    last = first
    while last + 1 < len(pieces) and placed[last + 1]:
        last += 1
    return " ".join(pieces[first:last + 1])
