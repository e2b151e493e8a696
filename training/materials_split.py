"""Random choices whose values are divided between train/val and test, registered for recipe.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Regime = Literal["train", "test"]
Profile = Literal["strict", "textures"]

# Split profiles: which axes the test split keeps to itself. A "form" axis is a categorical defect morphology
# (snag form, crack form, stitch, stain substance...): holding one out asks for zero-shot recognition of a new kind of
# defect, so "textures" shares those and reserves everything else (looks, lighting, every numeric range).
PROFILES: dict[str, str] = {
    "strict": "test draws only values reserved for it on every axis, categorical defect forms included",
    "textures": "test draws only the materials, palettes, prints, backgrounds, light and numeric ranges reserved for "
                "it; categorical defect forms are drawn from the same values in every split",
}
DEFAULT_PROFILE: Profile = "textures"


def check_profile(profile: str) -> Profile:
    """`profile` if it is a known split profile; ValueError otherwise."""
    if profile not in PROFILES:
        raise ValueError(f"unknown split profile {profile!r}; expected one of {', '.join(PROFILES)}")
    return profile  # type: ignore[return-value]


def regime_of(split: str) -> Regime:
    """Val shares train's looks (other seeds); test gets only the looks reserved for it."""
    return "test" if split == "test" else "train"


@dataclass(frozen=True)
class SplitChoice:
    """A named random choice whose values are divided between train/val (`shared`) and test (`test`).

    Attributes:
        name: Dotted name, listed in recipe.json.
        shared: Values train and val draw from.
        test: Values only the test split draws from (never seen in training), unless the profile shares the axis.
        form: A categorical defect form: every split draws from shared + test under the "textures" profile.
    """

    name: str
    shared: tuple[str, ...]
    test: tuple[str, ...]
    form: bool = False

    def divided(self, profile: Profile = "strict") -> bool:
        """Whether test's values are kept out of train/val under this profile."""
        return not (self.form and check_profile(profile) == "textures")

    def values(self, regime: Regime, profile: Profile = "strict") -> tuple[str, ...]:
        """The values this regime may draw under this profile."""
        if not self.divided(profile):
            return self.shared + self.test
        return self.test if regime == "test" else self.shared

    def pick(self, rng: np.random.Generator, regime: Regime, profile: Profile = "strict") -> str:
        """One of the regime's values, uniformly."""
        values = self.values(regime, profile)
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

    def divided(self, profile: Profile = "strict") -> bool:
        """Numeric ranges stay divided under every profile."""
        check_profile(profile)
        return True

    def values(self, regime: Regime, profile: Profile = "strict") -> list[tuple[float, float]]:
        """The (low, high) intervals this regime may draw from (the same under every profile)."""
        check_profile(profile)
        return list(self.test) if regime == "test" else [self.shared]

    def pick(self, rng: np.random.Generator, regime: Regime, profile: Profile = "strict") -> float:
        """A uniform draw from the regime's intervals."""
        spans = self.values(regime, profile)
        lengths = np.array([hi - lo for lo, hi in spans], np.float64)
        lo, hi = spans[int(rng.choice(len(spans), p=lengths / lengths.sum()))]
        return float(rng.uniform(lo, hi))


REGISTRY: dict[str, SplitChoice | SplitRange] = {}


def choice(name: str, shared: tuple[str, ...], test: tuple[str, ...], form: bool = False) -> SplitChoice:
    """Declare (and register for recipe.json) a split choice; shared and test values must not overlap.

    `form`: the choice is a categorical defect form, shared by every split under the "textures" profile."""
    if set(shared) & set(test) or not shared or not test:
        raise ValueError(f"{name}: shared and test values must be non-empty and disjoint")
    REGISTRY[name] = SplitChoice(name, tuple(shared), tuple(test), form)
    return REGISTRY[name]


def span(name: str, shared: tuple[float, float], *test: tuple[float, float]) -> SplitRange:
    """Declare (and register for recipe.json) a split range; test intervals must not overlap the shared one."""
    if any(lo < shared[1] and hi > shared[0] for lo, hi in test) or not test:
        raise ValueError(f"{name}: test intervals must be given and lie outside the shared one")
    REGISTRY[name] = SplitRange(name, shared, tuple(test))
    return REGISTRY[name]


def split_pools(regime: Regime, profile: Profile = "strict") -> dict[str, list]:
    """Every registered choice/range as the values this regime may draw under this profile (for recipe.json)."""
    return {name: list(c.values(regime, profile)) for name, c in sorted(REGISTRY.items())}


def reserved_axes(profile: Profile = "strict") -> list[str]:
    """Names of the choices/ranges whose test values train and val never draw under this profile."""
    return [name for name, c in sorted(REGISTRY.items()) if c.divided(profile)]


def shared_axes(profile: Profile = "strict") -> list[str]:
    """Names of the choices every split draws from the same values under this profile."""
    return [name for name, c in sorted(REGISTRY.items()) if not c.divided(profile)]
