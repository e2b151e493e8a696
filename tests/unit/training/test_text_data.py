"""The text corpus: loading and spans, the held-out split, augmentation that keeps slots on their values."""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

from training import text_data
from training.text_data import (
    EMOTIONS,
    INTENTS,
    LANGUAGES,
    SLOT_NAMES,
    Utterance,
    augment,
    find_spans,
    load_corpus,
    noisy_copy,
    split_corpus,
    strip_diacritics,
)


@pytest.fixture(scope="module")
def corpus() -> list[Utterance]:
    return load_corpus()


@pytest.fixture(scope="module")
def split(corpus):
    return split_corpus(corpus)


def test_corpus_loads_every_language_with_valid_labels(corpus):
    assert {u.language for u in corpus} == set(LANGUAGES)
    for u in corpus:
        assert u.intent in INTENTS and u.emotion in EMOTIONS and u.text.strip()
        for name, start, end in u.slots:
            assert name in SLOT_NAMES and 0 <= start < end <= len(u.text)
    by_language = collections.Counter(u.language for u in corpus)
    assert min(by_language.values()) >= 360


def test_slot_spans_point_at_their_values():
    text = "order O1042 and O1043, pay RM45 for O1042"
    spans = find_spans(text, {"order_id": ["O1042", "O1043", "O1042"], "amount": ["RM45"]}, "x:1")
    assert [text[s:e] for _, s, e in spans] == ["O1042", "O1043", "RM45", "O1042"]
    assert spans[-1][1] == text.rindex("O1042")


def test_a_slot_value_missing_from_the_text_names_file_and_line(tmp_path):
    (tmp_path / "en.jsonl").write_text(
        json.dumps({"text": "hi", "intent": "greeting_thanks", "emotion": "happy"}) + "\n"
        + json.dumps({"text": "order O1", "intent": "other", "emotion": "neutral", "slots": {"order_id": ["O2"]}})
        + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"en\.jsonl:2"):
        load_corpus(tmp_path, ("en",))


def test_split_is_deterministic_disjoint_and_stratified(corpus, split):
    again = split_corpus(list(reversed(corpus)))
    assert [u.text for u in again.test] == [u.text for u in split.test]
    assert [u.text for u in again.val] == [u.text for u in split.val]
    parts = [{(u.language, u.text) for u in part} for part in (split.train, split.val, split.test)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert sum(map(len, parts)) == len(corpus)
    for lang in LANGUAGES:
        for part in (split.test, split.val):
            assert {u.intent for u in part if u.language == lang} == set(INTENTS), lang
        share = sum(u.language == lang for u in split.test) / sum(u.language == lang for u in corpus)
        assert 0.17 < share < 0.23, lang


def test_augmentation_keeps_labels_and_moves_slot_spans_onto_the_new_values(split):
    rng = np.random.default_rng(0)
    with_slots = [u for u in split.train if u.slots]
    changed = 0
    for u in with_slots * 3:
        a = augment(u, rng)
        assert (a.language, a.intent, a.emotion) == (u.language, u.intent, u.emotion)
        assert [name for name, _, _ in a.slots] == [name for name, _, _ in u.slots]
        for (name, start, end), (_, s0, e0) in zip(a.slots, u.slots):
            value = a.text[start:end]
            assert value and value == value.strip()
            old = u.text[s0:e0]
            changed += value.lower() != old.lower()
            if name == "sku":
                assert value.upper().startswith("KF-")
    assert changed > len(with_slots)  # most slot values were replaced by fresh ones


def test_augmentation_is_seeded(split):
    first = [augment(u, np.random.default_rng(5)).text for u in split.train[:50]]
    assert first == [augment(u, np.random.default_rng(5)).text for u in split.train[:50]]


def test_diacritics_stripping_on_vietnamese_leaves_thai_alone():
    assert strip_diacritics("Đơn hàng của tôi sao chưa giao vậy shop?") == "Don hang cua toi sao chua giao vay shop?"
    assert strip_diacritics("ของยังไม่มาเลยค่ะ") == "ของยังไม่มาเลยค่ะ"
    assert strip_diacritics("退款") == "退款"


def test_noisy_copy_is_fixed_and_keeps_labels(split):
    noisy = noisy_copy(split.test)
    assert [u.text for u in noisy] == [u.text for u in noisy_copy(split.test)]
    assert [(u.intent, u.emotion) for u in noisy] == [(u.intent, u.emotion) for u in split.test]
    vi = [u.text for u in noisy if u.language == "vi"]
    assert not any(ch in "ăâđêôơưàảãáạ" for text in vi for ch in text.lower())
    assert sum(a.text != b.text for a, b in zip(noisy, split.test)) > len(noisy) / 2


def test_corpus_digests_name_every_file():
    assert sorted(text_data.corpus_digests()) == sorted(f"{lang}.jsonl" for lang in LANGUAGES)
