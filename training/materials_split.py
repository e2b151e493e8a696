"""Random choices whose values are divided between train/val and test, registered for recipe.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Regime = Literal["train", "test"]


def regime_of(split: str) -> Regime:
    """Val shares train's looks (other seeds); test gets only the looks reserved for it."""
    return "test" if split == "test" else "train"


@dataclass(frozen=True)
class SplitChoice:
    """A named random choice whose values are divided between train/val (`shared`) and test (`test`).

    Attributes:
        name: Dotted name, listed in recipe.json.
        shared: Values train and val draw from.
        test: Values only the test split draws from (never seen in training).
    """

    name: str
    shared: tuple[str, ...]
    test: tuple[str, ...]

    def values(self, regime: Regime) -> tuple[str, ...]:
        """The values this regime may draw."""
        return self.test if regime == "test" else self.shared

    def pick(self, rng: np.random.Generator, regime: Regime) -> str:
        """One of the regime's values, uniformly."""
        values = self.values(regime)
        return values[int(rng.integers(len(values)))]


@dataclass(frozen=True)
class SplitRange:
    """A numeric range whose sub-ranges are divided between train/val and test.

    Attributes:
        name: Dotted name, listed in recipe.json.
        shared: (low, high) train and val draw from, uniformly.
        test: (low, high) intervals only test draws from, chosen in proportion to their length.
    """

    name: str
    shared: tuple[float, float]
    test: tuple[tuple[float, float], ...]

    def values(self, regime: Regime) -> list[tuple[float, float]]:
        """The (low, high) intervals this regime may draw from."""
        return list(self.test) if regime == "test" else [self.shared]

    def pick(self, rng: np.random.Generator, regime: Regime) -> float:
        """A uniform draw from the regime's intervals."""
        spans = self.values(regime)
        lengths = np.array([hi - lo for lo, hi in spans], np.float64)
        lo, hi = spans[int(rng.choice(len(spans), p=lengths / lengths.sum()))]
        return float(rng.uniform(lo, hi))


REGISTRY: dict[str, SplitChoice | SplitRange] = {}


def choice(name: str, shared: tuple[str, ...], test: tuple[str, ...]) -> SplitChoice:
    """Declare (and register for recipe.json) a split choice; shared and test values must not overlap."""
    if set(shared) & set(test) or not shared or not test:
        raise ValueError(f"{name}: shared and test values must be non-empty and disjoint")
    REGISTRY[name] = SplitChoice(name, tuple(shared), tuple(test))
    return REGISTRY[name]


def span(name: str, shared: tuple[float, float], *test: tuple[float, float]) -> SplitRange:
    """Declare (and register for recipe.json) a split range; test intervals must not overlap the shared one."""
    if any(lo < shared[1] and hi > shared[0] for lo, hi in test) or not test:
        raise ValueError(f"{name}: test intervals must be given and lie outside the shared one")
    REGISTRY[name] = SplitRange(name, shared, tuple(test))
    return REGISTRY[name]


def split_pools(regime: Regime) -> dict[str, list]:
    """Every registered choice/range as the values this regime may draw (for recipe.json)."""
    return {name: list(c.values(regime)) for name, c in sorted(REGISTRY.items())}
