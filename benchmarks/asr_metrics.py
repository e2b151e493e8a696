"""Speech-recognition error rates: text normalisation for English and Chinese, corpus-level WER and CER."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Callable, Sequence

Normalizer = Callable[[str], str]


class MetricError(ValueError):
    """The references and hypotheses cannot be scored (different counts, or no reference text at all)."""


# ------------------------------------------------------------------------------------------------------------ English

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def english_number(n: int) -> str:
    """0-100 in words, as a speaker says them: 42 → "forty two" (no hyphen: normalisation splits on hyphens)."""
    if not 0 <= n <= 100:
        raise MetricError(f"only 0-100 are spelled out, not {n}")
    if n == 100:
        return "one hundred"
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] if ones == 0 else f"{_TENS[tens]} {_ONES[ones]}"


_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DOLLARS = re.compile(r"\$\s*(\d+)")
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
_NOT_WORD = re.compile(r"[^\w\s]|_")
_DIGITS_LETTERS = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")


def normalize_en(text: str) -> str:
    """Lowercase words separated by single spaces: no punctuation, and 0-100 written as words ("5" → "five").

    "Don't" and "dont" agree (apostrophes inside words are dropped), "$20" reads "twenty dollars", "15%" reads
    "fifteen percent", hyphenated words split ("duty-free" → "duty free") so "twenty-one" matches "21".
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _THOUSANDS_COMMA.sub("", text)
    text = _DOLLARS.sub(r"\1 dollars", text)
    text = text.replace("%", " percent ").replace("&", " and ")
    text = _APOSTROPHE.sub("", text)
    text = _NOT_WORD.sub(" ", text)
    text = _DIGITS_LETTERS.sub(" ", text)
    words = [english_number(int(w)) if w.isdigit() and int(w) <= 100 else w for w in text.split()]
    return " ".join(words)


# ------------------------------------------------------------------------------------------------------------ Chinese

_ZH_DIGITS = "零一二三四五六七八九"
_ZH_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_ZH_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# "两百" and "二百" are the same number; Whisper writes digits, which normalise to 二.
_LIANG = re.compile(r"两(?=[百千万])")


def chinese_number(digits: str) -> str:
    """Arabic digits → how they are read in Mandarin: "15" → "十五", "305" → "三百零五", "3.5" → "三点五".

    Up to four digits (no leading zero) are read as a number; longer runs (order and phone numbers) digit by digit.
    """
    whole, _, fraction = digits.partition(".")
    if not whole.isascii() or not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise MetricError(f"not a decimal number: {digits!r}")
    spoken = _chinese_integer(whole) if len(whole) <= 4 and (whole == "0" or not whole.startswith("0")) else (
        "".join(_ZH_DIGITS[int(d)] for d in whole)
    )
    if fraction:
        spoken += "点" + "".join(_ZH_DIGITS[int(d)] for d in fraction)
    return spoken


def _chinese_integer(whole: str) -> str:
    n = int(whole)
    if n == 0:
        return "零"
    out, pending_zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if pending_zero:
                out += "零"
            out += _ZH_DIGITS[digit] + unit
            pending_zero = False
        elif out:
            pending_zero = True
    # 10-19 are read 十, 十一 ... not 一十, 一十一.
    return out[1:] if out.startswith("一十") else out


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize_zh(text: str) -> str:
    """Chinese characters only, in Simplified script: no punctuation or spaces, Arabic numbers read out in Chinese.

    Full-width forms are folded (NFKC), Latin letters lowercased, "3天" → "三天", "20%" → "百分之二十".
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ZH_PERCENT.sub(lambda m: "百分之" + chinese_number(m.group(1)), text)
    text = _ZH_NUMBER.sub(lambda m: chinese_number(m.group(0)), text)
    text = _t2s().convert(text)
    text = _LIANG.sub("二", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


# ------------------------------------------------------------------------------------------------------------- scoring


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance: the fewest substitutions, deletions and insertions that turn `ref` into `hyp`."""
    if len(hyp) > len(ref):
        # Same distance either way round; the shorter one as the row keeps memory at O(min(n, m)).
        ref, hyp = hyp, ref
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def error_rate(
    refs: Sequence[str], hyps: Sequence[str], tokenize: Callable[[str], Sequence[str]], normalize: Normalizer | None
) -> float:
    """Σ edit distance / Σ reference length over the whole corpus (not a mean of per-note rates).

    Raises:
        MetricError: Different numbers of references and hypotheses, or references with no tokens at all.
    """
    if isinstance(refs, str) or isinstance(hyps, str):
        raise MetricError("refs and hyps must be sequences of strings, not single strings")
    if len(refs) != len(hyps):
        raise MetricError(f"{len(refs)} references but {len(hyps)} hypotheses")
    edits = total = 0
    for ref, hyp in zip(refs, hyps):
        if normalize is not None:
            ref, hyp = normalize(ref), normalize(hyp)
        ref_tokens, hyp_tokens = tokenize(ref), tokenize(hyp)
        edits += edit_distance(ref_tokens, hyp_tokens)
        total += len(ref_tokens)
    if total == 0:
        raise MetricError("the references hold no text to score against")
    return edits / total


def wer(refs: Sequence[str], hyps: Sequence[str], *, normalize: Normalizer | None = normalize_en) -> float:
    """Corpus word error rate; can exceed 1 when the hypotheses insert words. See `error_rate`."""
    return error_rate(refs, hyps, str.split, normalize)


def cer(refs: Sequence[str], hyps: Sequence[str], *, normalize: Normalizer | None = normalize_zh) -> float:
    """Corpus character error rate (every character counts, spaces too unless `normalize` drops them)."""
    return error_rate(refs, hyps, list, normalize)
