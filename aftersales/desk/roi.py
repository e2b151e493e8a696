"""The seed article's ROI formula for AI customer service, per day, in the shop's currency:

    AI benefit = (labour saved + conversion gain) - system cost
    labour saved    = daily inquiries × automation rate × cost per inquiry
    conversion gain = inquiry-to-order rate × average order value × uplift × daily converting customers

The article's own examples: 10 000 inquiries × 70 % × 5 yuan = 35 000 yuan saved a day; 10 % × 200 yuan × 15 % × 500
customers = 1 500 yuan (the article prints 2 250, which its own figures do not give). kefu measures the automation
rate (turns resolved without a person); the shop passes the rest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class RoiInputs:
    """The figures of the formula.

    Attributes:
        daily_inquiries: Customer inquiries a day.
        automation_rate: Share of them answered without a person, in [0, 1].
        cost_per_inquiry: What one inquiry costs when a person answers it.
        conversion_rate: Share of inquiries that become orders, in [0, 1].
        average_order_value: Average order value.
        uplift: Relative gain in conversion the AI brings (0.15 for 15 %); may be negative.
        daily_converting_customers: Customers a day who order after an inquiry.
        system_cost: What the system costs a day.
    """

    daily_inquiries: Decimal
    automation_rate: Decimal
    cost_per_inquiry: Decimal
    conversion_rate: Decimal = Decimal(0)
    average_order_value: Decimal = Decimal(0)
    uplift: Decimal = Decimal(0)
    daily_converting_customers: Decimal = Decimal(0)
    system_cost: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValueError(f"{name} must be a finite decimal number, not {value!r}")
            if name != "uplift" and value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")
        for name in ("automation_rate", "conversion_rate"):
            if getattr(self, name) > 1:
                raise ValueError(f"{name} is a share in [0, 1], got {getattr(self, name)}")


@dataclass(frozen=True)
class Roi:
    """The formula's terms, rounded to cents."""

    labour_saved: Decimal
    conversion_gain: Decimal
    system_cost: Decimal
    benefit: Decimal


def roi(inputs: RoiInputs) -> Roi:
    """AI benefit per day and its terms."""
    labour = inputs.daily_inquiries * inputs.automation_rate * inputs.cost_per_inquiry
    conversion = (inputs.conversion_rate * inputs.average_order_value * inputs.uplift
                  * inputs.daily_converting_customers)
    cents = Decimal("0.01")
    return Roi(*(v.quantize(cents, ROUND_HALF_UP) for v in
                 (labour, conversion, inputs.system_cost, labour + conversion - inputs.system_cost)))
