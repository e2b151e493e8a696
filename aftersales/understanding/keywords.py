"""What a customer message means: the Understanding protocol and its keyword baseline (zh and en tables as data)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml

from aftersales.policy.decisions import DEFECT_TAXONOMY, INTENTS
from aftersales.errors import ConfigError, InvalidInput
from aftersales.understanding.language import detect_language, normalize_language
from aftersales.money import parse_amount

DEFAULT_LEXICON = Path(__file__).with_name("lexicon.yaml")
EMOTIONS = ("angry", "anxious", "neutral", "happy")
SLOT_NAMES = ("order_id", "phone", "amount", "new_address")
_PHRASE_LANGUAGES = ("zh", "en", "id", "th", "vi", "ms", "fil")
# Scripts written without spaces between words: their phrases match anywhere.
_UNSPACED = frozenset({"zh", "th"})
_SHOUTING = re.compile(r"\b[A-Z]{3,}\b")
# Words that deny what follows them ("x pecah", "không bị vỡ", "no scratches", "没坏"), by the language of the phrase
# they stand before: one word may come between ("takde apa-apa rosak", "not really torn").
# Malay and Indonesian share phrases (a Malay "x pecah" may match the Indonesian "pecah"): one list for both.
_MALAY_INDONESIAN_NEGATORS = (r"tidak|tdk|gak|ga|gk|nggak|ngga|enggak|engga|bukan|tanpa|belum|blm|"
                              r"tak|x|takde|takda|tiada|xde")
_NEGATORS = {
    "en": r"not|no|never|without|nothing|isn't|wasn't|aren't|hasn't",
    "id": _MALAY_INDONESIAN_NEGATORS,
    "ms": _MALAY_INDONESIAN_NEGATORS,
    "vi": r"không|ko|k|kg|chẳng|chưa|khong|chua|hông|hong",
    "fil": r"hindi|di|walang|wala|wla",
}
_NEGATIONS = {
    **{lang: re.compile(rf"(?i)(?<!\w)(?:{words})\s+(?:[^\W\d_]+\s+)?$") for lang, words in _NEGATORS.items()},
    "zh": re.compile(r"(?:没有?|木有|不|无|未|会不会|不会)$"),
    "th": re.compile(r"(?:ไม่(?:มี|ได้)?|ถ้า\S{0,15})$"),  # and "if": "ถ้าทำตกจะแตกไหม"
}


@dataclass(frozen=True)
class Context:
    """Words around a phrase that take it back: `before` searched in the `reach` characters before the match,
    `after` matched right after it."""

    before: re.Pattern[str]
    after: re.Pattern[str] | None = None
    reach: int = 70

    def denies(self, text: str, start: int, end: int) -> bool:
        return bool(self.before.search(text, max(0, start - self.reach), start)
                    or self.after is not None and self.after.match(text, end))


# A voucher that "doesn't work" ("baucar x boleh guna", "โค้ดลดใช้ไม่ได้", "ayaw gumana ng voucher") is no broken product.
_VOUCHER_NEAR = Context(
    before=re.compile(
        r"(?i)(?:voucher|vocher|vouchernya|coupon|kupon|baucar|promo\s*code|code|kode|โค้ด|คูปอง|mã\s*giảm|ma\s*giam|"
        r"优惠券|券|红包|折扣)[^.!?。！？\n]{0,50}$"),
    after=re.compile(r"(?i)[^.!?。！？\n]{0,20}(?:voucher|coupon|kupon|baucar|code|โค้ด|คูปอง|优惠券|券)"))


@dataclass(frozen=True)
class Understood:
    """The meaning of one message.

    Attributes:
        language: ISO 639-1 code (hint first, else detected); None when the text gives nothing to judge by.
        intent: One of aftersales.policy.decisions.INTENTS.
        intent_confidence: In [0, 1].
        emotion: One of EMOTIONS.
        emotion_score: Confidence of `emotion`, in [0, 1].
        slots: {"order_id": str | None, "phone": str | None, "amounts": [cents, ...], "new_address": str | None}, and
            from the trained model also "sku": str | None and "dates": [as written, ...].
        defect_mentions: Taxonomy ids the text names, in order of first mention.
        other_intents: Further intents the text also asks for ("change the address and use two coupons").
    """

    language: str | None
    intent: str
    intent_confidence: float
    emotion: str
    emotion_score: float
    slots: dict[str, Any] = field(default_factory=dict)
    defect_mentions: list[str] = field(default_factory=list)
    other_intents: list[str] = field(default_factory=list)


@runtime_checkable
class Understanding(Protocol):
    """Anything that reads a message; trained intent and emotion models implement the same method."""

    def understand(self, text: str, language_hint: str | None = None) -> Understood: ...


class PhraseTable:
    """Phrases → labels, matched in one pass; at each position the longest phrase wins and consumes its text.

    `gap` words may stand between the words of a phrase where spaces part words ("benangnya ketarik" also matches
    "benangnya ada yang ketarik", "thread pulled" "thread got pulled"); not in Vietnamese, where they part
    syllables of one word ("bị ố"). With `negatable`, a phrase denied by the words before it counts for nothing
    ("nasib baik x pecah", "barang ok takde rosak"); a label's `near` context takes its phrases back where the words
    around them say they mean something else (a voucher that "doesn't work" breaks no product)."""

    def __init__(self, table: Any, file: Path, section: str, labels: tuple[str, ...], gap: int = 0,
                 negatable: bool = False, near: dict[str, Context] | None = None):
        if not isinstance(table, dict):
            raise ConfigError(file, section, "expected a mapping of label → {language: [phrases]}")
        entries: list[tuple[str, str, str]] = []
        for label, by_language in table.items():
            if label not in labels:
                raise ConfigError(file, f"{section}.{label}", f"unknown label; expected one of {list(labels)}")
            if not isinstance(by_language, dict) or not set(by_language) <= set(_PHRASE_LANGUAGES):
                raise ConfigError(file, f"{section}.{label}", f"expected keys among {list(_PHRASE_LANGUAGES)}")
            for lang, phrases in by_language.items():
                if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
                    raise ConfigError(file, f"{section}.{label}.{lang}", "expected a list of non-empty strings")
                entries += [(label, lang, p.strip()) for p in phrases]
        entries.sort(key=lambda e: -len(e[2]))
        self.labels = tuple(table)
        self._labels = [e[0] for e in entries]
        self._negations = [_NEGATIONS.get(e[1]) if negatable else None for e in entries]
        self._near = dict(near or {})
        # One alternation over every phrase tries them all at each position of the text; phrases bucketed by their
        # first character (case folded) are tried only where that character stands, in the same order, so the
        # matches are the same as the one alternation's (leftmost, then the longest phrase) at a fraction of the cost.
        buckets: dict[str, list[int]] = {}
        anywhere: list[int] = []
        for i, (_, lang, phrase) in enumerate(entries):
            first = _first_char(phrase)
            if first is None:
                anywhere.append(i)
            else:
                for key in {first.lower(), first.upper(), first.casefold()}:
                    buckets.setdefault(key, []).append(i)
        patterns = [_phrase_pattern(lang, p, gap) for _, lang, p in entries]

        def compile_(indices: list[int]) -> tuple[re.Pattern[str], list[str], list[re.Pattern[str] | None]]:
            ordered = sorted(set(indices) | set(anywhere))
            regex = re.compile("|".join(f"({patterns[i]})" for i in ordered))
            return regex, [self._labels[i] for i in ordered], [self._negations[i] for i in ordered]

        self._buckets = {key: compile_(indices) for key, indices in buckets.items()}
        self._anywhere = compile_([]) if anywhere else None

    def find(self, text: str) -> list[str]:
        """Labels of the phrases found in `text`, in text order, one per non-overlapping match."""
        found: list[str] = []
        pos, end = 0, len(text)
        buckets, anywhere = self._buckets, self._anywhere
        while pos < end:
            bucket = buckets.get(text[pos], anywhere)
            m = bucket[0].match(text, pos) if bucket is not None else None
            if m is None or not m.lastindex:
                pos += 1
                continue
            label, negation = bucket[1][m.lastindex - 1], bucket[2][m.lastindex - 1]
            context = self._near.get(label)
            denied = (negation is not None and negation.search(text, max(0, pos - 30), pos)
                      or context is not None and context.denies(text, pos, m.end()))
            if not denied:
                found.append(label)
            pos = m.end() if m.end() > pos else pos + 1
        return found


def _first_char(phrase: str) -> str | None:
    """The character every match of the phrase starts with; None when a pattern may start with several."""
    body = phrase[3:] if phrase.startswith("re:") else phrase
    if not body or not (body[0].isalnum() or ord(body[0]) > 127) or body[0] in "\\.[(|^$*+?{":
        return None
    if phrase.startswith("re:") and len(body) > 1 and body[1] in "*?{|":
        return None
    return body[0]


def _phrase_pattern(lang: str, phrase: str, gap: int = 0) -> str:
    if phrase.startswith("re:"):
        body = phrase[3:]
        try:
            re.compile(body)
        except re.error as exc:
            raise ConfigError(DEFAULT_LEXICON, phrase, f"bad pattern: {exc}") from None
        # A pattern's own groups would shift the table's one-group-per-phrase numbering.
        return "(?i:" + re.sub(r"\((?!\?)", "(?:", body) + ")"
    if lang in _UNSPACED:
        return re.escape(phrase)
    stem, wildcard = (phrase[:-1], True) if phrase.endswith("*") else (phrase, False)
    between = rf"\s+(?:[^\s.,!?;:]+\s+){{0,{gap}}}" if gap and lang != "vi" else r"\s+"
    body = between.join(re.escape(w) for w in stem.split())
    # Malay and Indonesian double a word with a 2 ("calar2", "berbulu2").
    doubled = "2?" if lang in ("id", "ms") else ""
    return rf"(?i:\b{body}{r'[A-Za-z]*' if wildcard else ''}{doubled}\b)"


@dataclass(frozen=True)
class Lexicon:
    """The keyword tables (see lexicon.yaml).

    Attributes:
        intents: Intent phrases; their YAML order breaks ties.
        emotions: Emotion phrases (angry, anxious, happy).
        defects: Defect words → taxonomy ids.
        slots: Slot name → compiled patterns with one group each.
        latin_words: Latin-script language → function words, for language detection.
    """

    intents: PhraseTable
    emotions: PhraseTable
    defects: PhraseTable
    slots: dict[str, tuple[re.Pattern[str], ...]]
    latin_words: dict[str, frozenset[str]]

    @classmethod
    def from_yaml(cls, path: Path = DEFAULT_LEXICON) -> "Lexicon":
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(path, "-", f"cannot read lexicon: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(path, "-", "expected a mapping")
        unknown = set(data) - {"intents", "emotions", "defects", "slots", "latin_languages"}
        if unknown:
            raise ConfigError(path, sorted(unknown)[0], "unknown key")
        slots = {}
        for name, patterns in (data.get("slots") or {}).items():
            if name not in SLOT_NAMES or not isinstance(patterns, list):
                raise ConfigError(path, f"slots.{name}", f"expected one of {list(SLOT_NAMES)} with a list of patterns")
            try:
                slots[name] = tuple(re.compile(p) for p in patterns)
            except (re.error, TypeError) as exc:
                raise ConfigError(path, f"slots.{name}", f"bad pattern: {exc}") from None
        latin = data.get("latin_languages") or {}
        if not isinstance(latin, dict) or not all(isinstance(v, list) for v in latin.values()):
            raise ConfigError(path, "latin_languages", "expected language → list of words")
        return cls(
            intents=PhraseTable(data.get("intents"), path, "intents", INTENTS),
            emotions=PhraseTable(data.get("emotions"), path, "emotions", ("angry", "anxious", "happy")),
            defects=PhraseTable(data.get("defects"), path, "defects", DEFECT_TAXONOMY, gap=2,
                                negatable=True, near={"broken": _VOUCHER_NEAR}),
            slots=slots,
            latin_words={lang: frozenset(str(w).lower() for w in words) for lang, words in latin.items()},
        )


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.from_yaml(DEFAULT_LEXICON)


class KeywordUnderstanding:
    """Baseline Understanding: keyword tables for zh and en, script and function words for the language."""

    def __init__(self, lexicon: Lexicon | None = None):
        self.lexicon = lexicon or default_lexicon()
        self._priority = {label: i for i, label in enumerate(self.lexicon.intents.labels)}

    def understand(self, text: str, language_hint: str | None = None) -> Understood:
        if not isinstance(text, str):
            raise InvalidInput(f"text must be a string, got {type(text).__name__}")
        # NFKC folds the full-width forms Chinese keyboards produce (Ｏ１００４, ！) into the ASCII the tables use.
        text = unicodedata.normalize("NFKC", text)
        language = normalize_language(language_hint) or detect_language(text, self.lexicon.latin_words)
        defect_hits = self.lexicon.defects.find(text)
        intent_hits = self.lexicon.intents.find(text)
        intent, confidence = self._intent(intent_hits, len(defect_hits))
        emotion, score = self._emotion(text)
        others = [label for label in dict.fromkeys(intent_hits) if label != intent]
        return Understood(language, intent, confidence, emotion, score, self._slots(text),
                          list(dict.fromkeys(defect_hits)), others)

    def _intent(self, intent_hits: list[str], defect_hits: int) -> tuple[str, float]:
        hits = Counter(intent_hits)
        if defect_hits:
            # Naming a defect is a complaint about it, whatever else the message asks for.
            hits["defect_complaint"] += defect_hits
        if not hits:
            return "other", 0.5
        best = min(hits, key=lambda label: (-hits[label], self._priority.get(label, len(self._priority))))
        # Share of the evidence, discounted when it rests on few hits: 1 hit alone → 0.8, 2 → 0.9, 1-1 tie → 0.4.
        share = hits[best] / sum(hits.values())
        return best, round(share * (1 - 0.4 * 0.5 ** hits[best]), 3)

    def _emotion(self, text: str) -> tuple[str, float]:
        hits = Counter(self.lexicon.emotions.find(text))
        if text.count("!") >= 2 or len(_SHOUTING.findall(text)) >= 2:
            # Exclamations and capitals amplify a negative feeling already expressed; alone they may be joy.
            for label in ("angry", "anxious"):
                if hits[label]:
                    hits[label] += 1
                    break
        if "??" in text and hits["anxious"]:
            hits["anxious"] += 1
        if not +hits:
            return "neutral", 0.6
        order = ("angry", "anxious", "happy")
        best = min((label for label in order if hits[label]), key=lambda label: (-hits[label], order.index(label)))
        return best, round(min(0.95, 0.5 + 0.2 * hits[best]), 3)

    def _slots(self, text: str) -> dict[str, Any]:
        def first(name: str) -> str | None:
            for pattern in self.lexicon.slots.get(name, ()):
                m = pattern.search(text)
                if m:
                    return m.group(1)
            return None

        order_id = first("order_id")
        phone = first("phone")
        amounts: list[int] = []
        for pattern in self.lexicon.slots.get("amount", ()):
            for m in pattern.finditer(text):
                cents = parse_amount(m.group(1))
                if cents not in amounts:
                    amounts.append(cents)
        address = first("new_address")
        return {"order_id": order_id.upper() if order_id else None,
                "phone": re.sub(r"[-\s]", "", phone) if phone else None,
                "amounts": amounts, "new_address": address.strip() if address else None}
