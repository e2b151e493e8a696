"""Dates written in a message, as ISO dates: "11.11", "12月12日", "25/11/69" (Buddhist era), "3 tháng 12", "Dec 3rd"."""

from __future__ import annotations

import re
from datetime import date

DEFAULT_YEAR = 2026

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


def dates(text: str, language: str | None, taken: list[tuple[int, int]]) -> list[str]:
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
