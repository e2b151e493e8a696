"""Chinese script: Whisper often writes Mandarin in Traditional characters; shops on the mainland want Simplified."""

from __future__ import annotations

import functools
import re

# CJK Unified Ideographs (extension A and the compatibility block too): a cheap test that skips the converter for
# text with no Hanzi at all.
_HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def has_hanzi(text: str) -> bool:
    """Whether `text` holds a Chinese character."""
    return bool(_HANZI.search(text))


@functools.lru_cache(maxsize=1)
def _converter():
    import opencc

    # "t2s": OpenCC's phrase-aware Traditional → Simplified (not a character table: 乾淨 → 干净 but 乾隆 stays).
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters → Simplified; text without Hanzi is returned unchanged."""
    if not text or not has_hanzi(text):
        return text
    return _converter().convert(text)
