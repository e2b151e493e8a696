"""Fabric and leather surfaces: prints, woven and knitted cloth, denim, pile, leather and photo-printed cloth."""

from __future__ import annotations

import math

import cv2
import numpy as np

from training.materials_base import (
    Colour, Material, fbm, hex_colour, jitter, lattice_noise, palette_colours, photo_crop, rotated, round_profile,
)
from training.materials_split import Regime, choice, span

PRINT = choice("material.print", ("solid", "stripes", "gingham", "dots", "floral"), ("plaid", "camo"))
THREAD_PERIOD = span("material.thread_period_px", (3.2, 6.0), (2.6, 3.2), (6.0, 7.5))
KNIT_PERIOD = span("material.knit_period_px", (6.0, 11.0), (5.0, 6.0), (11.0, 13.0))


# ---------------------------------------------------------------- prints


def print_field(kind: str, h: int, w: int, colours: list[Colour], rng: np.random.Generator) -> np.ndarray:
    """A printed/dyed colour pattern (H, W, 3) over a fabric."""
    base = colours[0]
    out = np.broadcast_to(base, (h, w, 3)).copy()
    if kind == "solid":
        return out
    second = colours[1] if len(colours) > 1 else np.clip(1 - base, 0, 1)
    angle = float(rng.choice([0.0, math.pi / 2, rng.uniform(0, math.pi)]))
    u, v = rotated(h, w, angle)
    if kind in ("stripes", "gingham", "plaid"):
        period = rng.uniform(10, 48)
        duty = rng.uniform(0.2, 0.6)
        mask = ((v / period) % 1.0) < duty
        if kind == "stripes":
            out[mask] = second
        else:
            across = ((u / (period * rng.uniform(0.8, 1.2))) % 1.0) < duty
            weight = mask.astype(np.float32) * 0.5 + across.astype(np.float32) * 0.5
            out = out * (1 - weight[..., None]) + second * weight[..., None]
            if kind == "plaid":
                third = colours[2] if len(colours) > 2 else np.clip(second * 0.5, 0, 1)
                fine = (((v / (period / 3)) % 1.0) < 0.12) | (((u / (period / 3)) % 1.0) < 0.12)
                out[fine] = 0.5 * out[fine] + 0.5 * third
    elif kind == "dots":
        period = rng.uniform(12, 40)
        radius = period * rng.uniform(0.15, 0.3)
        du, dv = (u % period) - period / 2, (v % period) - period / 2
        mask = du * du + dv * dv < radius * radius
        out[mask] = second
    elif kind in ("floral", "camo"):
        cell = rng.uniform(14, 40)
        field = fbm(rng, h, w, cell, 3)
        if kind == "floral":
            petals = np.abs(np.sin(u / cell * 2.1) * np.sin(v / cell * 2.1))
            blossoms = (field > 0.55) & (petals > 0.45)
            out[blossoms] = second
            centres = (field > 0.62) & (petals > 0.8)
            out[centres] = colours[2] if len(colours) > 2 else second * 0.5
        else:
            for level, colour in zip((0.42, 0.56), colours[1:3] if len(colours) > 2 else [second, second * 0.6]):
                out[field > level] = colour
    return out


# ---------------------------------------------------------------- weaves and knits


def _weave_matrix(name: str) -> np.ndarray:
    if name in ("plain", "ripstop"):
        return np.array([[1, 0], [0, 1]])
    if name == "twill":
        return np.array([[1 if (c - r) % 4 in (0, 1) else 0 for c in range(4)] for r in range(4)])
    if name == "satin":
        return np.array([[0 if c == (2 * r) % 5 else 1 for c in range(5)] for r in range(5)])
    if name == "basket":
        return np.kron(np.array([[1, 0], [0, 1]]), np.ones((2, 2), int))
    if name == "oxford":
        return np.array([[1, 1, 0, 0], [0, 0, 1, 1]])
    if name == "herringbone":
        return np.array([[1 if ((c - r) if c < 4 else (c + r)) % 4 in (0, 1) else 0 for c in range(8)]
                         for r in range(4)])
    if name == "denim":
        return np.array([[0 if (c - r) % 4 == 0 else 1 for c in range(4)] for r in range(4)])
    raise ValueError(f"unknown weave {name!r}")


def woven(h: int, w: int, weave: str, period: float, angle: float, warp: np.ndarray, weft: np.ndarray,
          rng: np.random.Generator, slub: float = 0.05) -> np.ndarray:
    """A woven cloth: threads on top per the weave matrix, each thread round and slightly uneven."""
    u, v = rotated(h, w, angle)
    a, b = v / period, u / period  # warp threads run along u: their index counts across (v)
    i, j = a.astype(np.int32), b.astype(np.int32)
    fa, fb = a - i, b - j
    matrix = _weave_matrix(weave)
    top = matrix[j % matrix.shape[0], i % matrix.shape[1]].astype(bool)
    warp_var = (1 + rng.normal(0, slub, 4096).astype(np.float32))[i % 4096]
    weft_var = (1 + rng.normal(0, slub * 0.6, 4096).astype(np.float32))[j % 4096]
    shade = np.where(top, (0.5 + 0.55 * round_profile(fa) * (0.88 + 0.12 * round_profile(fb))) * warp_var,
                     (0.45 + 0.5 * round_profile(fb) * (0.88 + 0.12 * round_profile(fa))) * weft_var)
    if weave == "ripstop":
        grid = ((i % 8) == 0) | ((j % 8) == 0)
        shade = np.where(grid, shade * 1.12, shade)
    fibres = lattice_noise(rng, u, v, 6 * period, 0.7)
    shade = shade * (0.94 + 0.12 * fibres)
    colour = np.where(top[..., None], warp, weft)
    return colour * shade[..., None]


def knitted(h: int, w: int, stitch: str, period: float, angle: float, yarn: np.ndarray,
            rng: np.random.Generator) -> np.ndarray:
    """Knit loops: stockinette V's in wales, purl bumps, ribs, cables, waffle and moss textures."""
    u, v = rotated(h, w, angle)
    q = period * 0.72
    if stitch == "cable":
        band = (v / period) % 12
        inside = band < 6
        u = u + np.where(inside, np.abs(((u / (8 * q)) % 1.0) - 0.5) * 2 * period * 1.5, 0)
    a, b = v / period, u / q
    i, j = a.astype(np.int32), b.astype(np.int32)
    fx, fy = (a - i) * 2 - 1, b - j
    centre = 0.95 - 0.85 * fy
    legs = np.maximum(np.exp(-((fx + centre) / 0.36) ** 2), np.exp(-((fx - centre) / 0.36) ** 2))
    knit = 0.38 + 0.62 * legs * (0.8 + 0.2 * np.sin(np.pi * fy))
    purl = 0.33 + 0.5 * np.exp(-((fy - 0.5) / 0.28) ** 2) * (0.75 + 0.25 * np.cos(np.pi * fx))
    if stitch == "stockinette":
        shade = knit
    elif stitch == "rib":
        width = int(rng.integers(1, 3))
        shade = np.where((i // width) % 2 == 0, knit, purl * 0.72)
    elif stitch == "cable":
        band = (v / period) % 12
        shade = np.where(band < 6, knit * (0.85 + 0.25 * np.sin(np.pi * band / 6)), purl * 0.7)
    elif stitch == "waffle":
        ridge = ((i % 4) == 0) | ((j % 4) == 0)
        shade = np.where(ridge, purl * 1.15, knit * 0.8)
    elif stitch == "moss":
        shade = np.where((i + j) % 2 == 0, knit, purl)
    else:
        raise ValueError(f"unknown stitch {stitch!r}")
    fuzz = fbm(rng, h, w, 2.0, 2)
    shade = shade * (0.9 + 0.2 * fuzz) * (1 + rng.normal(0, 0.04, 4096).astype(np.float32)[i % 4096])[...]
    return yarn * shade[..., None]


def _fabric_colours(rng: np.random.Generator, regime: Regime, h: int, w: int) -> tuple[str, str, np.ndarray]:
    palette, colours = palette_colours(rng, regime, 3)
    kind = PRINT.pick(rng, regime)
    if rng.random() < 0.45:
        kind = "solid" if regime == "train" else kind  # solid cloth is common; test keeps its reserved prints
    return palette, kind, print_field(kind, h, w, colours, rng)


# ---------------------------------------------------------------- fabric families


def render_weave(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, kind, field = _fabric_colours(rng, regime, h, w)
    period = THREAD_PERIOD.pick(rng, regime)
    angle = float(rng.uniform(-0.35, 0.35) + rng.choice([0, math.pi / 2]))
    weft = field * rng.uniform(0.88, 1.02) if rng.random() < 0.8 else jitter(field.mean((0, 1)) * 0.7 + 0.2, rng)
    rgb = woven(h, w, variant, period, angle, field, weft, rng)
    base = field.reshape(-1, 3).mean(0)
    return Material(rgb, "weave", f"weave/{variant}", "fabric", base, base, angle, period, 0.05, palette, kind)


def render_knit(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, kind, field = _fabric_colours(rng, regime, h, w)
    period = KNIT_PERIOD.pick(rng, regime)
    angle = float(rng.uniform(-0.25, 0.25))
    rgb = knitted(h, w, variant, period, angle, field, rng)
    base = field.reshape(-1, 3).mean(0)
    return Material(rgb, "knit", f"knit/{variant}", "fabric", base, base, angle, period, 0.0, palette, kind)


DENIM_TONES = {"dark_indigo": "#1f2b4a", "mid_wash": "#3c5d8a", "black": "#26272b", "light_wash": "#7d9bc2",
               "grey": "#5d6168"}


def render_denim(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    warp = jitter(hex_colour(DENIM_TONES[variant]), rng, 0.08)
    weft = jitter(hex_colour("#d9d3c2"), rng, 0.05) * 0.65 + warp * 0.35  # the ecru weft mostly hides under the warp
    period = THREAD_PERIOD.pick(rng, regime) * 0.85
    angle = float(rng.uniform(-0.3, 0.3) + math.pi / 2)
    u, v = rotated(h, w, angle)
    slubs = lattice_noise(rng, u, v, 9 * period, period)
    warp_field = warp * (0.82 + 0.36 * slubs)[..., None]
    rgb = woven(h, w, "denim", period, angle, warp_field, weft, rng, slub=0.12)
    fade = np.clip(fbm(rng, h, w, rng.uniform(60, 160), 3) * 1.6 - 0.6, 0, 1) * rng.uniform(0.1, 0.5)
    rgb = rgb * (1 - fade[..., None]) + np.array([0.72, 0.78, 0.86], np.float32) * fade[..., None]
    return Material(rgb, "denim", f"denim/{variant}", "fabric", warp, weft, angle, period, 0.0, "", "solid")


def render_pile(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, kind, field = _fabric_colours(rng, regime, h, w)
    angle = float(rng.uniform(0, math.pi))
    fine = rng.random((h, w), dtype=np.float32)
    if variant == "fleece":
        shade = 0.8 + 0.2 * fbm(rng, h, w, 5, 3) + 0.08 * (fine - 0.5)
        period = 3.0
    elif variant == "felt":
        u, v = rotated(h, w, angle)
        shade = 0.82 + 0.12 * fbm(rng, h, w, 14, 3) + 0.1 * lattice_noise(rng, u, v, 5, 1.2) + 0.06 * (fine - 0.5)
        period = 2.0
    elif variant == "corduroy":
        period = float(rng.uniform(4.5, 9))
        u, v = rotated(h, w, angle)
        shade = (0.5 + 0.55 * round_profile((v / period) % 1.0)) * (0.92 + 0.08 * fine)
    elif variant == "velvet":
        period = 2.0
        shade = 0.62 + 0.45 * fbm(rng, h, w, rng.uniform(60, 140), 2) + 0.05 * (fine - 0.5)
    else:
        raise ValueError(f"unknown pile {variant!r}")
    rgb = field * shade[..., None]
    base = field.reshape(-1, 3).mean(0)
    return Material(rgb, "pile", f"pile/{variant}", "fabric", base, base, angle, period, 0.05, palette, kind)


def _cells(rng: np.random.Generator, h: int, w: int, cell: float) -> np.ndarray:
    """Distance to the nearest of random seed points divided by the cell size (cellular/Voronoi pattern)."""
    seeds = np.full((h, w), 255, np.uint8)
    n = int(h * w / (cell * cell))
    seeds[rng.integers(0, h, n), rng.integers(0, w, n)] = 0
    return cv2.distanceTransform(seeds, cv2.DIST_L2, 3) / cell


def render_leather(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, colours = palette_colours(rng, regime, 2)
    base = np.clip(colours[0] * rng.uniform(0.55, 0.95), 0, 1)
    fine = rng.random((h, w), dtype=np.float32)
    if variant == "suede":
        shade = 0.78 + 0.22 * fbm(rng, h, w, rng.uniform(20, 60), 3) + 0.1 * (fine - 0.5)
        gloss = 0.0
    else:
        cell = rng.uniform(3, 6) if variant == "smooth" else rng.uniform(6, 11)
        d = np.clip(_cells(rng, h, w, cell), 0, 1)
        depth = 0.12 if variant == "smooth" else 0.32
        creases = np.abs(fbm(rng, h, w, rng.uniform(50, 120), 2) - 0.5) < 0.012
        shade = 1 - depth * d ** 2 - 0.12 * creases + 0.04 * (fine - 0.5)
        shade = cv2.GaussianBlur(shade.astype(np.float32), (3, 3), 0.6)
        gloss = 0.35 if variant == "smooth" else 0.2
    rgb = base * shade[..., None]
    return Material(rgb, "leather", f"leather/{variant}", "leather", base, base * 0.8, 0.0, 6.0, gloss, palette)


def render_printed(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, colours = palette_colours(rng, regime, 2)
    grey = photo_crop(variant, h, w, rng, scale=rng.uniform(0.8, 1.8)).mean(2)
    t = np.clip((grey - grey.min()) / (np.ptp(grey) + 1e-6), 0, 1)[..., None]
    field = colours[0] * (1 - t) + colours[1] * t
    period = THREAD_PERIOD.pick(rng, regime)
    angle = float(rng.uniform(-0.3, 0.3))
    rgb = woven(h, w, "plain", period, angle, field, field * 0.95, rng)
    base = field.reshape(-1, 3).mean(0)
    return Material(rgb, "printed", f"printed/{variant}", "fabric", base, base, angle, period, 0.05, palette,
                    f"photo:{variant}")
