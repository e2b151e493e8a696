"""WER/CER and the text normalisation the speech benchmarks score with."""

from __future__ import annotations

import pytest

from benchmarks.asr_metrics import (
    MetricError,
    chinese_number,
    cer,
    edit_distance,
    english_number,
    normalize_en,
    normalize_zh,
    wer,
)


@pytest.mark.parametrize(
    ("ref", "hyp", "edits"),
    [
        ("abc", "abc", 0),
        ("kitten", "sitting", 3),  # two substitutions, one insertion
        ("flaw", "lawn", 2),  # one deletion, one insertion
        ("", "abc", 3),
        ("abc", "", 3),
        ("abcdef", "azced", 3),
    ],
)
def test_edit_distance_known_counts(ref: str, hyp: str, edits: int) -> None:
    assert edit_distance(list(ref), list(hyp)) == edits
    assert edit_distance(list(hyp), list(ref)) == edits


def test_wer_counts_substitution_deletion_and_insertion() -> None:
    ref = "my order has not shipped yet"  # 6 words
    assert wer([ref], ["my order has not shipped yet"]) == 0.0
    assert wer([ref], ["my order has not shipped jet"]) == pytest.approx(1 / 6)
    assert wer([ref], ["my order has not shipped"]) == pytest.approx(1 / 6)
    assert wer([ref], ["my order has not been shipped yet"]) == pytest.approx(1 / 6)


def test_insertions_can_push_wer_past_one() -> None:
    assert wer(["refund"], ["please refund me now"]) == pytest.approx(3.0)


def test_empty_hypothesis_is_all_errors() -> None:
    assert wer(["the coupon does not work"], [""]) == 1.0
    assert cer(["优惠券不能用"], [""]) == 1.0


def test_wer_is_pooled_over_the_corpus_not_averaged_per_note() -> None:
    # Note one: 1 error in 1 word; note two: 0 errors in 9 words. Pooled 1/10, a per-note mean would be 0.5.
    refs = ["hello", "the sweater I bought last week has a hole"]
    hyps = ["yellow", "the sweater I bought last week has a hole"]
    assert wer(refs, hyps) == pytest.approx(0.1)


def test_cer_scores_characters_after_normalisation() -> None:
    assert cer(["这件毛衣有一个洞。"], ["這件毛衣有一個洞"]) == 0.0
    assert cer(["这件毛衣有一个洞"], ["这件毛衣有个洞"]) == pytest.approx(1 / 8)
    # Without normalisation punctuation and Traditional characters count as errors.
    assert cer(["这件毛衣有一个洞。"], ["這件毛衣有一個洞"], normalize=None) == pytest.approx(3 / 9)


@pytest.mark.parametrize(
    ("refs", "hyps"),
    [(["a", "b"], ["a"]), (["", " ... "], ["x", "y"]), ("abc", "abc")],
)
def test_unscorable_input_raises_metric_error(refs, hyps) -> None:
    with pytest.raises(MetricError):
        wer(refs, hyps)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World!", "hello world"),
        ("I don't want it.", "i dont want it"),
        ("It arrived 5 days late", "it arrived five days late"),
        ("twenty-one items", "twenty one items"),
        ("21 items", "twenty one items"),
        ("100 and 0", "one hundred and zero"),
        ("a $20 coupon", "a twenty dollars coupon"),
        ("15% off", "fifteen percent off"),
        ("order 1,000", "order 1000"),
        ("order 58213", "order 58213"),
        ("  spaces\tand\nlines ", "spaces and lines"),
        ("duty-free limit", "duty free limit"),
    ],
)
def test_normalize_en(text: str, expected: str) -> None:
    assert normalize_en(text) == expected


def test_digits_and_words_agree_in_wer() -> None:
    assert wer(["I ordered three shirts, not 4."], ["i ordered 3 shirts not four"]) == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的订单还没发货！", "我的订单还没发货"),
        ("我的訂單還沒發貨", "我的订单还没发货"),
        ("等了3天", "等了三天"),
        ("买了10件", "买了十件"),
        ("第15号", "第十五号"),
        ("20元", "二十元"),
        ("305块", "三百零五块"),
        ("两百块", "二百块"),
        ("打8.5折", "打八点五折"),
        ("降了20%", "降了百分之二十"),
        ("ＡＰＰ里 下单", "app里下单"),
        ("订单号 20240518", "订单号二零二四零五一八"),
    ],
)
def test_normalize_zh(text: str, expected: str) -> None:
    assert normalize_zh(text) == expected


@pytest.mark.parametrize(
    ("n", "words"), [(0, "zero"), (13, "thirteen"), (40, "forty"), (99, "ninety nine"), (100, "one hundred")]
)
def test_english_number(n: int, words: str) -> None:
    assert english_number(n) == words


@pytest.mark.parametrize(
    ("digits", "spoken"),
    [("0", "零"), ("7", "七"), ("10", "十"), ("11", "十一"), ("20", "二十"), ("101", "一百零一"),
     ("110", "一百一十"), ("1001", "一千零一"), ("1010", "一千零一十"), ("2300", "二千三百"), ("007", "零零七")],
)
def test_chinese_number(digits: str, spoken: str) -> None:
    assert chinese_number(digits) == spoken
