"""Procedural product surfaces as float RGB images: the material families, picking one, and render dispatch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from aftersales.policy.decisions import FABRIC_DEFECTS, HARD_GOODS_DEFECTS
from training.materials_base import (
    BACKGROUND_PHOTOS, PALETTE, PALETTES, SKIMAGE_DIR, Colour, Material, fbm, jitter, lattice_noise, palette_colours,
    photo_crop, rotated, skimage_image,
)
from training.materials_fabric import (
    DENIM_TONES, KNIT_PERIOD, PRINT, THREAD_PERIOD, knitted, print_field, render_denim, render_knit, render_leather,
    render_pile, render_printed, render_weave, woven,
)
from training.materials_hard import (
    METAL_TONE, TONES, WOOD_TONE, render_ceramic, render_metal, render_paper, render_plastic, render_stone,
    render_wood,
)
from training.materials_split import (
    DEFAULT_PROFILE, PROFILES, REGISTRY, Profile, Regime, SplitChoice, SplitRange, check_profile, choice, regime_of,
    reserved_axes, shared_axes, span, split_pools,
)

# The renderers and helpers live in materials_*; they stay importable from here, where callers always found them.
__all__ = ["BACKGROUND_PHOTOS", "Colour", "DEFAULT_PROFILE", "DENIM_TONES", "FAMILIES", "Family", "KNIT_PERIOD",
           "METAL_TONE", "Material", "PALETTE", "PALETTES", "PRINT", "PROFILES", "Profile", "REGISTRY", "Regime",
           "SKIMAGE_DIR", "SplitChoice", "SplitRange", "THREAD_PERIOD", "TONES", "WOOD_TONE", "check_profile", "choice",
           "fbm", "jitter", "knitted", "lattice_noise", "palette_colours", "photo_crop", "pick_family", "print_field",
           "regime_of", "render_material", "reserved_axes", "rotated", "shared_axes", "skimage_image", "span",
           "split_pools", "variants", "woven"]


@dataclass(frozen=True)
class Family:
    """A material family.

    Attributes:
        name: Family name.
        kind: "fabric", "leather" or "hard".
        classes: Defect classes that physically occur on it.
        variants: Its structure variants, split between train/val and test.
        render: (variant, h, w, rng, regime) → Material.
        weight: Relative frequency among the families that fit a defect class.
    """

    name: str
    kind: str
    classes: tuple[str, ...]
    variants: SplitChoice
    render: Callable[[str, int, int, np.random.Generator, Regime], Material]
    weight: float = 1.0


_LEATHER_CLASSES = ("hole", "stain", "tear", "open_seam", "scratch")
FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("weave", "fabric", FABRIC_DEFECTS, choice("weave", ("plain", "twill", "satin", "basket", "ripstop"),
                                                     ("herringbone", "oxford")), render_weave, 2.0),
    Family("knit", "fabric", FABRIC_DEFECTS, choice("knit", ("stockinette", "rib", "cable"), ("waffle", "moss")),
           render_knit, 1.5),
    Family("denim", "fabric", FABRIC_DEFECTS, choice("denim", ("dark_indigo", "mid_wash", "black"),
                                                     ("light_wash", "grey")), render_denim, 1.2),
    Family("pile", "fabric", FABRIC_DEFECTS, choice("pile", ("fleece", "felt", "corduroy"), ("velvet",)),
           render_pile, 1.0),
    Family("printed", "fabric", FABRIC_DEFECTS, choice("printed", ("grass", "brick", "text"), ("gravel", "page")),
           render_printed, 0.6),
    Family("leather", "leather", _LEATHER_CLASSES, choice("leather", ("smooth", "pebbled"), ("suede",)),
           render_leather, 0.8),
    Family("plastic", "hard", HARD_GOODS_DEFECTS, choice("plastic", ("glossy", "matte"), ("textured",)),
           render_plastic, 1.5),
    Family("metal", "hard", HARD_GOODS_DEFECTS, choice("metal", ("brushed", "polished", "anodised"),
                                                       ("bead_blasted",)), render_metal, 1.2),
    Family("wood", "hard", HARD_GOODS_DEFECTS, choice("wood", ("flat_sawn", "quarter_sawn"), ("plywood",)),
           render_wood, 1.0),
    Family("ceramic", "hard", ("scratch", "crack", "broken"), choice("ceramic", ("glazed", "glass"), ("speckled",)),
           render_ceramic, 1.2),
    Family("paper", "hard", ("scratch", "dent", "broken"), choice("paper", ("kraft", "cardboard"), ("corrugated",)),
           render_paper, 0.6),
    Family("stone", "hard", ("scratch", "crack", "broken"), choice("stone", ("brick", "grass"), ("gravel",)),
           render_stone, 0.5),
)}


def variants(regime: Regime) -> list[str]:
    """Every "family/variant" this regime may render."""
    return [f"{f.name}/{v}" for f in FAMILIES.values() for v in f.variants.values(regime)]


def pick_family(rng: np.random.Generator, defect: str | None = None) -> Family:
    """A family by weight, among those on which `defect` occurs (any family when None)."""
    fits = [f for f in FAMILIES.values() if defect is None or defect in f.classes]
    weights = np.array([f.weight for f in fits])
    return fits[int(rng.choice(len(fits), p=weights / weights.sum()))]


def render_material(family: Family, h: int, w: int, rng: np.random.Generator, regime: Regime,
                    variant: str | None = None) -> Material:
    """Render one variant (random from the regime's pool unless given) of a family at h×w."""
    variant = variant or family.variants.pick(rng, regime)
    material = family.render(variant, h, w, rng, regime)
    material.rgb = np.clip(material.rgb, 0, 1).astype(np.float32)
    return material
