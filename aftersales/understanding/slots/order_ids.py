"""Order ids and phone numbers in a message, by their shape and the words around them.

Order ids are found by their shape (the shop's own O1004, the long numeric ids of Tmall, JD, Douyin and Lazada, a
Shopee order SN, a Tokopedia invoice), whatever words and script surround them; a number is an order id only when it
cannot be a phone number.
"""

from __future__ import annotations

import re

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
# A parcel's tracking (waybill) number: after the words for one, or by a carrier's prefix. "运单号 SF…" is no order id.
_TRACKING_WORDS = re.compile(
    r"(?i)(?:运单号?|快递单号?|物流单号?|快递号|tracking\s*(?:no\.?|number|id|code|#)?|waybill\s*(?:no\.?|number)?|awb|"
    r"(?:no\.?\s*)?resi|m[aã]\s*v[aậ]n\s*đ?[oơ]n|s[oố]\s*v[aậ]n\s*đ?[oơ]n|v[aậ]n\s*đ[oơ]n|van\s*don|"
    r"เลขพัสดุ|หมายเลขพัสดุ|เลขติดตาม(?:พัสดุ)?|หมายเลขติดตาม)"
    r"\s*(?:是|là|la|is|ko|ng|nya|:|：|#)?\s*[:：#]?\s*([A-Za-z]{0,6}\d[A-Za-z0-9]{7,29})(?![A-Za-z0-9])")
_CARRIER = re.compile(_ALNUM_EDGE_L + r"(?:SF|JT|YT|ZTO|STO|YD|JD[A-Z]{0,2}|SPX[A-Z]{0,3}|LEX[A-Z]{0,4}|NJV[A-Z]{0,4}|"
                      r"KERRY|FLASH|TH)\d{9,15}" + _ALNUM_EDGE_R)
_PHONE_WORDS = re.compile(
    r"(?i)(电话|手机|联系方式|phone|mobile|tel\b|contact|call\s+me|call\b|whatsapp\s+me|hp\b|no\.?\s*hp|nomor|nombor|telefon|whatsapp|wa\b|"
    r"sđt|sdt|số\s*điện\s*thoại|so\s*dien\s*thoai|เบอร์|โทร|cp\b|cellphone|numero|number\s*ko)")
_PHONE = re.compile(
    r"(?<![\dA-Za-z])(\+\d{1,3}[\s\-]?\(?\d{1,4}\)?(?:[\s\-]?\d{2,5}){2,4}|1[3-9]\d{9}|"
    r"0\d{1,4}(?:[\s\-]?\d{2,5}){1,4}|[689]\d{3}[\s\-]?\d{4})(?![\dA-Za-z])")


def phones(text: str) -> list[tuple[int, int, str]]:
    """(start, end, as written) of phone numbers: by their shape, or any number the words for phone precede."""
    found = []
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        before = text[max(0, m.start() - 24):m.start()]
        # Singapore's numbers have eight digits: one after the words for a phone ("call me 91234567").
        if not (9 <= len(digits) <= 15 or len(digits) == 8 and digits[0] in "689" and _PHONE_WORDS.search(before)):
            continue
        # A 12-digit JD id never starts with 0 or +; a local number starting with 0 is a phone unless an order word
        # stands right before it (not "order O1088 to 012-345 6789").
        if m.group().startswith(("+", "1")) or _PHONE_WORDS.search(before) or not any(
                o.end(1) > len(before) for o in _ORDER_WORDS.finditer(before + m.group())):
            found.append((m.start(), m.end(), m.group()))
    return found


def tracking_numbers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, as written) of parcel tracking numbers: after the words for one, or by a carrier's prefix."""
    found = {m.start(1): (m.start(1), m.end(1), m.group(1)) for m in _TRACKING_WORDS.finditer(text)
             if sum(ch.isdigit() for ch in m.group(1)) >= 6}
    for m in _CARRIER.finditer(text):
        found.setdefault(m.start(), (m.start(), m.end(), m.group()))
    return sorted(found.values())


def order_id(text: str, phones: list[tuple[int, int, str]],
             tracking: list[tuple[int, int, str]] = ()) -> str | None:
    """The first order id in text order; a number inside a phone or a tracking number is not one."""
    def taken(start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e, _ in [*phones, *tracking])

    candidates: list[tuple[int, str]] = []
    for pattern in (_TOKOPEDIA, _SHOP, _SHOPEE, _LONG_NUMBER):
        for m in pattern.finditer(text):
            if not taken(m.start(), m.end()):
                candidates.append((m.start(), m.group()))
    for m in _ORDER_WORDS.finditer(text):
        value = m.group(1).rstrip("-")
        if sum(ch.isdigit() for ch in value) >= 4 and not taken(m.start(1), m.end(1)):
            candidates.append((m.start(1), value))
    if not candidates:
        return None
    start, value = min(candidates, key=lambda c: (c[0], -len(c[1])))
    return value


# What OCR mistakes for what on a screen: the letter O and the digit 0, I, l and 1, S and 5, B and 8, Z and 2.
_LOOKALIKE = {c: group for group in ("O0Q", "I1L", "S5", "B8", "Z2") for c in group}


def written_order(text: str, order_ids: list[str], read: bool = False) -> str | None:
    """Which of `order_ids` (a customer's own) the message writes, in any phrasing and whatever the shop's id format:
    case aside, spaces, dashes and dots between its characters allowed ("kf en 261114", "9023 4561 202"); the first
    written wins. Ids shorter than four characters are never looked for. `read`: the text was read off a picture,
    so characters OCR confuses stand for each other ("01042" on a screenshot is O1042), where no id is written
    exactly."""
    found = []
    for lookalike in (False, True) if read else (False,):
        for order_id in order_ids:
            chars = [c for c in order_id if c.isalnum()]
            if len(chars) < 4:
                continue
            pattern = r"[\s\-_.]?".join(_char(c, lookalike) for c in chars)
            m = re.search(rf"(?i)(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])", text)
            if m:
                found.append((m.start(), -len(chars), order_id))
        if found:
            break
    return min(found)[2] if found else None


def _char(c: str, lookalike: bool) -> str:
    group = _LOOKALIKE.get(c.upper()) if lookalike else None
    return f"[{group}]" if group else re.escape(c)
