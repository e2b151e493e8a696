"""The serving threshold the shipped detector's card names: chosen on the clean val photos, judged on every split."""

from __future__ import annotations

import math

from training.detector import CLEAN_TARGET, CONF_GRID, Evaluation, choose_conf, silent_share


def test_silent_share_counts_clean_photos_whose_best_report_is_below_the_threshold():
    scores = [0.0, 0.1, 0.3, 0.5, 0.9]
    assert silent_share(scores, 0.25) == 0.4
    assert silent_share(scores, 0.3) == 0.4  # a report at exactly the threshold is reported
    assert silent_share(scores, 0.95) == 1.0
    assert math.isnan(silent_share([], 0.5))


def test_the_lowest_threshold_that_keeps_clean_photos_silent_is_chosen():
    # 100 clean photos: 90 with nothing above 0.2, then one report each at 0.32, 0.33, ... 0.41
    scores = [0.2] * 90 + [0.32 + 0.01 * k for k in range(10)]
    conf = choose_conf(scores)
    assert silent_share(scores, conf) >= CLEAN_TARGET
    lower = [c for c in CONF_GRID if c < conf]
    assert lower and all(silent_share(scores, c) < CLEAN_TARGET for c in lower)
    assert choose_conf(scores, target=0.95) == 0.4 and choose_conf(scores, target=0.99) == 0.45


def test_a_model_noisy_on_clean_photos_gets_the_top_of_the_grid():
    assert choose_conf([0.99] * 10) == max(CONF_GRID)
    assert choose_conf([0.0] * 10) == min(CONF_GRID)


def test_judging_at_a_new_threshold_updates_every_split():
    ev = Evaluation(clean_scores={"val": [0.1, 0.5], "test": [0.3, 0.6, 0.7, 0.0]})
    ev.judge_clean_at(0.55)
    assert ev.conf == 0.55 and ev.clean_no_defect == {"val": 1.0, "test": 0.5}
