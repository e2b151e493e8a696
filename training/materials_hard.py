"""Hard-goods surfaces: plastic, metal, wood, ceramic and glass, paper and cardboard, stone."""

from __future__ import annotations

import math

import cv2
import numpy as np

from training.materials_base import (
    Material, fbm, hex_colour, jitter, lattice_noise, palette_colours, photo_crop, rotated, round_profile,
)
from training.materials_split import Regime, choice

METAL_TONE = choice("material.metal_tone", ("silver", "steel", "gold", "gunmetal"), ("rose", "titanium"))
WOOD_TONE = choice("material.wood_tone", ("oak", "pine", "walnut", "cherry"), ("maple", "teak"))
TONES: dict[str, str] = {
    "silver": "#c9ccd1", "steel": "#8e949b", "gold": "#c9a45c", "gunmetal": "#4b4f56", "rose": "#c99a8a",
    "titanium": "#a7a39b", "oak": "#b68a56", "pine": "#d8b77f", "walnut": "#6b4a32", "cherry": "#9a5534",
    "maple": "#e0c49a", "teak": "#8a5e34",
}


def render_plastic(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, colours = palette_colours(rng, regime, 1)
    base = colours[0]
    shade = 0.95 + 0.06 * fbm(rng, h, w, rng.uniform(80, 200), 2)
    if variant == "matte":
        shade = shade + 0.05 * (rng.random((h, w), dtype=np.float32) - 0.5)
        gloss = 0.15
    elif variant == "glossy":
        gloss = 0.8
    elif variant == "textured":
        bumps = fbm(rng, h, w, rng.uniform(2, 4), 1)
        shade = shade + 0.5 * (np.roll(bumps, 1, 1) - bumps)
        gloss = 0.3
    else:
        raise ValueError(f"unknown plastic {variant!r}")
    rgb = base * shade[..., None]
    core = np.clip(base * 1.15 + 0.1, 0, 1)
    return Material(rgb, "plastic", f"plastic/{variant}", "hard", base, core, 0.0, 4.0, gloss, palette)


def render_metal(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette = ""
    if variant == "anodised":
        palette, colours = palette_colours(rng, regime, 1)
        base = np.clip(colours[0] * 0.8 + 0.05, 0, 1)
    else:
        base = jitter(hex_colour(TONES[METAL_TONE.pick(rng, regime)]), rng, 0.05)
    angle = float(rng.uniform(0, math.pi))
    u, v = rotated(h, w, angle)
    if variant == "brushed":
        shade = 0.85 + 0.25 * lattice_noise(rng, u, v, 90, 0.8) + 0.06 * lattice_noise(rng, u, v, 20, 0.5)
        gloss = 0.45
    elif variant == "polished":
        bands = np.sin(v / rng.uniform(30, 90) + 2 * fbm(rng, h, w, 150, 2))
        shade = 0.7 + 0.35 * bands ** 2
        gloss = 0.9
    elif variant == "anodised":
        shade = 0.9 + 0.1 * fbm(rng, h, w, 2, 1) + 0.06 * lattice_noise(rng, u, v, 60, 1.0)
        gloss = 0.35
    elif variant == "bead_blasted":
        shade = 0.88 + 0.16 * fbm(rng, h, w, 1.5, 1)
        gloss = 0.1
    else:
        raise ValueError(f"unknown metal {variant!r}")
    rgb = base * shade[..., None]
    return Material(rgb, "metal", f"metal/{variant}", "hard", base, np.clip(base * 1.2, 0, 1), angle, 4.0, gloss,
                    palette)


def render_wood(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    base = jitter(hex_colour(TONES[WOOD_TONE.pick(rng, regime)]), rng, 0.08)
    angle = float(rng.uniform(-0.3, 0.3) + rng.choice([0, math.pi / 2]))
    u, v = rotated(h, w, angle)
    spacing = rng.uniform(7, 20)
    warp = fbm(rng, h, w, rng.uniform(40, 100), 2) * rng.uniform(10, 30)
    if variant == "flat_sawn":
        rings = v + ((u - u.mean()) / rng.uniform(150, 400)) ** 2 * spacing * 4 + warp
    elif variant == "quarter_sawn":
        rings = v + warp * 0.4
    elif variant == "plywood":
        rings = v + warp * 3 + 30 * np.sin(u / rng.uniform(60, 140))
    else:
        raise ValueError(f"unknown wood {variant!r}")
    phase = (rings / spacing) % 1.0
    late = np.clip((phase - 0.65) / 0.25, 0, 1) * np.clip((1 - phase) / 0.1, 0, 1)
    grain = lattice_noise(rng, u, v, 40, 0.9)
    shade = 1 - 0.28 * late - 0.1 * grain + 0.05 * lattice_noise(rng, u, v, 200, 30)
    rgb = base * shade[..., None]
    core = np.clip(base * 1.3 + 0.08, 0, 1)
    return Material(rgb, "wood", f"wood/{variant}", "hard", base, core, angle, spacing, float(rng.uniform(0.1, 0.5)))


def render_ceramic(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, colours = palette_colours(rng, regime, 1)
    base = colours[0] if rng.random() < 0.6 else jitter(hex_colour("#f3f1ea"), rng, 0.03)
    shade = 0.93 + 0.1 * fbm(rng, h, w, rng.uniform(40, 120), 3)
    gloss = 0.75
    if variant == "glass":
        base = np.clip(base * 0.35 + np.array([0.55, 0.62, 0.64], np.float32), 0, 1)
        shade = 0.85 + 0.25 * fbm(rng, h, w, 90, 2)
        gloss = 0.95
    elif variant == "speckled":
        base = jitter(hex_colour("#e9e0cc"), rng, 0.05) if rng.random() < 0.6 else base
        specks = rng.random((h, w), dtype=np.float32) < rng.uniform(0.002, 0.006)
        specks = cv2.dilate(specks.astype(np.uint8), np.ones((2, 2), np.uint8)) > 0
        shade = np.where(specks, 0.45, shade)
    elif variant != "glazed":
        raise ValueError(f"unknown ceramic {variant!r}")
    rgb = base * shade[..., None]
    core = jitter(hex_colour("#e8e2d6"), rng, 0.04)
    return Material(rgb, "ceramic", f"ceramic/{variant}", "hard", base, core, 0.0, 4.0, gloss, palette)


def render_paper(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    base = jitter(hex_colour("#b58b5a" if variant != "cardboard" else "#a8906c"), rng, 0.08)
    angle = float(rng.uniform(0, math.pi))
    u, v = rotated(h, w, angle)
    shade = 0.9 + 0.1 * lattice_noise(rng, u, v, 8, 1.2) + 0.08 * (rng.random((h, w), dtype=np.float32) - 0.5)
    shade = shade + 0.06 * fbm(rng, h, w, 60, 2)
    if variant == "corrugated":
        period = rng.uniform(8, 14)
        shade = shade * (0.85 + 0.2 * round_profile((v / period) % 1.0))
    elif variant not in ("kraft", "cardboard"):
        raise ValueError(f"unknown paper {variant!r}")
    rgb = base * shade[..., None]
    return Material(rgb, "paper", f"paper/{variant}", "hard", base, np.clip(base * 1.2, 0, 1), angle, 6.0, 0.05)


def render_stone(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, colours = palette_colours(rng, regime, 2)
    grey = photo_crop(variant, h, w, rng, scale=rng.uniform(0.7, 1.6)).mean(2)
    grey = (grey - grey.mean()) / (grey.std() + 1e-6)
    t = np.clip(0.5 + 0.22 * grey, 0, 1)[..., None]
    dark = colours[0] * 0.45
    light = np.clip(colours[1] * 0.5 + 0.45, 0, 1)
    rgb = dark * (1 - t) + light * t
    return Material(rgb, "stone", f"stone/{variant}", "hard", rgb.reshape(-1, 3).mean(0), light, 0.0, 8.0,
                    float(rng.uniform(0.2, 0.7)), palette)
