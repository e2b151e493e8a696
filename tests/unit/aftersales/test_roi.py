"""The seed's ROI formula on the article's own figures, and figures that make no sense refused."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from aftersales.desk.roi import RoiInputs, roi


def test_the_articles_labour_example():
    result = roi(RoiInputs(daily_inquiries=D(10000), automation_rate=D("0.7"), cost_per_inquiry=D(5)))
    assert result.labour_saved == D("35000.00") and result.conversion_gain == 0 and result.benefit == D("35000.00")


def test_conversion_gain_and_system_cost_enter_the_benefit():
    result = roi(RoiInputs(D(10000), D("0.7"), D(5), conversion_rate=D("0.1"), average_order_value=D(200),
                           uplift=D("0.15"), daily_converting_customers=D(500), system_cost=D("1234.56")))
    assert result.conversion_gain == D("1500.00")  # 10 % × 200 × 15 % × 500 (the article prints 2 250)
    assert result.benefit == D("35000") + D("1500") - D("1234.56")


def test_a_measured_automation_rate_scales_the_labour_saved():
    low, high = (roi(RoiInputs(D(2000), D(rate), D("3.5"))).labour_saved for rate in ("0.25", "0.75"))
    assert high == 3 * low == D("5250.00")


@pytest.mark.parametrize("field, value", [
    ("automation_rate", D("1.2")), ("daily_inquiries", D(-1)), ("cost_per_inquiry", D("NaN")),
    ("conversion_rate", D(2)), ("system_cost", D(-5)),
])
def test_figures_that_make_no_sense_are_refused(field, value):
    figures = {"daily_inquiries": D(100), "automation_rate": D("0.5"), "cost_per_inquiry": D(5), field: value}
    with pytest.raises(ValueError, match=field):
        RoiInputs(**figures)


def test_a_negative_uplift_is_a_loss_not_an_error():
    result = roi(RoiInputs(D(100), D("0.5"), D(5), conversion_rate=D("0.1"), average_order_value=D(100),
                           uplift=D("-0.1"), daily_converting_customers=D(10)))
    assert result.conversion_gain == D("-10.00") and result.benefit == D("240.00")
