"""What every material renderer shares: palettes, the Material record, noise fields and bundled photos."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from training.materials_split import Regime, choice

Colour = np.ndarray  # (3,) float32 RGB in [0, 1]


def hex_colour(code: str) -> Colour:
    """A "#rrggbb" code as a float32 RGB colour."""
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
    return name, [jitter(hex_colour(codes[int(i)]), rng) for i in picks]


def round_profile(t: np.ndarray) -> np.ndarray:
    """Brightness across a round thread: 1 on its crown, 0 at its edges."""
    return np.sqrt(np.clip(4 * t * (1 - t), 0, 1))


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
