"""Coupon stacking: legal combinations, the best one, exact cents, and why each coupon was left out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import combinations

import pytest

from aftersales.policy.stacking import CartLine, Coupon, StackingRules, best_stack
from aftersales.errors import InvalidInput

NOW = datetime(2026, 11, 11, 12, 0, tzinfo=timezone.utc)
SWEATER = CartLine("KF-SW-002", "apparel", 32900)
MUG = CartLine("KF-MG-001", "home", 5990, quantity=2)


def shop(id, amount, threshold=0, **kw) -> Coupon:
    return Coupon(id, "threshold" if threshold else "no_threshold", "shop", amount_cents=amount,
                  threshold_cents=threshold, **kw)


def platform(id, amount, threshold=0, **kw) -> Coupon:
    return Coupon(id, "threshold" if threshold else "no_threshold", "platform", amount_cents=amount,
                  threshold_cents=threshold, **kw)


def test_a_shop_and_a_platform_coupon_stack_and_the_price_is_exact():
    result = best_stack([SWEATER], [shop("S20", 2000, 20000), platform("P30", 3000, 29900)], NOW)
    # 329.00 - 20.00 (shop first) = 309.00, still over the platform's 299.00 threshold: both apply.
    assert [(a.coupon_id, a.discount_cents) for a in result.applied] == [("S20", 2000), ("P30", 3000)]
    assert (result.subtotal_cents, result.discount_cents, result.final_cents) == (32900, 5000, 27900)
    assert result.rejected == {}


def test_two_coupons_of_one_group_do_not_stack_and_the_better_one_wins():
    result = best_stack([SWEATER], [shop("S10", 1000), shop("S25", 2500, 30000)], NOW)
    assert [a.coupon_id for a in result.applied] == ["S25"]
    assert result.rejected == {"S10": "same_group_as_chosen"}


def test_a_threshold_is_checked_after_the_coupons_before_it():
    # Shop 40 off leaves 289.00, under the platform's 299.00 threshold: taking both is illegal. The best legal
    # choice is the platform coupon alone only if it is worth more: 50 > 40.
    result = best_stack([SWEATER], [shop("S40", 4000), platform("P50", 5000, 29900)], NOW)
    assert [a.coupon_id for a in result.applied] == ["P50"] and result.final_cents == 27900
    assert result.rejected == {"S40": "threshold_not_met_after_other_coupons"}
    # Judged on list price instead (a platform that does so), both apply.
    lenient = best_stack([SWEATER], [shop("S40", 4000), platform("P50", 5000, 29900)], NOW,
                         rules=StackingRules(threshold_after_previous=False))
    assert lenient.discount_cents == 9000


def test_an_exclusive_coupon_combines_with_nothing():
    coupons = [shop("S20", 2000), platform("P30", 3000), Coupon("X45", "no_threshold", "platform",
                                                                 amount_cents=4500, exclusive=True)]
    result = best_stack([SWEATER], coupons, NOW)
    assert [a.coupon_id for a in result.applied] == ["S20", "P30"]  # 50 together beats 45 alone
    assert result.rejected == {"X45": "exclusive_worse_than_chosen"}
    alone = best_stack([SWEATER], [*coupons[:2], Coupon("X60", "no_threshold", "platform", amount_cents=6000,
                                                        exclusive=True)], NOW)
    assert [a.coupon_id for a in alone.applied] == ["X60"]
    assert alone.rejected == {"S20": "blocked_by_exclusive", "P30": "blocked_by_exclusive"}


def test_percentage_rounds_half_up_and_respects_its_cap():
    pct = Coupon("P15", "percentage", "platform", percent=15)
    assert best_stack([CartLine("A", "x", 3330)], [pct], NOW).discount_cents == 500  # 499.5 → 500
    capped = Coupon("P15C", "percentage", "platform", percent=15, max_discount_cents=3000)
    assert best_stack([SWEATER], [capped], NOW).discount_cents == 3000  # 15 % would be 49.35
    after_shop = best_stack([SWEATER], [shop("S29", 2900), pct], NOW)
    assert [a.discount_cents for a in after_shop.applied] == [2900, 4500]  # 15 % of 300.00


def test_coupons_scoped_to_a_category_count_only_their_lines():
    # The cart is 448.80, but the home coupon's 150.00 threshold counts the two mugs only (119.80).
    home = shop("H10", 1000, 15000, categories=("home",))
    result = best_stack([SWEATER, MUG], [home], NOW)
    assert result.applied == () and result.rejected == {"H10": "threshold_not_met"}
    assert best_stack([SWEATER, MUG], [shop("H5", 500, 10000, categories=("home",))], NOW).discount_cents == 500


def test_a_discount_never_takes_a_line_below_zero():
    result = best_stack([CartLine("A", "x", 800)], [shop("S10", 1000), platform("P5", 500)], NOW)
    assert result.final_cents == 0 and [a.discount_cents for a in result.applied] == [800]
    assert result.rejected == {"P5": "no_gain"}


@pytest.mark.parametrize(("coupon", "reason"), [
    (shop("OLD", 1000, valid_to=NOW - timedelta(seconds=1)), "expired"),
    (shop("SOON", 1000, valid_from=NOW + timedelta(days=1)), "not_yet_valid"),
    (shop("USD", 1000, currency="USD"), "currency_mismatch"),
    (shop("BIG", 1000, 50000), "threshold_not_met"),
    (shop("SHOES", 1000, skus=("KF-SH-001",)), "no_eligible_items"),
])
def test_unusable_coupons_say_why(coupon, reason):
    result = best_stack([SWEATER], [coupon], NOW)
    assert result.applied == () and result.rejected == {coupon.id: reason} and result.final_cents == 32900


def test_validity_bounds_are_inclusive():
    edge = shop("EDGE", 1000, valid_from=NOW, valid_to=NOW)
    assert best_stack([SWEATER], [edge], NOW).discount_cents == 1000


def test_the_best_combination_is_the_true_optimum():
    coupons = [shop("S10", 1000), shop("S30", 3000, 31000), platform("P20", 2000, 28000), platform("P25", 2500, 30000),
               Coupon("G15", "percentage", "platform", percent=8, group="bonus")]
    result = best_stack([SWEATER], coupons, NOW)
    # Brute force over every subset that the rules allow, applying in the rules' order.
    best = 0
    for size in range(len(coupons) + 1):
        for subset in combinations(coupons, size):
            groups = [c.stacking_group for c in subset]
            if len(groups) != len(set(groups)):
                continue
            legal = best_stack([SWEATER], list(subset), NOW)
            if len(legal.applied) == len(subset):
                best = max(best, legal.discount_cents)
    assert result.discount_cents == best
    assert result.final_cents == 32900 - best


def test_bad_input_is_refused():
    with pytest.raises(InvalidInput):
        best_stack([], [], NOW)
    with pytest.raises(InvalidInput):
        best_stack([SWEATER], [shop("A", 100), shop("A", 200)], NOW)
    with pytest.raises(InvalidInput):
        best_stack([SWEATER], [], NOW.replace(tzinfo=None))
    with pytest.raises(InvalidInput):
        Coupon("Z", "threshold", "shop", amount_cents=100)  # a threshold coupon without a threshold
    with pytest.raises(InvalidInput):
        Coupon("Z", "percentage", "shop", percent=120)
    with pytest.raises(InvalidInput):
        Coupon("Z", "gift", "shop")
