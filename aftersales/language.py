"""Which language a message is in, from its script and, for Latin script, its function words."""

from __future__ import annotations

import re
from collections.abc import Mapping

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
# Letters only Vietnamese uses among the languages kefu serves (đ, ơ, ư and the stacked tone marks).
_VIETNAMESE = re.compile(r"[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:'[a-z]+)?")
# Chinese text often carries Latin order ids and brand names, so Han wins once it has a character per Latin word.
_HAN_PER_WORD = 1.0


def normalize_language(code: str | None) -> str | None:
    """"zh-CN" → "zh", "EN" → "en", "fil-PH" → "fil"; None and blanks → None."""
    if not code or not code.strip():
        return None
    return re.split(r"[-_]", code.strip().lower())[0] or None


def detect_language(text: str, latin_words: Mapping[str, frozenset[str]]) -> str | None:
    """ISO 639-1 code (fil for Filipino) of `text`, None when it has no letters to judge by.

    `latin_words` maps a Latin-script language to its function words; the language with most of them in the text wins,
    English on a tie or when none is found.
    """
    han = len(_HAN.findall(text))
    kana = len(_KANA.findall(text))
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    if kana:
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if _THAI.search(text):
        return "th"
    if han and han >= len(words) * _HAN_PER_WORD:
        return "zh"
    if not words:
        return None
    if _VIETNAMESE.search(text):
        return "vi"
    votes = {lang: sum(w in vocab for w in words) for lang, vocab in latin_words.items()}
    best = max(votes.values(), default=0)
    if best == 0 or votes.get("en", 0) == best:
        return "en"
    # Malay and Indonesian share most function words, so the words only one of them uses decide; a tie reads Indonesian.
    return next(lang for lang, n in votes.items() if n == best)
