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


# Words one of the two languages uses and the other does not (or hardly): Malaysian "tak, nak, dah, kat" against
# Indonesian "gak, udah, gimana, banget"; both share most of their function words and chat spellings ("yg", "blm",
# "jd"). The places an address names count too (Selangor, Jawa Timur).
_MALAY_ONLY = frozenset("""
tak x nak dah kat je jer sikit macam mcm camne bila awak encik korang wang duit kasut percuma hantar dihantar
baucar saiz pulangan bayaran rosak kedai tq kaseh lah mahu kerana sahaja ker poslaju ringgit rm calar koyak
kemik tercalar semalam esok tengok beritahu faham cuba penghantaran dgn utk sy takde tiada kot ni tu letak betul
ye xde boleh2 selangor johor kedah kelantan sabah sarawak perak pahang terengganu melaka pinang putrajaya lorong
pangsapuri kondominium
""".split())
_INDONESIAN_ONLY = frozenset("""
gak ga nggak ngga enggak udah gimana banget aja dong sih deh kok gue gua lo lu elo sepatu gratis uang dikirim
ongkir resi ukuran pengembalian dikembalikan kapan rusak toko gan mas mbak bisa bikin tau nih tuh biar emang nanya
sdh tdk krn udh gmn bgt makasih terimakasih pesanannya barangnya sobek robek penyok lecet baret kemarin
besok lihat liat ngerti coba pengiriman sm dapet nih tuh jakarta jawa bandung surabaya kec kel kab rt rw gg
""".split())
_WORDS = re.compile(r"[a-z0-9]+")


def malay_or_indonesian(text: str, guess: str | None) -> str | None:
    """The model's `guess`, unless it is Malay or Indonesian and the words only one of the two uses say otherwise."""
    if guess not in ("ms", "id"):
        return guess
    words = _WORDS.findall(text.lower())
    malay = sum(w in _MALAY_ONLY for w in words)
    indonesian = sum(w in _INDONESIAN_ONLY for w in words)
    if malay == indonesian:
        return guess
    return "ms" if malay > indonesian else "id"
