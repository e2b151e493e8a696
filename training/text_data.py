"""The labelled chat corpus of kefu's text model: loading, the held-out split, and training-time augmentation."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

logger = logging.getLogger("kefu.training")

CORPUS = Path(__file__).resolve().parent / "text_corpus"
LANGUAGES = ("zh", "en", "id", "th", "vi", "ms", "fil")
INTENTS = ("logistics_status", "price_protection", "coupon_question", "return_refund", "defect_complaint", "exchange",
           "address_change", "size_fit", "duty_tax", "product_question", "ask_human", "greeting_thanks", "other")
EMOTIONS = ("angry", "anxious", "neutral", "happy")
SLOT_NAMES = ("order_id", "sku", "amount", "date", "phone")
TEST_SHARE, VAL_SHARE = 0.2, 0.1
NOISY_SEED = 20261125


@dataclass(frozen=True)
class Utterance:
    """One labelled message.

    Attributes:
        text: The message, NFKC-normalised (what the model sees; slot offsets point into it).
        language: Language code, one of LANGUAGES.
        intent: One of INTENTS.
        emotion: One of EMOTIONS.
        slots: (name, start, end) character spans of slot values, in order of appearance.
    """

    text: str
    language: str
    intent: str
    emotion: str
    slots: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class Split:
    """The corpus cut three ways; `test` is held out and is never trained or tuned on.

    Attributes:
        train: What the model learns from (augmented).
        val: What epochs are chosen on.
        test: What the shipped model card reports.
    """

    train: list[Utterance]
    val: list[Utterance]
    test: list[Utterance]


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def load_corpus(folder: Path = CORPUS, languages: tuple[str, ...] = LANGUAGES) -> list[Utterance]:
    """Every line of `folder/<lang>.jsonl`, validated; raises ValueError naming file:line on a bad one."""
    utterances = []
    for lang in languages:
        path = Path(folder) / f"{lang}.jsonl"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{where}: not JSON ({exc})") from exc
            if row.get("intent") not in INTENTS or row.get("emotion") not in EMOTIONS:
                raise ValueError(f"{where}: unknown intent or emotion {row.get('intent')!r}/{row.get('emotion')!r}")
            text = nfkc(str(row.get("text", "")))
            if not text.strip():
                raise ValueError(f"{where}: empty text")
            spans = find_spans(text, row.get("slots") or {}, where)
            utterances.append(Utterance(text, lang, row["intent"], row["emotion"], spans))
    return utterances


def find_spans(text: str, slots: dict, where: str) -> tuple[tuple[str, int, int], ...]:
    """Character spans of the slot values: each value's first occurrence at or after the previous value of the same
    name (the corpus orders values within a name only) that does not overlap a span already found."""
    spans: list[tuple[str, int, int]] = []
    for name, values in slots.items():
        if name not in SLOT_NAMES:
            raise ValueError(f"{where}: unknown slot {name!r}")
        after = 0
        for value in values:
            value = nfkc(str(value))
            start = text.find(value, after) if value else -1
            while start >= 0 and any(start < e and s < start + len(value) for _, s, e in spans):
                start = text.find(value, start + 1)
            if start < 0:
                raise ValueError(f"{where}: slot {name} value {value!r} is not in the text {text!r}")
            spans.append((name, start, start + len(value)))
            after = start + len(value)
    return tuple(sorted(spans, key=lambda span: span[1]))


def stable_key(text: str) -> str:
    # Python's hash() is salted per process; the split must be the same on every machine and run.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_corpus(utterances: list[Utterance]) -> Split:
    """Per language and intent, utterances ordered by the sha256 of their text: the first fifth is test, the next
    tenth val, the rest train. Every intent of every language lands in each part."""
    groups: dict[tuple[str, str], list[Utterance]] = {}
    for u in utterances:
        groups.setdefault((u.language, u.intent), []).append(u)
    train, val, test = [], [], []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda u: stable_key(u.text))
        n_test = max(1, round(TEST_SHARE * len(ordered)))
        n_val = max(1, round(VAL_SHARE * len(ordered)))
        test += ordered[:n_test]
        val += ordered[n_test:n_test + n_val]
        train += ordered[n_test + n_val:]
    return Split(train, val, test)


def corpus_digests(folder: Path = CORPUS, languages: tuple[str, ...] = LANGUAGES) -> dict[str, str]:
    """File name → sha256 of each corpus file, so a model card names the exact data it was trained on."""
    return {f"{lang}.jsonl": hashlib.sha256((Path(folder) / f"{lang}.jsonl").read_bytes()).hexdigest()
            for lang in languages}


# --- augmentation -----------------------------------------------------------------------------------------------
# An utterance is cut into pieces (text, slot name or None) so every edit keeps slot spans on their values.

Pieces = list[tuple[str, "str | None"]]

_KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
_NEIGHBOURS = {
    ch: "".join(_KEYBOARD[r][c] for r in (row - 1, row, row + 1) for c in (col - 1, col, col + 1)
                if 0 <= r < 3 and 0 <= c < len(_KEYBOARD[r]) and (r, c) != (row, col))
    for row, keys in enumerate(_KEYBOARD) for col, ch in enumerate(keys)
}
# Emoji and end punctuation that fit an emotion: a 😡 added to a thank-you would teach the wrong thing.
_ENDINGS = {
    "angry": ["!!!", "!!", "?!", " 😡", " 😤", " 🤬", "!!! 😡"],
    "anxious": ["??", "???", " 😭", " 😰", " 🙏", "...", "?? 🙏"],
    "neutral": [".", "?", " ", "~", " 🙏"],
    "happy": ["!", " 😊", " ❤️", " 👍", " 🥰", " :)", "~ 😊"],
}
_PUNCTUATION = set(".,!?;:~…。，！？、")
_VI_LETTERS = {"đ": "d", "Đ": "D"}  # no Unicode decomposition, but typed as d without diacritics


def to_pieces(u: Utterance) -> Pieces:
    pieces: Pieces = []
    at = 0
    for name, start, end in u.slots:
        pieces += [(u.text[at:start], None), (u.text[start:end], name)]
        at = end
    return pieces + [(u.text[at:], None)]


def from_pieces(pieces: Pieces, like: Utterance) -> Utterance:
    text, spans = "", []
    for piece, name in pieces:
        piece = nfkc(piece)
        if name:
            spans.append((name, len(text), len(text) + len(piece)))
        text += piece
    return replace(like, text=text, slots=tuple(spans))


def _is_latin(ch: str) -> bool:
    return ord(ch) < 0x0370 or 0x1E00 <= ord(ch) <= 0x1EFF


def strip_diacritics(text: str) -> str:
    """Latin letters without accents or tone marks ("Đơn hàng" → "Don hang"). Thai vowel signs are combining marks
    too but are letters there, so only marks on a Latin base go."""
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and _is_latin(out[-1]):
            continue
        out.append(_VI_LETTERS.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out))


def typos(text: str, rng: np.random.Generator, rate: float) -> str:
    """Drop, double, swap with the next, or hit a keyboard neighbour of some letters, about `rate` of them."""
    chars = list(text)
    out: list[str] = []
    i = 0
    while i < len(chars):
        ch = chars[i]
        if not ch.isalpha() or rng.random() >= rate:
            out.append(ch)
            i += 1
            continue
        kind = int(rng.integers(4))
        if kind == 0 and len(chars) > 2:
            pass  # dropped
        elif kind == 1:
            out += [ch, ch]
        elif kind == 2 and i + 1 < len(chars):
            out += [chars[i + 1], ch]
            i += 1
        else:
            near = _NEIGHBOURS.get(ch.lower())
            if near:
                new = near[int(rng.integers(len(near)))]
                out.append(new.upper() if ch.isupper() else new)
            else:
                out.append(ch)
        i += 1
    return "".join(out)


def _is_emoji(ch: str) -> bool:
    return ord(ch) >= 0x2600 and unicodedata.category(ch) in ("So", "Sk", "Mn", "Cf") and not ch.isalpha()


def new_slot_value(name: str, language: str, rng: np.random.Generator) -> str:
    """A fresh value of a slot kind, written the way customers of `language` write it."""
    def digits(n: int) -> str:
        return "".join(str(d) for d in rng.integers(0, 10, n))

    pick = lambda options: options[int(rng.integers(len(options)))]  # noqa: E731
    if name == "order_id":
        return pick([f"O{int(rng.integers(1000, 99999))}", f"SHP{digits(10)}", f"2{digits(14)}", f"JD{digits(10)}",
                     f"LZD{digits(10)}", f"O{int(rng.integers(1000, 9999))}"])
    if name == "sku":
        family = pick(["SW", "DR", "HM", "TS", "PT", "JK", "JN", "KD", "SH"])
        return f"KF-{family}-{int(rng.integers(1, 100)):03d}"
    if name == "phone":
        return pick(_PHONES.get(language, _PHONES["en"]))(digits)
    if name == "date":
        day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
        return pick(_DATES.get(language, _DATES["en"]))(day, month)
    value = int(rng.integers(1, 200)) * pick([1, 5, 10, 50])
    return pick(_AMOUNTS.get(language, _AMOUNTS["en"]))(value, rng)


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_TH_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
_TL_MONTHS = ["Enero", "Pebrero", "Marso", "Abril", "Mayo", "Hunyo", "Hulyo", "Agosto", "Setyembre", "Oktubre",
              "Nobyembre", "Disyembre"]
_DATES = {
    "zh": [lambda d, m: f"{m}/{d}", lambda d, m: f"2026-{m:02d}-{d:02d}", lambda d, m: f"{m:02d}/{d:02d}"],
    "en": [lambda d, m: f"{_MONTHS[m - 1]} {d}", lambda d, m: f"{d} {_MONTHS[m - 1]}", lambda d, m: f"{d}/{m}"],
    "id": [lambda d, m: f"tgl {d}", lambda d, m: f"{d}/{m}", lambda d, m: f"tgl {d}/{m}"],
    "th": [lambda d, m: f"{d} {_TH_MONTHS[m - 1]}", lambda d, m: f"{d}/{m}"],
    "vi": [lambda d, m: f"ngày {d}/{m}", lambda d, m: f"ngay {d}/{m}", lambda d, m: f"{d}/{m}"],
    "ms": [lambda d, m: f"{d} hb", lambda d, m: f"{d}/{m}", lambda d, m: f"{d} {_MONTHS[m - 1]}"],
    "fil": [lambda d, m: f"{_MONTHS[m - 1]} {d}", lambda d, m: f"ika-{d} ng {_TL_MONTHS[m - 1]}"],
}
_PHONES = {
    "zh": [lambda g: f"1{g(10)}", lambda g: f"+86 13{g(1)} {g(4)} {g(4)}"],
    "en": [lambda g: f"+63 917 {g(3)} {g(4)}", lambda g: f"+62 812 {g(4)} {g(4)}", lambda g: f"0917 {g(3)} {g(4)}"],
    "id": [lambda g: f"08{g(2)}-{g(4)}-{g(4)}", lambda g: f"+62 8{g(2)} {g(4)} {g(4)}"],
    "th": [lambda g: f"0{g(2)}-{g(3)}-{g(4)}", lambda g: f"0{g(9)}", lambda g: f"08{g(1)} {g(3)} {g(4)}"],
    "vi": [lambda g: f"09{g(2)} {g(3)} {g(3)}", lambda g: f"09{g(8)}"],
    "ms": [lambda g: f"01{g(1)}-{g(3)} {g(4)}", lambda g: f"+60 1{g(1)}-{g(3)} {g(4)}"],
    "fil": [lambda g: f"09{g(2)} {g(3)} {g(4)}", lambda g: f"+63 9{g(2)} {g(3)} {g(4)}"],
}


def _thousands(value: int, sep: str) -> str:
    return f"{value:,}".replace(",", sep)


_AMOUNTS = {
    "zh": [lambda v, r: f"¥{v}", lambda v, r: f"{v}元", lambda v, r: f"{v}块"],
    "en": [lambda v, r: f"${v}", lambda v, r: f"${v}.{int(r.integers(10, 100))}", lambda v, r: f"RM{v}"],
    "id": [lambda v, r: f"Rp {_thousands(v * 1000, '.')}", lambda v, r: f"{v}rb", lambda v, r: f"{v}k"],
    "th": [lambda v, r: f"฿{_thousands(v, ',')}", lambda v, r: f"{_thousands(v, ',')} บาท", lambda v, r: f"{v}บาท"],
    "vi": [lambda v, r: f"{_thousands(v * 1000, '.')}đ", lambda v, r: f"{v}k", lambda v, r: f"{v}.000d"],
    "ms": [lambda v, r: f"RM{v}", lambda v, r: f"RM {v}.{int(r.integers(0, 10))}0"],
    "fil": [lambda v, r: f"₱{_thousands(v, ',')}", lambda v, r: f"PHP {v}"],
}


def drop_a_word(pieces: Pieces, rng: np.random.Generator) -> Pieces:
    """Without one word outside the slots (one to three characters where words are not spaced, zh and th): the
    model must not hang a label on any single word."""
    spots = [(k, m.start(), m.end()) for k, (text, name) in enumerate(pieces) if name is None
             for m in _WORD.finditer(text)]
    spaced = any(ch == " " for piece, _ in pieces for ch in piece)
    if len(spots) < (3 if spaced else 1) or sum(e - s for _, s, e in spots) < 6:
        return pieces
    k, start, end = spots[int(rng.integers(len(spots)))]
    text = pieces[k][0]
    if not spaced:
        start = int(rng.integers(start, end))
        end = min(end, start + int(rng.integers(1, 4)))
    elif end < len(text) and text[end] == " ":
        end += 1
    return pieces[:k] + [(text[:start] + text[end:], None)] + pieces[k + 1:]


_WORD = re.compile(r"\w+")


def augment(u: Utterance, rng: np.random.Generator) -> Utterance:
    """A noisy variant of a training utterance with the same labels and slot spans moved onto their new values."""
    pieces = to_pieces(u)
    if u.slots and rng.random() < 0.6:
        pieces = [(new_slot_value(name, u.language, rng), name) if name else (text, name) for text, name in pieces]
    if rng.random() < 0.5:
        rate = float(rng.uniform(0.02, 0.08))
        pieces = [(typos(text, rng, rate) if name is None else text, name) for text, name in pieces]
    if rng.random() < (0.75 if u.language == "vi" else 0.15):
        pieces = [(strip_diacritics(text), name) for text, name in pieces]
    if rng.random() < 0.3:
        pieces = drop_a_word(pieces, rng)
    roll = rng.random()
    if roll < 0.25:
        pieces = [(text.lower(), name) for text, name in pieces]
    elif roll < 0.3 or (roll < 0.4 and u.emotion == "angry"):
        pieces = [(text.upper(), name) for text, name in pieces]  # shouting: the label stays
    roll = rng.random()
    if roll < 0.3:
        pieces = [(("".join(ch for ch in text if ch not in _PUNCTUATION and not _is_emoji(ch)) or text)
                   if name is None else text, name) for text, name in pieces]
    elif roll < 0.55:
        endings = _ENDINGS[u.emotion]
        pieces = pieces + [(endings[int(rng.integers(len(endings)))], None)]
    out = from_pieces(pieces, u)
    return out if out.text.strip() else u


def noisy_copy(utterances: list[Utterance], seed: int = NOISY_SEED) -> list[Utterance]:
    """The robustness test set: every utterance with some typos and without diacritics, from a fixed seed."""
    rng = np.random.default_rng(seed)
    out = []
    for u in utterances:
        pieces = [(strip_diacritics(typos(text, rng, 0.05) if name is None else text), name)
                  for text, name in to_pieces(u)]
        out.append(from_pieces(pieces, u))
    return out
