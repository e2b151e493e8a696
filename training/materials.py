"""Procedural product surfaces (fabrics, leather, plastic, metal, wood, ceramic, paper, stone) as float RGB images."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import cv2
import numpy as np

from aftersales.decisions import FABRIC_DEFECTS, HARD_GOODS_DEFECTS

Regime = Literal["train", "test"]
Colour = np.ndarray  # (3,) float32 RGB in [0, 1]


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


def _hex(code: str) -> Colour:
    return np.array([int(code[i:i + 2], 16) / 255 for i in (1, 3, 5)], np.float32)


PALETTES: dict[str, list[str]] = {
    "neutral": ["#f4f2ec", "#d9d4c7", "#9a9a98", "#4a4a4c", "#1d1d20", "#c8b89a", "#22304a"],
    "earth": ["#6b705c", "#a5a58d", "#7f5539", "#b08968", "#9c6644", "#c9a227", "#5c4033"],
    "bright": ["#c1121f", "#1d4ed8", "#15803d", "#facc15", "#db2777", "#ea580c", "#0891b2"],
    "pastel": ["#f4c2c2", "#b5ead7", "#a7c7e7", "#cdb4db", "#ffdab9", "#fff1a8", "#e2ece9"],
    "jewel": ["#046307", "#0f52ba", "#9b111e", "#6a0dad", "#008080", "#b8860b", "#2b2d42"],
    "muted": ["#c4a4a4", "#9caf88", "#708090", "#915f6d", "#b0a18f", "#e8e4da", "#3d4a3f"],
}
PALETTE = choice("material.palette", ("neutral", "earth", "bright", "pastel"), ("jewel", "muted"))
PRINT = choice("material.print", ("solid", "stripes", "gingham", "dots", "floral"), ("plaid", "camo"))
METAL_TONE = choice("material.metal_tone", ("silver", "steel", "gold", "gunmetal"), ("rose", "titanium"))
WOOD_TONE = choice("material.wood_tone", ("oak", "pine", "walnut", "cherry"), ("maple", "teak"))
TONES: dict[str, str] = {
    "silver": "#c9ccd1", "steel": "#8e949b", "gold": "#c9a45c", "gunmetal": "#4b4f56", "rose": "#c99a8a",
    "titanium": "#a7a39b", "oak": "#b68a56", "pine": "#d8b77f", "walnut": "#6b4a32", "cherry": "#9a5534",
    "maple": "#e0c49a", "teak": "#8a5e34",
}
THREAD_PERIOD = span("material.thread_period_px", (3.2, 6.0), (2.6, 3.2), (6.0, 7.5))
KNIT_PERIOD = span("material.knit_period_px", (6.0, 11.0), (5.0, 6.0), (11.0, 13.0))
BACKGROUND_PHOTOS = choice("scene.background_photo", ("astronaut", "chelsea", "coffee", "motorcycle_left", "camera"),
                           ("rocket", "color", "coins"))


@dataclass
class Material:
    """A rendered product surface.

    Attributes:
        rgb: (H, W, 3) float32 RGB in [0, 1].
        family: Family name (a key of FAMILIES).
        variant: "family/variant", the unit the train/test split divides.
        kind: "fabric", "leather" or "hard": which defect classes may appear on it.
        base: Mean colour of the surface.
        thread: Colour of its threads/yarn (fabric), else of its inner material (hard goods' broken core).
        angle: Radians; the warp/wale/grain/brush direction, for drawers that follow the structure.
        period: Pixels between threads/stitches (fabric) or a texture scale (others).
        gloss: 0 (matte) to 1 (mirror-like): strength of the specular highlights the scene adds.
        palette: Palette the colours came from ("" when the family has its own tones).
        print: Print pattern of fabrics ("solid" otherwise).
    """

    rgb: np.ndarray
    family: str
    variant: str
    kind: str
    base: Colour
    thread: Colour
    angle: float
    period: float
    gloss: float
    palette: str = ""
    print: str = "solid"


# ---------------------------------------------------------------- noise and coordinates


@functools.lru_cache(maxsize=8)
def _centred_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return x - w / 2, y - h / 2


def rotated(h: int, w: int, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (u along `angle`, v across it), both ≥ 0, for an h×w image."""
    x, y = _centred_grid(h, w)
    c, s = math.cos(angle), math.sin(angle)
    half = math.hypot(h, w) / 2 + 2
    return x * c + y * s + half, -x * s + y * c + half


def lattice_noise(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, cu: float, cv: float) -> np.ndarray:
    """Smooth value noise in [0, 1], cells cu×cv in (u, v): anisotropic when cu ≠ cv (fibres, brushing, grain)."""
    a, b = u / cu, v / cv
    grid = rng.random((int(b.max()) + 2, int(a.max()) + 2), dtype=np.float32)
    i0, j0 = a.astype(np.int32), b.astype(np.int32)
    fa, fb = a - i0, b - j0
    fa, fb = fa * fa * (3 - 2 * fa), fb * fb * (3 - 2 * fb)
    top = grid[j0, i0] * (1 - fa) + grid[j0, i0 + 1] * fa
    bottom = grid[j0 + 1, i0] * (1 - fa) + grid[j0 + 1, i0 + 1] * fa
    return top * (1 - fb) + bottom * fb


def fbm(rng: np.random.Generator, h: int, w: int, cell: float, octaves: int = 3, gain: float = 0.5) -> np.ndarray:
    """Isotropic fractal noise in about [0, 1]: bicubic-upsampled random grids, one per octave."""
    total = np.zeros((h, w), np.float32)
    amp, norm = 1.0, 0.0
    for _ in range(octaves):
        gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
        total += amp * cv2.resize(rng.random((gh, gw), dtype=np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        norm += amp
        amp *= gain
        cell = max(1.0, cell / 2)
    return np.clip(total / norm, 0, 1)


def jitter(colour: Colour, rng: np.random.Generator, amount: float = 0.06) -> Colour:
    """A colour nudged in brightness and per channel, as dye lots differ."""
    return np.clip(colour * rng.uniform(1 - amount, 1 + amount) + rng.normal(0, amount / 3, 3), 0, 1).astype(
        np.float32)


def palette_colours(rng: np.random.Generator, regime: Regime, n: int) -> tuple[str, list[Colour]]:
    """n distinct-ish jittered colours from one palette of the regime."""
    name = PALETTE.pick(rng, regime)
    codes = PALETTES[name]
    picks = rng.choice(len(codes), size=min(n, len(codes)), replace=False)
    return name, [jitter(_hex(codes[int(i)]), rng) for i in picks]


SKIMAGE_DIR = Path(__import__("skimage.data", fromlist=["data"]).__file__).parent


@functools.lru_cache(maxsize=16)
def skimage_image(name: str) -> np.ndarray:
    """One of scikit-image's images bundled in its wheel (read from disk: nothing is ever fetched), float RGB."""
    for suffix in (".png", ".jpg"):
        path = SKIMAGE_DIR / f"{name}{suffix}"
        if path.exists():
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                break
            return cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    raise FileNotFoundError(f"scikit-image has no bundled image {name!r} in {SKIMAGE_DIR}")


def photo_crop(name: str, h: int, w: int, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """A random crop of a bundled scikit-image picture, resized to h×w."""
    image = skimage_image(name)
    ih, iw = image.shape[:2]
    zoom = max(h / ih, w / iw) * scale
    ch, cw = min(ih, int(math.ceil(h / zoom))), min(iw, int(math.ceil(w / zoom)))
    y0, x0 = int(rng.integers(0, ih - ch + 1)), int(rng.integers(0, iw - cw + 1))
    crop = image[y0:y0 + ch, x0:x0 + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.resize(np.ascontiguousarray(crop), (w, h), interpolation=cv2.INTER_LINEAR)


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


# ---------------------------------------------------------------- fabric families


def _profile(t: np.ndarray) -> np.ndarray:
    """Brightness across a round thread: 1 on its crown, 0 at its edges."""
    return np.sqrt(np.clip(4 * t * (1 - t), 0, 1))


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
    shade = np.where(top, (0.5 + 0.55 * _profile(fa) * (0.88 + 0.12 * _profile(fb))) * warp_var,
                     (0.45 + 0.5 * _profile(fb) * (0.88 + 0.12 * _profile(fa))) * weft_var)
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


def _render_weave(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, kind, field = _fabric_colours(rng, regime, h, w)
    period = THREAD_PERIOD.pick(rng, regime)
    angle = float(rng.uniform(-0.35, 0.35) + rng.choice([0, math.pi / 2]))
    weft = field * rng.uniform(0.88, 1.02) if rng.random() < 0.8 else jitter(field.mean((0, 1)) * 0.7 + 0.2, rng)
    rgb = woven(h, w, variant, period, angle, field, weft, rng)
    base = field.reshape(-1, 3).mean(0)
    return Material(rgb, "weave", f"weave/{variant}", "fabric", base, base, angle, period, 0.05, palette, kind)


def _render_knit(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, kind, field = _fabric_colours(rng, regime, h, w)
    period = KNIT_PERIOD.pick(rng, regime)
    angle = float(rng.uniform(-0.25, 0.25))
    rgb = knitted(h, w, variant, period, angle, field, rng)
    base = field.reshape(-1, 3).mean(0)
    return Material(rgb, "knit", f"knit/{variant}", "fabric", base, base, angle, period, 0.0, palette, kind)


DENIM_TONES = {"dark_indigo": "#1f2b4a", "mid_wash": "#3c5d8a", "black": "#26272b", "light_wash": "#7d9bc2",
               "grey": "#5d6168"}


def _render_denim(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    warp = jitter(_hex(DENIM_TONES[variant]), rng, 0.08)
    weft = jitter(_hex("#d9d3c2"), rng, 0.05) * 0.65 + warp * 0.35  # the ecru weft mostly hides under the warp
    period = THREAD_PERIOD.pick(rng, regime) * 0.85
    angle = float(rng.uniform(-0.3, 0.3) + math.pi / 2)
    u, v = rotated(h, w, angle)
    slubs = lattice_noise(rng, u, v, 9 * period, period)
    warp_field = warp * (0.82 + 0.36 * slubs)[..., None]
    rgb = woven(h, w, "denim", period, angle, warp_field, weft, rng, slub=0.12)
    fade = np.clip(fbm(rng, h, w, rng.uniform(60, 160), 3) * 1.6 - 0.6, 0, 1) * rng.uniform(0.1, 0.5)
    rgb = rgb * (1 - fade[..., None]) + np.array([0.72, 0.78, 0.86], np.float32) * fade[..., None]
    return Material(rgb, "denim", f"denim/{variant}", "fabric", warp, weft, angle, period, 0.0, "", "solid")


def _render_pile(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
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
        shade = (0.5 + 0.55 * _profile((v / period) % 1.0)) * (0.92 + 0.08 * fine)
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


def _render_leather(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
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


# ---------------------------------------------------------------- hard families


def _render_plastic(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
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


def _render_metal(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette = ""
    if variant == "anodised":
        palette, colours = palette_colours(rng, regime, 1)
        base = np.clip(colours[0] * 0.8 + 0.05, 0, 1)
    else:
        base = jitter(_hex(TONES[METAL_TONE.pick(rng, regime)]), rng, 0.05)
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


def _render_wood(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    base = jitter(_hex(TONES[WOOD_TONE.pick(rng, regime)]), rng, 0.08)
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


def _render_ceramic(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, colours = palette_colours(rng, regime, 1)
    base = colours[0] if rng.random() < 0.6 else jitter(_hex("#f3f1ea"), rng, 0.03)
    shade = 0.93 + 0.1 * fbm(rng, h, w, rng.uniform(40, 120), 3)
    gloss = 0.75
    if variant == "glass":
        base = np.clip(base * 0.35 + np.array([0.55, 0.62, 0.64], np.float32), 0, 1)
        shade = 0.85 + 0.25 * fbm(rng, h, w, 90, 2)
        gloss = 0.95
    elif variant == "speckled":
        base = jitter(_hex("#e9e0cc"), rng, 0.05) if rng.random() < 0.6 else base
        specks = rng.random((h, w), dtype=np.float32) < rng.uniform(0.002, 0.006)
        specks = cv2.dilate(specks.astype(np.uint8), np.ones((2, 2), np.uint8)) > 0
        shade = np.where(specks, 0.45, shade)
    elif variant != "glazed":
        raise ValueError(f"unknown ceramic {variant!r}")
    rgb = base * shade[..., None]
    core = jitter(_hex("#e8e2d6"), rng, 0.04)
    return Material(rgb, "ceramic", f"ceramic/{variant}", "hard", base, core, 0.0, 4.0, gloss, palette)


def _render_paper(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    base = jitter(_hex("#b58b5a" if variant != "cardboard" else "#a8906c"), rng, 0.08)
    angle = float(rng.uniform(0, math.pi))
    u, v = rotated(h, w, angle)
    shade = 0.9 + 0.1 * lattice_noise(rng, u, v, 8, 1.2) + 0.08 * (rng.random((h, w), dtype=np.float32) - 0.5)
    shade = shade + 0.06 * fbm(rng, h, w, 60, 2)
    if variant == "corrugated":
        period = rng.uniform(8, 14)
        shade = shade * (0.85 + 0.2 * _profile((v / period) % 1.0))
    elif variant not in ("kraft", "cardboard"):
        raise ValueError(f"unknown paper {variant!r}")
    rgb = base * shade[..., None]
    return Material(rgb, "paper", f"paper/{variant}", "hard", base, np.clip(base * 1.2, 0, 1), angle, 6.0, 0.05)


def _render_stone(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
    palette, colours = palette_colours(rng, regime, 2)
    grey = photo_crop(variant, h, w, rng, scale=rng.uniform(0.7, 1.6)).mean(2)
    grey = (grey - grey.mean()) / (grey.std() + 1e-6)
    t = np.clip(0.5 + 0.22 * grey, 0, 1)[..., None]
    dark = colours[0] * 0.45
    light = np.clip(colours[1] * 0.5 + 0.45, 0, 1)
    rgb = dark * (1 - t) + light * t
    return Material(rgb, "stone", f"stone/{variant}", "hard", rgb.reshape(-1, 3).mean(0), light, 0.0, 8.0,
                    float(rng.uniform(0.2, 0.7)), palette)


def _render_printed(variant: str, h: int, w: int, rng: np.random.Generator, regime: Regime) -> Material:
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
                                                     ("herringbone", "oxford")), _render_weave, 2.0),
    Family("knit", "fabric", FABRIC_DEFECTS, choice("knit", ("stockinette", "rib", "cable"), ("waffle", "moss")),
           _render_knit, 1.5),
    Family("denim", "fabric", FABRIC_DEFECTS, choice("denim", ("dark_indigo", "mid_wash", "black"),
                                                     ("light_wash", "grey")), _render_denim, 1.2),
    Family("pile", "fabric", FABRIC_DEFECTS, choice("pile", ("fleece", "felt", "corduroy"), ("velvet",)),
           _render_pile, 1.0),
    Family("printed", "fabric", FABRIC_DEFECTS, choice("printed", ("grass", "brick", "text"), ("gravel", "page")),
           _render_printed, 0.6),
    Family("leather", "leather", _LEATHER_CLASSES, choice("leather", ("smooth", "pebbled"), ("suede",)),
           _render_leather, 0.8),
    Family("plastic", "hard", HARD_GOODS_DEFECTS, choice("plastic", ("glossy", "matte"), ("textured",)),
           _render_plastic, 1.5),
    Family("metal", "hard", HARD_GOODS_DEFECTS, choice("metal", ("brushed", "polished", "anodised"),
                                                       ("bead_blasted",)), _render_metal, 1.2),
    Family("wood", "hard", HARD_GOODS_DEFECTS, choice("wood", ("flat_sawn", "quarter_sawn"), ("plywood",)),
           _render_wood, 1.0),
    Family("ceramic", "hard", ("scratch", "crack", "broken"), choice("ceramic", ("glazed", "glass"), ("speckled",)),
           _render_ceramic, 1.2),
    Family("paper", "hard", ("scratch", "dent", "broken"), choice("paper", ("kraft", "cardboard"), ("corrugated",)),
           _render_paper, 0.6),
    Family("stone", "hard", ("scratch", "crack", "broken"), choice("stone", ("brick", "grass"), ("gravel",)),
           _render_stone, 0.5),
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
