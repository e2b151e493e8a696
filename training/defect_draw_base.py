"""The Patch and DefectContext a drawer works on, and the antialiased shapes (strokes, fills, blobs, cracks) it uses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from training.materials import Material, Profile, Regime


@dataclass
class Patch:
    """The region of the product canvas a defect is drawn into (all arrays the same h×w).

    Attributes:
        rgb: (h, w, 3) float32 product surface.
        alpha: (h, w) float32 product coverage (1 on the product, 0 off it).
        behind: (h, w, 3) float32 what an opening in the product shows (the scene behind it).
    """

    rgb: np.ndarray
    alpha: np.ndarray
    behind: np.ndarray

    def copy(self) -> Patch:
        return Patch(self.rgb.copy(), self.alpha.copy(), self.behind)


@dataclass
class DefectContext:
    """Where and how to draw one defect.

    Attributes:
        material: The surface drawn on (colours, thread direction, gloss).
        center: (x, y) of the defect in patch pixels.
        size: The defect's extent in pixels (its long side, roughly).
        light: Unit (x, y) vector pointing toward the light in the image plane.
        regime: "train" or "test": which parameter ranges the drawer may use.
        seam: For open_seam, the seam line ((x0, y0), (x1, y1)) in patch pixels, already drawn by draw_seam.
        seam_thread: For open_seam, the seam's thread colour.
        outward: For broken, unit (x, y) vector from the product toward the outside at `center`.
        strength: Contrast multiplier; draw_defect raises it when a first attempt is too faint to see.
        profile: The split profile: whether test's categorical defect forms are shared with train ("textures").
    """

    material: Material
    center: tuple[float, float]
    size: float
    light: tuple[float, float]
    regime: Regime
    seam: tuple[tuple[float, float], tuple[float, float]] | None = None
    seam_thread: np.ndarray | None = None
    outward: tuple[float, float] = (0.0, -1.0)
    strength: float = 1.0
    profile: Profile = "strict"


def _layer(shape: tuple[int, int], draw: Callable[[np.ndarray], None]) -> np.ndarray:
    """Antialiased coverage in [0, 1] of whatever `draw` paints (at 1/16 px precision, value 255)."""
    canvas = np.zeros(shape, np.uint8)
    draw(canvas)
    return canvas.astype(np.float32) / 255


def _fix(points: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points) * 16).astype(np.int32)


def stroke(shape: tuple[int, int], paths: list[np.ndarray], thickness: int = 1) -> np.ndarray:
    """Coverage of antialiased polylines."""
    return _layer(shape, lambda c: cv2.polylines(c, [_fix(p) for p in paths], False, 255, max(1, thickness),
                                                 cv2.LINE_AA, 4))


def fill(shape: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    """Coverage of antialiased filled polygons."""
    return _layer(shape, lambda c: cv2.fillPoly(c, [_fix(p) for p in polygons], 255, cv2.LINE_AA, 4))


def blob(center: tuple[float, float], radius: float, rng: np.random.Generator, roughness: float = 0.2,
         aspect: float = 1.0, angle: float = 0.0, vertices: int = 48) -> np.ndarray:
    """An irregular closed outline: a radius wobbling with a few random harmonics."""
    theta = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 7):
        r += roughness / k ** 0.8 * rng.normal() * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    r = radius * np.clip(r, 0.35, 1.8)
    x, y = r * np.cos(theta) * aspect, r * np.sin(theta)
    c, s = math.cos(angle), math.sin(angle)
    return np.stack([center[0] + x * c - y * s, center[1] + x * s + y * c], 1)


def jagged(start: np.ndarray, direction: float, length: float, rng: np.random.Generator, step: float = 3.0,
           wobble: float = 0.25) -> np.ndarray:
    """A random walk: a crack or rip path, drifting around `direction`."""
    points = [np.asarray(start, np.float64)]
    angle = direction
    for _ in range(max(2, int(length / step))):
        angle += rng.normal(0, wobble)
        angle = direction + float(np.clip(angle - direction, -0.9, 0.9))
        points.append(points[-1] + step * rng.uniform(0.6, 1.4) * np.array([math.cos(angle), math.sin(angle)]))
    return np.array(points)
