"""What lighting and the camera add to a composed scene: sheen, folds, colour cast, perspective, blur and noise."""

from __future__ import annotations

import math

import cv2
import numpy as np

from training.defect_draw import fill
from training.materials import Material, Regime, fbm, span

LIGHT_ANGLE = span("scene.light_angle_deg", (0.0, 300.0), (300.0, 360.0))
COLOUR_TEMPERATURE = span("scene.colour_temperature", (-0.6, 0.6), (-0.9, -0.6), (0.6, 0.9))
# A defect the perspective shrinks below this, or pushes mostly out of frame, is no longer labelled.
MIN_BOX_PIXELS = 12
MIN_VISIBLE_SHARE = 0.4


def clutter_shape(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A random ellipse or rectangle outline in a w×h frame: an object lying about, or one casting a shadow."""
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = rng.uniform(0.08, 0.3) * min(w, h)
    if rng.random() < 0.5:
        t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
        return np.stack([cx + r * np.cos(t) * rng.uniform(0.5, 1.5), cy + r * np.sin(t)], 1)
    a = rng.uniform(0, np.pi)
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * np.array([r, r * rng.uniform(0.3, 1.0)])
    c, s = math.cos(a), math.sin(a)
    return np.stack([cx + corners[:, 0] * c - corners[:, 1] * s, cy + corners[:, 0] * s + corners[:, 1] * c], 1)


def hard_finish(material: Material, alpha: np.ndarray, light: tuple[float, float], rng: np.random.Generator) -> None:
    """Bevelled edges catching the light and a soft specular band, as hard products show in a photo."""
    h, w = alpha.shape
    gy, gx = np.gradient(cv2.GaussianBlur(alpha, (0, 0), rng.uniform(2, 5)))
    edge = -(gx * light[0] + gy * light[1])
    edge = edge / (np.abs(edge).max() + 1e-6)
    material.rgb *= (1 + 0.35 * edge)[..., None]
    if material.gloss > 0.05:
        a = rng.uniform(0, np.pi)
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        u = x * math.cos(a) + y * math.sin(a)
        centre = rng.uniform(u.min(), u.max())
        band = np.exp(-((u - centre) / (rng.uniform(0.05, 0.25) * max(w, h))) ** 2)
        band = band * (0.7 + 0.3 * fbm(rng, h, w, 80, 1))
        material.rgb += (material.gloss * 0.5 * band)[..., None] * (1 - material.rgb)


def folds(h: int, w: int, light: tuple[float, float], rng: np.random.Generator
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cloth folds: a height field whose slope shades the cloth and shifts its texture (map_x, map_y, shade)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    height = fbm(rng, h, w, rng.uniform(120, 260), 2) * rng.uniform(8, 30)
    for _ in range(int(rng.integers(0, 4))):
        a = rng.uniform(0, np.pi)
        px, py = rng.uniform(0, w), rng.uniform(0, h)
        across = (x - px) * -math.sin(a) + (y - py) * math.cos(a)
        along = (x - px) * math.cos(a) + (y - py) * math.sin(a)
        length = rng.uniform(0.3, 1.0) * max(w, h)
        height += rng.uniform(4, 14) * np.exp(-(across / rng.uniform(6, 25)) ** 2) * np.exp(-(along / length) ** 2)
    gy, gx = np.gradient(height)
    shade = np.clip(1 + 1.4 * (gx * light[0] + gy * light[1]), 0.55, 1.3)
    return x + gx * 2.5, y + gy * 2.5, shade.astype(np.float32)


def photograph(image: np.ndarray, light: tuple[float, float], regime: Regime, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray]:
    """Light gradient, colour temperature, exposure, a cast shadow, vignetting; returns (image, homography)."""
    h, w = image.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    lx, ly = light
    ramp = ((x - w / 2) * lx + (y - h / 2) * ly) / max(w, h)
    gain = (1 + rng.uniform(0.1, 0.5) * ramp) * rng.uniform(0.8, 1.15)
    temperature = COLOUR_TEMPERATURE.pick(rng, regime)
    tint = np.array([1 + 0.12 * temperature, 1.0, 1 - 0.12 * temperature], np.float32)
    image = image * gain[..., None] * tint
    if rng.random() < 0.3:
        shadow = cv2.GaussianBlur(fill((h, w), [clutter_shape(rng, w, h) * 1.5]), (0, 0), rng.uniform(6, 20))
        image *= (1 - rng.uniform(0.2, 0.45) * shadow)[..., None]
    r2 = ((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2
    image *= (1 - rng.uniform(0, 0.3) * r2 / 2)[..., None]
    # perspective that stays inside the rendered canvas: the camera sees a jittered quad of it
    jitter = rng.uniform(0, 0.09, (4, 2)) * np.array([w, h])
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]]) + jitter * np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    dst = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    homography = cv2.getPerspectiveTransform(src.astype(np.float32), dst)
    image = cv2.warpPerspective(image, homography, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return image, homography


def lens_and_sensor(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Defocus or motion blur, then brightness-dependent sensor noise; float image in, uint8 out."""
    roll = rng.random()
    if roll < 0.35:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.2))
    elif roll < 0.5:
        length = int(rng.integers(3, 8))
        kernel = np.zeros((length, length), np.float32)
        cv2.line(kernel, (0, int(rng.integers(length))), (length - 1, int(rng.integers(length))), 1.0, 1)
        image = cv2.filter2D(image, -1, kernel / kernel.sum())
    h, w = image.shape[:2]
    sigma = rng.uniform(0.004, 0.03)
    noise = (rng.standard_normal((h, w, 1), dtype=np.float32) * sigma
             + rng.standard_normal((h, w, 3), dtype=np.float32) * (sigma / 3))
    image = image + noise * np.sqrt(np.clip(image, 0.02, 1))
    return np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)


def warp_box(mask: np.ndarray, homography: np.ndarray, w: int, h: int
         ) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """Warp a defect mask like the photo; its box, or None when too small or mostly out of frame."""
    pad = np.float32([[1, 0, w], [0, 1, h], [0, 0, 1]])
    whole = cv2.warpPerspective(mask.astype(np.uint8) * 255, pad @ homography, (3 * w, 3 * h),
                                flags=cv2.INTER_LINEAR) > 127
    inside = whole[h:2 * h, w:2 * w]
    total, seen = int(whole.sum()), int(inside.sum())
    if seen < MIN_BOX_PIXELS or seen < MIN_VISIBLE_SHARE * total:
        return np.zeros_like(inside), None
    ys, xs = np.nonzero(inside)
    return inside, (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
