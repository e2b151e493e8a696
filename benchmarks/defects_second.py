"""A second, independent renderer of synthetic customer photos of damaged products, with YOLO labels.

It makes the held-out test set of kefu's defect detector: phone photos (640 px long side, 4:3, 3:4 or 1:1, JPEG
q70-95, a little blur, noise, vignetting and uneven light) of fabric products (knits, ribbing, weaves, twills,
denim, terry, fleece, silk, prints; folds, seams, buttons and printed logos as intact distractors) and hard products
(mugs, plates, phone cases, boxes, bottles, glasses, furniture, laptop lids in glaze, plastic, brushed metal, wood,
glass; joints, screws, labels and prints as intact distractors) on a table, floor, bed sheet or scikit-image photo.

It was written apart from kefu's training renderer and shares no code, textures or assumptions with anything under
training/: every texture and every defect is drawn here by its own method. A defect's box is the tight box of the
pixels its drawing visibly changed, compared at the texture's scale; a drawing too faint for its surroundings is
redone stronger. About ``clean_share`` of the photos are clean (spread evenly); the j-th defective photo has
``KINDS[j % 10]`` as its main defect, plus 0-2 extra defects of classes fitting the material.

    KEFU_HOME=$PWD/var .venv/bin/python benchmarks/defects_second.py --out var/defects/second --count 400 \\
        [--seed 7] [--preview FILE.png]
"""

from __future__ import annotations

import argparse
import colorsys
import io
import json
import math
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aftersales.policy.decisions import DEFECT_TAXONOMY  # noqa: E402

KINDS = DEFECT_TAXONOMY
_FABRIC_KINDS = ("snag", "hole", "stain", "tear", "open_seam", "pilling")
# share of the short side a defect spans (drawn log-uniformly), and how far its drawing reaches, in extents
_EXTENT = {"snag": (0.05, 0.40), "hole": (0.05, 0.22), "stain": (0.08, 0.38), "tear": (0.12, 0.42),
           "open_seam": (0.12, 0.40), "pilling": (0.10, 0.32), "scratch": (0.10, 0.42), "dent": (0.08, 0.26),
           "crack": (0.10, 0.40), "broken": (0.06, 0.22)}
_REACH = {"snag": 1.1, "open_seam": 1.2, "tear": 1.1}
# fabric products and their looks; hard products, their surfaces and the damage they suffer
_FABRICS = {"shirt": ("plain", "twill", "stripes", "checks", "florals"), "sweater": ("knit", "rib"),
            "tshirt": ("jersey", "stripes"), "towel": ("terry",), "jeans": ("denim",), "scarf": ("silk", "florals"),
            "beanie": ("knit", "rib"), "bag": ("canvas",), "hoodie": ("fleece", "jersey")}
_CERAMIC = ("scratch", "crack", "broken", "stain")
_HARDS = {"mug": (("glaze",), _CERAMIC), "plate": (("glaze",), _CERAMIC),
          "phone_case": (("plastic", "gloss"), _CERAMIC), "box": (("plastic", "gloss"), _CERAMIC + ("dent",)),
          "bottle": (("brushed", "gloss"), ("scratch", "dent", "stain")), "glass": (("glass",), _CERAMIC[:3]),
          "furniture": (("wood",), _CERAMIC + ("dent",)), "laptop": (("brushed", "plastic"), _CERAMIC + ("dent",))}
_WORDS = ("NORDIK", "Coastline", "ACME", "SPORT 87", "urban", "Maple & Co", "LUMA", "eco", "BASIC", "Kite")
_SAMPLES = ("coffee", "chelsea", "rocket", "astronaut", "brick", "grass", "gravel")


# ---------------------------------------------------------------------------------------------------------------
# small helpers

def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates x, y of an h x w image (float32)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return x, y


def _unit(a: float) -> np.ndarray:
    """The unit vector at angle `a`."""
    return np.array([math.cos(a), math.sin(a)], np.float32)


def _lum(c) -> float:
    """Luminance of an RGB colour in 0..1."""
    return float(np.dot(np.asarray(c, np.float32)[..., :3], (0.3, 0.59, 0.11)))


def _colour(rng, dark_share: float = 0.35) -> np.ndarray:
    """A product colour: any hue, greyish or saturated, light or dark."""
    s = rng.uniform(0, 0.15) if rng.random() < 0.35 else rng.uniform(0.3, 0.85)
    v = rng.uniform(0.12, 0.4) if rng.random() < dark_share else rng.uniform(0.5, 0.95)
    return np.array(colorsys.hsv_to_rgb(rng.random(), s, v), np.float32)


def _contrast(c, rng) -> np.ndarray:
    """A colour clearly lighter or darker than `c`."""
    while abs(_lum(alt := _colour(rng, dark_share=0.9 if _lum(c) > 0.5 else 0.0)) - _lum(c)) < 0.3:
        pass
    return alt


def _noise(h: int, w: int, scale: float, rng) -> np.ndarray:
    """Smooth random field on the pixel grid with features about `scale` px across (std about 0.8)."""
    gh, gw = int(h / scale) + 3, int(w / scale) + 3
    g = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(g, (int(gw * scale), int(gh * scale)), interpolation=cv2.INTER_CUBIC)[:h, :w]


def _field(u: np.ndarray, v: np.ndarray, su: float, sv: float, rng) -> np.ndarray:
    """Random field at texture coordinates (u, v), features su x sv across."""
    mx, my = ((u - u.min()) / su + 1).astype(np.float32), ((v - v.min()) / sv + 1).astype(np.float32)
    g = rng.standard_normal((int(my.max()) + 3, int(mx.max()) + 3)).astype(np.float32)
    return cv2.remap(g, mx, my, cv2.INTER_CUBIC)


def _layer(shape, draw) -> np.ndarray:
    """Anti-aliased coverage (0..1) of what `draw` paints (value 255, coordinates x8) on an empty 8-bit layer."""
    layer = np.zeros(shape[:2], np.uint8)
    draw(layer)
    return layer.astype(np.float32) / 255


def _px(points) -> list:
    """Polylines as OpenCV's fixed-point (3 fractional bits) integer arrays."""
    return [np.round(np.asarray(p, np.float32) * 8).astype(np.int32).reshape(-1, 1, 2) for p in points]


def _stroke(shape, lines, thick: float) -> np.ndarray:
    """Coverage of polylines `thick` px wide (thinner than 1 px is drawn fainter)."""
    t = max(1, int(round(thick)))
    return _layer(shape, lambda L: cv2.polylines(L, _px(lines), False, 255, t, cv2.LINE_AA, 3)) * min(1.0, thick)


def _fill(shape, polys) -> np.ndarray:
    """Coverage of filled polygons."""
    return _layer(shape, lambda L: cv2.fillPoly(L, _px(polys), 255, cv2.LINE_AA, 3))


def _discs(shape, centres, radii) -> np.ndarray:
    """Coverage of filled circles."""
    def draw(layer):
        for (cx, cy), r in zip(centres, radii):
            cv2.circle(layer, (int(cx * 8), int(cy * 8)), max(1, int(r * 8)), 255, -1, cv2.LINE_AA, 3)
    return _layer(shape, draw)


def _text(shape, word: str, org, scale: float, thick: int, rng) -> np.ndarray:
    """Coverage of a printed word."""
    font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX]))
    org = (int(org[0]), int(org[1]))
    return _layer(shape, lambda L: cv2.putText(L, word, org, font, scale, 255, thick, cv2.LINE_AA))


def _paint(img: np.ndarray, alpha: np.ndarray, colour) -> None:
    """Cover `img` in place with `colour` (a colour or an image) as far as `alpha` says."""
    img += (np.asarray(colour, np.float32) - img) * alpha[..., None]


def _shade(hgt: np.ndarray, light: np.ndarray, shin: float) -> tuple[np.ndarray, np.ndarray]:
    """Diffuse factor (1 where flat) and specular term (0 where flat) of a height field (px) under `light`."""
    gy, gx = np.gradient(hgt)
    nz = 1 / np.sqrt(1 + gx * gx + gy * gy)
    dif = np.clip((light[2] - gx * light[0] - gy * light[1]) * nz, 0.03, None) / light[2]
    half = (light + (0, 0, 1)) / np.linalg.norm(light + (0, 0, 1))
    ndh = np.clip((half[2] - gx * half[0] - gy * half[1]) * nz, 0, 1)
    return dif, np.clip(ndh ** shin - half[2] ** shin, 0, None)


# ---------------------------------------------------------------------------------------------------------------
# textures and backgrounds

def _folds(x, y, rng, n: int, amp: float, width: float) -> np.ndarray:
    """Height field of cloth folds: a few long soft ridges and troughs over a gentle undulation."""
    h, w = x.shape
    hgt = _noise(h, w, rng.uniform(60, 160), rng) * amp * 0.5
    for _ in range(n):
        px, py, a = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0, math.pi)
        d = ((x - px) * -math.sin(a) + (y - py) * math.cos(a)) / (width * rng.uniform(0.5, 1.5))
        t = ((x - px) * math.cos(a) + (y - py) * math.sin(a)) / rng.uniform(80, 400)
        hgt += rng.choice([-1, 1]) * rng.uniform(0.5, 1.0) * amp * np.exp(-d * d - t * t)
    return hgt


def _knit(u, v, p: float, rng, rib: int) -> np.ndarray:
    """Relief of a knit: columns of V stitches p px wide; with `rib`, every other group of columns recessed."""
    a, b = (u / p) % 1.0, (v / (0.75 * p)) % 1.0
    off = (np.where(a < 0.5, 2 * a, 2 - 2 * a) - 0.25 - 0.5 * b) / 0.34      # both legs of the V in one formula
    leg = np.clip(1 - off * off, 0, 1) ** 0.6 * np.sin(np.pi * b) ** 0.3
    tone = 0.35 + 0.7 * leg + 0.07 * _field(u, v, 1.2, 1.2, rng)
    return tone * np.where((np.floor(u / p) // rib) % 2 == 1, 0.62, 1.0) if rib else tone


def _weave(u, v, p: float, rng, twill: int) -> tuple[np.ndarray, np.ndarray]:
    """Relief of a plain weave (twill=0) or an n/1 twill of threads p px wide, and where the warp is on top."""
    i, j = np.floor(u / p), np.floor(v / p)
    pa, pb = np.sin(np.pi * (u / p - i)) ** 0.5, np.sin(np.pi * (v / p - j)) ** 0.5
    up = ((i + j) % 2 == 0) if not twill else ((i + j) % twill != 0)
    tone = np.where(up, pa * (0.8 + 0.2 * pb), pb * (0.8 + 0.2 * pa))
    return 0.5 + 0.55 * tone + 0.05 * _field(u, v, p, 6 * p, rng), up


def _print(u, v, look: str, base, alt, rng) -> np.ndarray:
    """Colours of a pattern: stripes, gingham checks, or blob florals with leaves."""
    period = rng.uniform(10, 50)
    if look == "stripes":
        m = ((v / period) % 1 < rng.uniform(0.2, 0.6)).astype(np.float32)
    elif look == "checks":
        d = rng.uniform(0.3, 0.5)
        m = 0.5 * (((u / period) % 1 < d).astype(np.float32) + ((v / period) % 1 < d))
    else:
        m = np.clip((_field(u, v, 14, 14, rng) - 0.7) * 3, 0, 1)
    cols = base + (alt - base) * m[..., None]
    if look == "florals":
        _paint(cols, np.clip((_field(u, v, 9, 16, rng) - 0.9) * 3, 0, 1) * (1 - m), (0.2, 0.45, 0.2))
    return cols


def _cloth(x, y, look: str, rng) -> tuple[np.ndarray, dict]:
    """Albedo of a cloth seen by the camera (turned, in mild perspective, rows wandering) and its facts."""
    h, w = x.shape
    axis = rng.normal(0, 0.3) + rng.choice([0, math.pi / 2])
    persp = 1 + rng.uniform(-0.3, 0.3) * (y / h - 0.5)
    u = (x * math.cos(axis) + y * math.sin(axis)) * persp
    v = (y * math.cos(axis) - x * math.sin(axis)) * persp + _noise(h, w, 120, rng) * rng.uniform(0, 6)
    base = _colour(rng)
    alt = _contrast(base, rng)
    cols = base + np.zeros((h, w, 3), np.float32)
    knit = look in ("knit", "rib", "jersey")
    if knit:
        p = rng.uniform(*{"knit": (7, 13), "rib": (6, 10), "jersey": (4, 6)}[look])
        tone = _knit(u, v, p, rng, int(rng.integers(1, 3)) if look == "rib" else 0)
        cols *= (1 + 0.08 * _field(u, v, 1, 5, rng))[..., None]                    # heathered yarn
    elif look == "fleece":
        p, tone = 3.0, 0.85 + 0.08 * _field(u, v, 1.5, 1.5, rng) + 0.07 * _field(u, v, 7, 7, rng)
    elif look == "terry":
        p, tone = 3.0, 0.7 + 0.2 * np.tanh(1.2 * _field(u, v, 1.6, 1.6, rng)) + 0.05 * _field(u, v, 5, 5, rng)
    else:
        p = rng.uniform(*{"silk": (2.2, 2.8), "denim": (3.2, 4), "canvas": (4.5, 6.5)}.get(look, (3, 4.5)))
        tone, up = _weave(u, v, p, rng, {"denim": 3, "twill": int(rng.integers(3, 5))}.get(look, 0))
        if look == "silk":
            tone = 0.85 + 0.15 * tone
        if look == "denim":
            base = np.float32(colorsys.hsv_to_rgb(rng.uniform(0.58, 0.64), rng.uniform(0.5, 0.85),
                                                  rng.uniform(0.2, 0.6)))
            slub = 1 + 0.3 * _field(u, v, p, 8 * p, rng) + 0.25 * np.clip(_noise(h, w, 90, rng), 0, None)
            cols = np.where(up[..., None], base * slub[..., None], np.float32([0.85, 0.82, 0.74]))
        elif look in ("stripes", "checks", "florals"):
            cols = _print(u, v, look, base, alt, rng)
        elif look in ("plain", "canvas"):
            cols = np.where(up[..., None], base, base * 0.85 + 0.12)                # oxford: a lighter weft
    return (cols * tone[..., None]).astype(np.float32), dict(period=p, axis=axis, knit=knit, alt=alt)


def _wood(x, y, rng, colour) -> np.ndarray:
    """Albedo of wood: gently warped growth rings with dark late wood, and fine fibres along the grain."""
    h, w = x.shape
    a = rng.uniform(0, math.pi)
    u, v = x * math.cos(a) + y * math.sin(a), y * math.cos(a) - x * math.sin(a)
    ring = rng.uniform(8, 26)
    rings = ((v + _noise(h, w, 160, rng) * ring * 0.8 + 3 * _field(u, v, 150, 8, rng)) / ring) % 1
    return colour * (1 - 0.35 * rings ** 4 + 0.06 * _field(u, v, 45, 0.8, rng))[..., None]


@lru_cache(maxsize=None)
def _sample(name: str) -> np.ndarray:
    """A scikit-image sample photo as float RGB."""
    import skimage.data

    img = getattr(skimage.data, name)().astype(np.float32) / 255
    return np.dstack([img] * 3) if img.ndim == 2 else img[..., :3]


def _background(x, y, rng) -> np.ndarray:
    """What the product lies on: a wooden or laminate table, a tiled floor, a bed sheet or a sample photo."""
    h, w = x.shape
    kind = rng.choice(["table", "floor", "sheet", "photo"])
    if kind == "table":
        if rng.random() < 0.6:
            return _wood(x, y, rng, _colour(rng) * 0.3 + np.float32([0.45, 0.3, 0.17]))
        return _colour(rng) * (1 + 0.04 * _noise(h, w, 3, rng))[..., None]
    if kind == "floor":
        tile, a = rng.uniform(60, 170), rng.normal(0, 0.2)
        u, v = x * math.cos(a) + y * math.sin(a), (y * math.cos(a) - x * math.sin(a)) * rng.uniform(1, 1.6)
        idx = (np.floor(u / tile) * 7 + np.floor(v / tile) * 13).astype(np.int64) % 16
        base = _colour(rng, 0.3)
        img = base * (1 + 0.08 * rng.standard_normal(16).astype(np.float32)[idx])[..., None]
        _paint(img, (np.minimum(u % tile, v % tile) < rng.uniform(2, 5)).astype(np.float32), base * 0.6)
        return img
    if kind == "sheet":
        dif, _ = _shade(_folds(x, y, rng, 4, 25, 40), np.float32([-0.4, -0.5, 0.77]), 1)
        return (_colour(rng, 0.1) * 0.3 + 0.65) * dif[..., None]
    img = _sample(str(rng.choice(_SAMPLES)))
    f = max(h / img.shape[0], w / img.shape[1]) * rng.uniform(1, 1.6)
    img = cv2.resize(img, (int(img.shape[1] * f) + 1, int(img.shape[0] * f) + 1))
    y0, x0 = rng.integers(0, img.shape[0] - h + 1), rng.integers(0, img.shape[1] - w + 1)
    img = img[y0:y0 + h, x0:x0 + w]
    return cv2.GaussianBlur(img[:, ::-1] if rng.random() < 0.5 else img, (0, 0), rng.uniform(0.5, 2.5))


# ---------------------------------------------------------------------------------------------------------------
# products and their intact details

def _rrect(cx, cy, w, h, r, ang) -> np.ndarray:
    """Polygon of a rounded rectangle centred at (cx, cy), turned by `ang`."""
    pts = [(sx * (w / 2 - r) + r * math.cos(a + o), sy * (h / 2 - r) + r * math.sin(a + o))
           for sx, sy, o in ((1, 1, 0), (-1, 1, math.pi / 2), (-1, -1, math.pi), (1, -1, 1.5 * math.pi))
           for a in np.linspace(0, math.pi / 2, 8)]
    return np.array(pts) @ np.array([[math.cos(ang), math.sin(ang)], [-math.sin(ang), math.cos(ang)]]) + (cx, cy)


_TSHIRT = np.array([(-0.18, -0.5), (-0.08, -0.43), (0.08, -0.43), (0.18, -0.5), (0.5, -0.3), (0.4, -0.1),
                    (0.28, -0.18), (0.29, 0.5), (-0.29, 0.5), (-0.28, -0.18), (-0.4, -0.1), (-0.5, -0.3)])


def _fabric_shape(x, y, product: str, rng, f: float) -> np.ndarray:
    """Coverage of a fabric product at scale `f`: a close-up filling the frame, a garment, a flat item, a beanie."""
    h, w = x.shape
    m, cx, cy = min(h, w), w * rng.uniform(0.4, 0.6), h * rng.uniform(0.4, 0.6)
    if rng.random() < 0.4:
        return np.ones((h, w), np.float32)
    if product in ("shirt", "sweater", "tshirt", "hoodie"):
        a = rng.normal(0, 0.15)
        rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
        return _fill((h, w), [_TSHIRT @ rot * m * 1.3 * f + (cx, cy)])
    if product == "beanie":
        r = m * 0.42 * f
        dome = ((x - cx) ** 2 + ((y - cy) * 0.9) ** 2 < r * r) * (y < cy + r * 0.3)
        return np.clip(_fill((h, w), [_rrect(cx, cy + r * 0.45, 2 * r, r * 0.7, r * 0.1, 0)]) + dome, 0, 1)
    return _fill((h, w), [_rrect(cx, cy, w * rng.uniform(0.6, 1.0) * f, h * rng.uniform(0.6, 1.0) * f,
                                 rng.uniform(2, 30), rng.normal(0, 0.3))])


def _hard_shape(x, y, product: str, rng, f: float) -> tuple[np.ndarray, np.ndarray, dict]:
    """Coverage and height field (px) of a hard product at scale `f`, and parts to colour apart (a mug's inside,
    a bottle's cap, a phone's camera, a plate's band)."""
    h, w = x.shape
    m, cx, cy = min(h, w) * f, w * rng.uniform(0.42, 0.58), h * rng.uniform(0.42, 0.58)
    parts = {}
    if product in ("mug", "bottle", "glass"):                      # upright cylinders
        R = {"mug": 0.34, "bottle": 0.24, "glass": 0.3}[product] * m
        half = R * {"mug": 1.0, "bottle": 1.8, "glass": 1.2}[product]
        top, bot, e = cy - half, cy + half, R * rng.uniform(0.12, 0.28)
        s = np.clip((y - top) / (2 * half), 0, 1)
        rad = R * {"mug": np.ones_like(s), "glass": 1 - 0.2 * s,
                   "bottle": 0.5 + 0.5 * np.clip(s * 5 - 0.4, 0, 1)}[product]    # a bottle narrows to its neck
        nx = np.clip((x - cx) / rad, -1, 1)
        mask = ((np.abs(x - cx) <= rad) & (y >= top) & (y <= bot) | (nx ** 2 + ((y - bot) / e) ** 2 <= 1)
                | (nx ** 2 + ((y - top) / e) ** 2 <= 1)).astype(np.float32)
        hgt = rad * np.sqrt(1 - nx ** 2)
        if product == "mug":                                       # the handle: a ring beside the body
            d = np.sqrt(((x - cx - R * rng.choice([-1, 1])) / (R * 0.5)) ** 2 + ((y - cy) / (half * 0.6)) ** 2)
            ring = (np.abs(d - 1) < 0.22) & (np.abs(x - cx) > R * 0.9)
            hgt = np.where(ring, R * 0.15 * np.sqrt(np.clip(1 - ((d - 1) / 0.22) ** 2, 0, 1)), hgt)
            mask = np.maximum(mask, ring)
        inner = ((x - cx) / (R * 0.9)) ** 2 + ((y - top) / (e * 0.85)) ** 2 <= 1
        parts["inside"] = ((y < top + R * 0.45) * mask if product == "bottle" else inner).astype(np.float32)
        hgt = np.where(parts["inside"] > 0, hgt.max() * 0.9, hgt)
    elif product == "plate":
        a = m * 0.55
        r = np.sqrt(((x - cx) / a) ** 2 + ((y - cy) / (a * rng.uniform(0.6, 0.95))) ** 2)
        mask, wall = (r <= 1).astype(np.float32), np.clip((r - 0.55) / 0.2, 0, 1)
        hgt = a * 0.06 * wall * wall * (3 - 2 * wall) - a * 0.04 * np.clip((r - 0.9) / 0.1, 0, 1) ** 2
        if rng.random() < 0.5:
            parts["band"] = ((r > 0.82) & (r < 0.88)).astype(np.float32)
    else:                                                          # flat slabs with rounded, bevelled edges
        bw, bh = {"phone_case": (0.5, 1), "box": (0.9, 0.7), "furniture": (1.25, 1), "laptop": (1, 0.68)}[product]
        if rng.random() < 0.5 and product != "furniture":
            bw, bh = bh, bw
        radius = {"phone_case": 0.12, "box": 0.04, "furniture": 0.01, "laptop": 0.05}[product] * m
        mask = _fill((h, w), [_rrect(cx, cy, bw * m, bh * m, radius, rng.normal(0, 0.12))])
        dist = cv2.distanceTransform((mask > 0.5).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        hgt = 6 * (1 - (1 - np.clip(dist / rng.uniform(4, 12), 0, 1)) ** 2)
        if product == "phone_case":
            parts["inside"] = _fill((h, w), [_rrect(cx - bw * m * 0.25, cy - bh * m * 0.35, m * 0.17, m * 0.17,
                                                    m * 0.04, 0)])
    blur = cv2.GaussianBlur
    return blur(mask.astype(np.float32), (0, 0), 0.7), blur(hgt.astype(np.float32), (0, 0), 1), parts


def _hard_albedo(x, y, product: str, surface: str, parts: dict, bg, rng) -> tuple[np.ndarray, float, float]:
    """Albedo, specular strength and shininess of a hard product's surface."""
    h, w = x.shape
    col = _colour(rng, 0.3) if rng.random() < 0.6 else np.float32([0.93, 0.92, 0.9])
    gloss, shin = {"glaze": (0.55, 40), "gloss": (0.6, 60), "plastic": (0.15, 12), "wood": (0.12, 10),
                   "brushed": (0.35, 8), "glass": (0.9, 80)}[surface]
    if surface == "wood":
        alb = _wood(x, y, rng, _colour(rng) * 0.25 + np.float32([0.55, 0.37, 0.2]))
    elif surface == "brushed":
        a = rng.choice([0, math.pi / 2])
        u, v = x * math.cos(a) + y * math.sin(a), y * math.cos(a) - x * math.sin(a)
        col = np.float32([0.75, 0.76, 0.78]) * rng.uniform(0.5, 1.15) + _colour(rng, 0) * 0.08
        alb = col * (1 + 0.07 * _field(u, v, 70, 0.7, rng))[..., None]
    elif surface == "glass":                                       # the background, refracted and tinted
        tint = np.float32([0.9, 0.95, 0.93]) if rng.random() < 0.7 else _colour(rng, 0) * 0.4 + 0.55
        shift = _noise(h, w, 30, rng) * 6
        alb = cv2.remap(bg, x + shift, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT) * tint
    else:
        alb = col * (1 + 0.015 * _noise(h, w, 2, rng))[..., None]
    if surface in ("gloss", "glaze", "brushed"):                   # a window mirrored in the surface
        a = rng.uniform(0, math.pi)
        band = np.exp(-((x * math.cos(a) + y * math.sin(a) - rng.uniform(0, w + h)) / rng.uniform(15, 60)) ** 2)
        alb = alb + gloss * 0.35 * band[..., None]
    if "inside" in parts:
        _paint(alb, parts["inside"], alb * 0.55 if product != "bottle" else _colour(rng))
    if "band" in parts:
        _paint(alb, parts["band"], _contrast(col, rng))
    return alb.astype(np.float32), gloss, shin


def _seam(img, p0, p1, thread, rng, skip=None) -> None:
    """A sewn seam from p0 to p1: a groove, a raised edge beside it and a row of stitches; the stitches whose
    distance along the seam from its middle falls in `skip` (lo, hi px) are left out."""
    p0, p1 = np.float32(p0), np.float32(p1)
    length = float(np.linalg.norm(p1 - p0))
    d = (p1 - p0) / length
    n = np.float32([-d[1], d[0]])
    img *= 1 - 0.45 * _stroke(img.shape, [[p0, p1]], 1.6)[..., None]
    _paint(img, 0.15 * cv2.GaussianBlur(_stroke(img.shape, [[p0 + 2.5 * n, p1 + 2.5 * n]], 2), (0, 0), 1), 1.0)
    st, gap, off = rng.uniform((3, 1.5, 3), (5.5, 3, 7))
    segs = [[p0 + d * t + n * off, p0 + d * (t + st) + n * off] for t in np.arange(0, length - st, st + gap)
            if skip is None or not skip[0] < t + st / 2 - length / 2 < skip[1]]
    _paint(img, _stroke(img.shape, segs, 1.5), thread)


def _spots(mask, rng, count: int = 1) -> list:
    """Points well inside the product (a coarse grid's cells that it fully covers)."""
    ys, xs = np.nonzero(mask[::8, ::8] > 0.95)
    return [np.float32([xs[i] * 8, ys[i] * 8]) for i in rng.integers(0, len(xs), count)] if len(xs) else []


def _logo(img, mask, colour, rng) -> None:
    """A printed word (and sometimes a round emblem) somewhere on the product."""
    for p in _spots(mask, rng):
        scale = rng.uniform(0.6, 1.6)
        org = p - (60 * scale, 0)
        a = _text(img.shape, str(rng.choice(_WORDS)), org, scale, int(rng.integers(1, 4)), rng)
        if rng.random() < 0.4:
            a = np.maximum(a, _discs(img.shape, [org - (25 * scale, 10 * scale)], [14 * scale]))
        _paint(img, a, colour)


def _fabric_marks(alb, mask, product: str, info: dict, rng) -> None:
    """Seams with topstitching, a button placket, printed logos: intact things a detector must not report."""
    h, w = mask.shape
    for _ in range(rng.integers(0, 3)):
        c, d = np.float32([rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h]), _unit(rng.uniform(0, math.pi))
        thread = info["alt"] if rng.random() < 0.4 else alb[int(c[1]), int(c[0])] * 0.8
        _seam(alb, c - d * 900, c + d * 900, thread, rng)
    if product in ("shirt", "sweater") and rng.random() < 0.6:
        c = np.float32([rng.uniform(0.3, 0.7) * w, rng.uniform(0.1, 0.3) * h])
        gap, r = rng.uniform(50, 90), rng.uniform(6, 13)
        pts = [c + (0, gap * k) for k in range(4)]
        alb *= 1 - 0.4 * cv2.GaussianBlur(_discs(alb.shape, [p + 2 for p in pts], [r] * 4), (0, 0), 2)[..., None]
        _paint(alb, _discs(alb.shape, pts, [r] * 4), _colour(rng, 0.3))
        holes = [p + o for p in pts for o in ((-r / 3, -r / 3), (r / 3, r / 3))]
        _paint(alb, 0.7 * _discs(alb.shape, holes, [max(1.2, r / 6)] * 8), 0.1)
    if product in ("tshirt", "hoodie", "bag", "shirt") and rng.random() < 0.6:
        _logo(alb, mask, info["alt"], rng)


def _hard_marks(alb, mask, product: str, rng) -> None:
    """Panel joints, screws, labels and prints: intact things a detector must not report."""
    if product in ("box", "furniture", "laptop") and rng.random() < 0.7:
        d = _unit(rng.normal(0, 0.05) + rng.choice([0, math.pi / 2]))
        for c in _spots(mask, rng, int(rng.integers(1, 3))):
            alb *= 1 - 0.5 * _stroke(alb.shape, [[c - d * 900, c + d * 900]], 1.3)[..., None]
            _paint(alb, 0.3 * _stroke(alb.shape, [[c - d * 900 + 1.5, c + d * 900 + 1.5]], 1), 1.0)
    if product in ("furniture", "box", "laptop", "phone_case") and rng.random() < 0.5:
        pts, r = _spots(mask, rng, int(rng.integers(1, 5))), rng.uniform(3, 7)
        _paint(alb, _discs(alb.shape, pts, [r] * len(pts)), (0.55, 0.55, 0.57))
        _paint(alb, 0.8 * _stroke(alb.shape, [[p - (r * 0.7, 0), p + (r * 0.7, 0)] for p in pts], 1.2), 0.15)
    if product in ("box", "bottle", "mug", "plate") and rng.random() < 0.5:
        for x0, y0 in _spots(mask, rng):
            lw, lh = rng.uniform(60, 160), rng.uniform(40, 90)
            card = [(x0, y0), (x0 + lw, y0), (x0 + lw, y0 + lh), (x0, y0 + lh)]
            _paint(alb, _fill(alb.shape, [card]), _colour(rng, 0.1))
            for row in range(int(lh // 18)):
                word = str(rng.choice(_WORDS))
                _paint(alb, _text(alb.shape, word, (x0 + 6, y0 + 16 + row * 18), 0.45, 1, rng), 0.1)
    elif product in ("laptop", "mug", "phone_case") and rng.random() < 0.5:
        _logo(alb, mask, _contrast(alb[mask.shape[0] // 2, mask.shape[1] // 2], rng), rng)


# ---------------------------------------------------------------------------------------------------------------
# the photo

@dataclass
class _Photo:
    """A photo being drawn: the canvas, what is behind the product, and facts the defects need."""
    canvas: np.ndarray
    bg: np.ndarray
    mask: np.ndarray
    hgt: np.ndarray
    light: np.ndarray
    fabric: bool
    product: str
    surface: str
    colour: np.ndarray
    alt: np.ndarray
    period: float = 3.0
    axis: float = 0.0
    knit: bool = False
    gloss: float = 0.0
    shin: float = 1.0
    boxes: list = field(default_factory=list)


@dataclass
class _Spot:
    """The window around one defect being drawn: views into the photo, the defect's centre, size and strength."""
    ph: _Photo
    rng: np.random.Generator
    img: np.ndarray
    bg: np.ndarray
    mask: np.ndarray
    hgt: np.ndarray
    x: float
    y: float
    ext: float
    k: float
    before: np.ndarray

    @property
    def c(self) -> np.ndarray:
        return np.float32([self.x, self.y])

    def rel(self) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of the window's pixels relative to the centre."""
        x, y = _grid(*self.img.shape[:2])
        return x - self.x, y - self.y

    def context_done(self) -> None:
        """What was drawn so far (on the product) is intact context, such as the seam that then opens."""
        self.img[:] = self.before + (self.img - self.before) * self.mask[..., None]
        self.before = self.img.copy()


def _scene(rng, size: int, main: str | None) -> _Photo:
    """Lay out a product of a material fitting `main` on a background, with its distractors, light and shadow."""
    w, h = [(size, size * 3 // 4), (size * 3 // 4, size), (size, size)][rng.integers(3)]
    x, y = _grid(h, w)
    a = rng.uniform(-math.pi * 0.95, -math.pi * 0.05)
    light = np.float32([0.6 * math.cos(a), 0.6 * math.sin(a), rng.uniform(0.7, 0.9)])
    light /= np.linalg.norm(light)
    bg = _background(x, y, rng).astype(np.float32)
    fabric = rng.random() < {None: 0.55, "stain": 0.7}.get(main, float(main in _FABRIC_KINDS))
    f = rng.uniform(0.9, 1.2)
    if fabric:
        product = str(rng.choice(list(_FABRICS)))
        surface = str(rng.choice(_FABRICS[product]))
        while (mask := _fabric_shape(x, y, product, rng, f)).mean() < 0.4:
            f *= 1.15
        alb, info = _cloth(x, y, surface, rng)
        _fabric_marks(alb, mask, product, info, rng)
        hgt = _folds(x, y, rng, int(rng.integers(2, 7)), rng.uniform(4, 14), rng.uniform(10, 40))
        gloss, shin = (0.3, 20) if surface == "silk" else (0.0, 1)
    else:
        product = str(rng.choice([p for p, (_, ks) in _HARDS.items() if main is None or main in ks]))
        surface = str(rng.choice(_HARDS[product][0]))
        while (shape := _hard_shape(x, y, product, rng, f))[0].mean() < 0.4:
            f *= 1.15
        mask, hgt, parts = shape
        alb, gloss, shin = _hard_albedo(x, y, product, surface, parts, bg, rng)
        _hard_marks(alb, mask, product, rng)
        info = dict(alt=_contrast(alb[h // 2, w // 2], rng))
    dif, spec = _shade(hgt, light, shin)
    lit = alb * (0.8 + 0.2 * dif if surface == "glass" else dif)[..., None] + gloss * spec[..., None]
    off = -light[:2] * rng.uniform(4, 20)
    drop = cv2.warpAffine(mask, np.float32([[1, 0, off[0]], [0, 1, off[1]]]), (w, h))
    bg = bg * (1 - 0.45 * cv2.GaussianBlur(drop, (0, 0), 10))[..., None]
    canvas = bg + (lit - bg) * mask[..., None]
    colour = canvas[mask > 0.5].mean(0)
    facts = {k: info[k] for k in ("period", "axis", "knit") if k in info}
    return _Photo(canvas.astype(np.float32), bg.astype(np.float32), mask, hgt, light, fabric, product, surface,
                  colour, info["alt"], gloss=gloss, shin=shin, **facts)


# ---------------------------------------------------------------------------------------------------------------
# defects (each draws into its window; the placer boxes what changed)

def _yarn(s: _Spot, lines, thick: float, colour, lifts) -> None:
    """Yarns along polylines, each with the shadow it casts when standing `lift` px (per point) off the cloth."""
    L = s.ph.light[:2]
    shadow = [p - L * np.reshape(lift, (-1, 1)) for p, lift in zip(lines, lifts)]
    s.img *= 1 - 0.55 * cv2.GaussianBlur(_stroke(s.img.shape, shadow, thick * 1.2), (0, 0),
                                         0.6 + thick * 0.4)[..., None]
    _paint(s.img, _stroke(s.img.shape, lines, thick), colour)
    _paint(s.img, 0.6 * _stroke(s.img.shape, [p + L * thick * 0.3 for p in lines], thick * 0.4),
           np.minimum(np.asarray(colour) * 1.3 + 0.12, 1))


def _wander(start, heading: float, length: float, rng, wiggle: float = 0.15, step: float = 2.5) -> np.ndarray:
    """A path from `start` whose heading drifts randomly (a thread, a crack, a tear)."""
    n = max(3, int(length / step))
    hd = heading + np.cumsum(rng.normal(0, wiggle, n)) * 0.5
    hd += 0.6 * np.sin(np.linspace(0, rng.uniform(1, 4), n) + rng.uniform(0, 6)) * wiggle * 3
    steps = np.stack([np.cos(hd), np.sin(hd)], 1) * step
    return (np.asarray(start, np.float32) + np.vstack([[0, 0], np.cumsum(steps, 0)])).astype(np.float32)


def _pucker(s: _Spot, d, half: float, thread) -> None:
    """Gather the cloth along a line through the centre, as if one of its threads had been pulled tight."""
    X, Y = s.rel()
    p = s.ph.period
    along, across = X * d[0] + Y * d[1], Y * d[0] - X * d[1]
    width = p * s.rng.uniform(2, 4) * (0.8 + 0.2 * s.k)
    fall = np.exp(-(across / width) ** 2) * np.clip(1 - np.abs(along) / half, 0, 1)
    pull = np.sign(along) * fall * min(half * 0.25, p * 3)
    s.img[:] = cv2.remap(s.img, X + s.x + d[0] * pull, Y + s.y + d[1] * pull, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT)
    s.img *= (1 + 0.25 * s.k * fall * np.sin(2 * np.pi * along / (p * s.rng.uniform(2.5, 4))))[..., None]
    _paint(s.img, 0.5 * _stroke(s.img.shape, [[s.c - d * half * 0.8, s.c + d * half * 0.8]], max(1, p * 0.3)), thread)


def _loop(base, length: float, width: float, ang: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """A loop of yarn standing out of the cloth at `base`: its outline and its height along it."""
    t = np.linspace(0, 1, 28)[:, None]
    dv, nv = _unit(ang), _unit(ang + math.pi / 2)
    side = (width / 2 * -np.cos(np.pi * t) * (1 + 0.7 * np.sin(np.pi * t))
            + rng.uniform(-0.2, 0.2) * length * np.sin(2 * np.pi * t))               # bulging, a little twisted
    pts = base + dv * length * np.sin(np.pi * t) ** 0.8 + nv * side
    return pts.astype(np.float32), 0.25 * length * np.sin(np.pi * t[:, 0])


def _snag(s: _Spot) -> None:
    """A pulled thread: one loop, a row of loops, or a long thread trailing from a puckered row."""
    ph, r = s.ph, s.rng
    yarn = float(np.clip(ph.period * (0.45 if ph.knit else 0.35), 1.3, 4.5)) * (0.8 + 0.2 * s.k)
    local = s.img.mean((0, 1))
    same = local * 0.9 if _lum(local) > 0.7 else np.minimum(local * 1.25 + 0.06, 1)
    colour = same if r.random() < 0.6 and s.k < 2 else ph.alt
    d = _unit(ph.axis + (math.pi / 2 if r.random() < 0.4 else 0))
    share = s.ext / min(ph.canvas.shape[:2])
    style = r.choice(["loop", "loops", "pull"], p=[0.6, 0.3, 0.1] if share < 0.1 else
                     [0.25, 0.4, 0.35] if share < 0.22 else [0.05, 0.35, 0.6])
    if style == "pull":
        _pucker(s, d, s.ext * 0.45, colour)
        side = math.atan2(d[1], d[0]) + r.choice([-1, 1]) * r.uniform(0.6, 2.4)
        tail = _wander(s.c, side, s.ext * r.uniform(0.6, 0.85), r, wiggle=0.12)
        lift = yarn * (0.8 + 4 * np.exp(-np.arange(len(tail)) / 8))
        kink = _loop(s.c, s.ext * 0.12, s.ext * 0.06, side + 1.2, r)
        _yarn(s, [tail, kink[0]], yarn, colour, [lift, kink[1]])
        return
    count = 1 if style == "loop" else int(r.integers(2, 6))
    _pucker(s, d, s.ext * (0.35 if count == 1 else 0.55), colour)
    gap = s.ext * 0.8 / count
    ang = math.atan2(d[1], d[0]) + math.pi / 2 * r.choice([-1, 1]) + r.normal(0, 0.3)
    length, width = (s.ext * 0.6, s.ext * 0.3) if count == 1 else (gap, gap * 0.5)
    loops = [_loop(s.c + d * gap * (i - (count - 1) / 2), length * r.uniform(0.6, 1.1) if count > 1 else length,
                   max(yarn * 3, width), ang + r.normal(0, 0.25), r) for i in range(count)]
    _yarn(s, [lp[0] for lp in loops], yarn, colour, [lp[1] for lp in loops])


def _behind(s: _Spot) -> np.ndarray:
    """What an opening in the cloth shows, chosen to stand out from it: skin, a lining or the background."""
    r, lum = s.rng, _lum(s.ph.colour)
    X, Y = s.rel()
    grad = (1 + 0.15 * (X * s.ph.light[0] + Y * s.ph.light[1]) / max(s.ext, 1))[..., None]
    skin = np.float32(colorsys.hsv_to_rgb(r.uniform(0.03, 0.08), r.uniform(0.3, 0.55), r.uniform(0.35, 0.9)))
    lining = s.ph.colour * 0.3 if lum > 0.35 else np.float32([0.82, 0.8, 0.76])
    options = [skin * grad, lining * (0.9 + 0.1 * _noise(*s.img.shape[:2], 3, r))[..., None], s.bg * 0.8]
    good = [o for o in options if abs(_lum(o.mean((0, 1))) - lum) > 0.2 + 0.05 * s.k] or [options[1]]
    return good[int(r.integers(len(good)))]


def _opening(s: _Spot, area: np.ndarray, frays: list, light: float = 1.0) -> None:
    """Show what is behind through `area` (with the cloth's shadow on it, dimmed by `light`) and lay fraying
    fibres over its edge."""
    behind = _behind(s) * light * (1 - 0.55 * cv2.GaussianBlur(1 - area, (0, 0), 1 + s.ext * 0.03))[..., None]
    _paint(s.img, area, behind)
    _yarn(s, frays, max(1.0, s.ph.period * 0.3), np.minimum(s.ph.colour * 1.1 + 0.04, 1), [1.5] * len(frays))


def _frays(edge: np.ndarray, inward: np.ndarray, length: float, count: int, rng) -> list:
    """Short loose fibres starting on edge points and pointing (roughly) along `inward`."""
    return [_wander(edge[i], math.atan2(inward[i][1], inward[i][0]) + rng.normal(0, 0.5), length * rng.uniform(0.3, 1),
                    rng, wiggle=0.3, step=1.5) for i in rng.integers(0, len(edge), count)]


def _hole(s: _Spot) -> None:
    """A roundish opening with a ragged rim and loose fibres, showing skin, a lining or the background."""
    r = s.rng
    t = np.linspace(0, 2 * math.pi, 48, endpoint=False)
    wobble = sum(r.uniform(0, 0.12) * np.cos(k * t + r.uniform(0, 6)) for k in (2, 3, 5))
    rad = s.ext / 2 * r.uniform(0.75, 1) * (1 + wobble + 0.05 * r.standard_normal(48))
    squash = r.uniform(0.6, 1)
    edge = (s.c + np.stack([rad * np.cos(t), rad * np.sin(t) * squash], 1)).astype(np.float32)
    frays = _frays(edge, (s.c - edge) * r.choice([-1, 1], (48, 1)), max(4.0, s.ext * 0.1) * (0.7 + 0.3 * s.k),
                   int(14 + s.ext * 0.4), r)
    _opening(s, _fill(s.img.shape, [edge]), frays)


_STAINS = {"coffee": ((0.62, 0.42, 0.22), "dye", 0.6), "wine": ((0.62, 0.15, 0.32), "dye", 0.5),
           "ink": ((0.15, 0.22, 0.6), "dye", 0.1), "oil": ((0.55, 0.52, 0.45), "dye", 0.2),
           "mud": ((0.47, 0.39, 0.3), "paint", 0.4), "makeup": ((0.86, 0.66, 0.55), "paint", 0.0),
           "lipstick": ((0.75, 0.12, 0.22), "paint", 0.0)}


def _stain(s: _Spot) -> None:
    """A soft blotch (coffee, wine, ink, oil, mud, make-up) with a darker drying ring and sometimes splatter."""
    r = s.rng
    under = _lum(s.img.mean((0, 1)))
    fits = [k for k, (c, mode, _) in _STAINS.items()
            if (under * (1 - _lum(c)) if mode == "dye" else abs(_lum(c) - under)) > 0.15]
    colour, mode, tide = _STAINS[str(r.choice(fits or ["makeup", "mud"]))]
    X, Y = s.rel()
    a, R = r.uniform(0, math.pi), s.ext / 2 * r.uniform(0.7, 0.9)
    xr, yr = X * math.cos(a) + Y * math.sin(a), (Y * math.cos(a) - X * math.sin(a)) / r.uniform(0.45, 1)
    h, w = X.shape
    rr = np.sqrt(xr ** 2 + yr ** 2) / R + 0.22 * _noise(h, w, R / 2.5, r) + 0.05 * _noise(h, w, 4, r)
    body = np.clip((1 - rr) / r.uniform(0.05, 0.3), 0, 1) * (0.8 + 0.2 * _noise(h, w, 6, r))
    alpha = body * r.uniform(0.45, 0.7) + tide * np.exp(-((rr - 1) / 0.05) ** 2)
    drops = r.integers(0, 12) if r.random() < 0.4 else 0
    if drops:
        ang, dist = r.uniform(0, 2 * math.pi, drops), R * r.uniform(1.1, 1.6, drops)
        centres = s.c + np.stack([np.cos(ang), np.sin(ang)], 1) * dist[:, None]
        alpha += 0.7 * _discs(X.shape, centres, R * r.uniform(0.03, 0.1, drops))
    alpha = np.clip(alpha * s.k, 0, 0.95)
    if mode == "dye":
        s.img *= 1 - alpha[..., None] * (1 - np.float32(colour))
    else:
        _paint(s.img, alpha, np.float32(colour))


def _tear(s: _Spot) -> None:
    """A rip: a long narrow ragged opening, straight-ish or L-shaped, sometimes with its flap folded back."""
    r = s.rng
    ang, L = r.uniform(0, 2 * math.pi), s.ext * r.uniform(0.85, 1)
    bend = r.choice([-1, 1]) * r.uniform(1.2, 1.9) if r.random() < 0.4 else 0.0
    first = _wander((0, 0), ang, L * (0.6 if bend else 1), r, wiggle=0.08)
    path = first if not bend else np.vstack([first, _wander(first[-1], ang + bend, L * 0.45, r, wiggle=0.08)[1:]])
    path = path - (path.min(0) + path.max(0)) / 2 + s.c
    t = np.linspace(0, 1, len(path))
    width = (L * r.uniform(0.03, 0.1) * (0.7 + 0.3 * s.k)) * np.sin(np.pi * t) ** 0.6 + 1
    tang = np.gradient(path, axis=0)
    normal = np.stack([-tang[:, 1], tang[:, 0]], 1) / (np.linalg.norm(tang, axis=1, keepdims=True) + 1e-6)
    rough = 1 + 0.5 * r.uniform(-1, 1, (2, len(path)))
    left, right = path + normal * (width * rough[0] / 2)[:, None], path - normal * (width * rough[1] / 2)[:, None]
    area = _fill(s.img.shape, [np.vstack([left, right[::-1]])])
    flap = None
    if bend and r.random() < 0.6:                                  # the corner flap folds back over its base line
        corner, a, b = path[len(first) - 1], path[int(len(first) * 0.3)], path[-int(len(path) * 0.15)]
        ab = (b - a) / np.linalg.norm(b - a)
        mirrored = 2 * (a + ab * np.dot(corner - a, ab)) - corner
        area = np.maximum(area, _fill(s.img.shape, [np.float32([a, corner, b])]))
        flap = np.float32([a, mirrored, b])
    _opening(s, area, _frays(np.vstack([left, right]), np.vstack([-normal, normal]), width.max() * 0.9,
                             int(len(path) * 0.3), r))
    if flap is not None:                                          # its back: the cloth mirrored, paler, shaded
        a, b = flap[0], flap[2]
        ab = (b - a) / np.linalg.norm(b - a)
        mirror = 2 * np.outer(ab, ab) - np.eye(2)
        back = cv2.warpAffine(s.before, np.hstack([mirror, (a - mirror @ a)[:, None]]).astype(np.float32),
                              s.img.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
        X, Y = s.rel()
        reach = np.abs((X + s.x - a[0]) * ab[1] - (Y + s.y - a[1]) * ab[0]) / (np.linalg.norm(flap[1] - a) + 1)
        back = (back * 0.75 + 0.12) * (1.05 - 0.35 * np.clip(reach, 0, 1))[..., None]
        s.img *= 1 - 0.45 * cv2.GaussianBlur(_fill(s.img.shape, [flap - s.ph.light[:2] * 5]), (0, 0), 3)[..., None]
        _paint(s.img, _fill(s.img.shape, [flap]), back)


def _open_seam(s: _Spot) -> None:
    """A seam whose stitches broke over a stretch: the two panels gape, broken stitches span the gap, loose ends."""
    r, ph = s.rng, s.ph
    d = _unit(ph.axis + r.choice([0, math.pi / 2]) + r.normal(0, 0.15))
    n = np.float32([-d[1], d[0]])
    g, full = s.ext * 0.45, s.ext * r.uniform(1.0, 1.15)
    thread = ph.alt if r.random() < 0.35 else np.minimum(ph.colour * 1.25, 1)
    _seam(s.img, s.c - d * full, s.c + d * full, thread, r, skip=(-g * 0.9, g * 0.9))
    s.context_done()
    t = np.linspace(-g, g, 40)
    gape = s.ext * r.uniform(0.05, 0.11) * (0.7 + 0.3 * s.k)
    half = gape * (1 - (t / g) ** 2) ** 0.6 * (1 + 0.2 * r.uniform(-1, 1, 40)) + 0.5
    left = s.c + t[:, None] * d + n * half[:, None]
    right = s.c + t[:, None] * d - n * (half * r.uniform(0.6, 1))[:, None]
    outward = np.vstack([np.tile(-n, (40, 1)), np.tile(n, (40, 1))])
    frays = _frays(np.vstack([left, right]), outward, half.max(), 10, r)
    _opening(s, _fill(s.img.shape, [np.vstack([left, right[::-1]])]), frays, 0.45 if _lum(ph.colour) > 0.35 else 1.0)
    across = [np.float32([left[i], right[i]]) for i in r.integers(8, 32, r.integers(1, 5))]
    ends = [_wander(s.c + d * g * sign * 0.9 + n * 4, r.uniform(0, 2 * math.pi), s.ext * r.uniform(0.06, 0.18), r,
                    0.5, 1.5) for sign in (-1, 1) for _ in range(r.integers(1, 4))]
    _yarn(s, across + ends, 1.3, thread, [1.0] * (len(across) + len(ends)))


def _pilling(s: _Spot) -> None:
    """A worn patch covered in small fuzzy balls of fibre, each with its shadow."""
    r, ph = s.rng, s.ph
    X, Y = s.rel()
    h, w = X.shape
    R = s.ext / 2 * r.uniform(0.8, 0.95)
    rr = np.sqrt(X ** 2 + (Y / r.uniform(0.6, 1)) ** 2) / R + 0.2 * _noise(h, w, R / 2, r)
    patch = np.clip((1 - rr) * 4, 0, 1)
    _paint(s.img, patch * 0.4, cv2.GaussianBlur(s.img, (0, 0), 1.2) * 0.9 + ph.colour * 0.1)
    spacing = r.uniform(5, 9)
    pts = np.stack([r.uniform(0, w, int(w * h / spacing ** 2)), r.uniform(0, h, int(w * h / spacing ** 2))], 1)
    pts = pts[patch[pts[:, 1].astype(int), pts[:, 0].astype(int)] > r.uniform(0, 1, len(pts))]
    rad = r.uniform(1.4, 3.2, len(pts)) * (0.8 + 0.2 * s.k)
    local = s.img.mean((0, 1))
    ball = np.minimum(local * 1.45 + 0.1, 1) * 0.8 + 0.12 if _lum(local) < 0.6 else local * 0.75
    L = ph.light[:2]
    shadow = _discs(X.shape, pts - L * rad[:, None] * 0.8, rad * 1.1)
    s.img *= 1 - 0.6 * cv2.GaussianBlur(shadow, (0, 0), 1)[..., None]
    _paint(s.img, cv2.GaussianBlur(_discs(X.shape, pts, rad), (0, 0), 0.4), ball)
    fuzz = r.uniform(0, 2 * math.pi, (len(pts), 2))
    _paint(s.img, 0.45 * _stroke(X.shape, [np.float32([p + rd * 1.8 * _unit(f0), p + rd * 1.8 * _unit(f1)])
                                           for p, rd, (f0, f1) in zip(pts, rad, fuzz)], 0.8), ball)
    _paint(s.img, 0.5 * _discs(X.shape, pts + L * rad[:, None] * 0.35, rad * 0.45), np.minimum(ball * 1.3, 1))


def _scratch(s: _Spot) -> None:
    """Thin bright or dark lines, straight or gently curved, alone or in a bundle."""
    r = s.rng
    d = _unit(r.uniform(0, math.pi))
    n = np.float32([-d[1], d[0]])
    L = s.ext * r.uniform(0.85, 1)
    bundle = r.random() < 0.5
    lines = []
    for i in range(int(r.integers(3, 9) if bundle else r.integers(1, 3))):
        li = L * (r.uniform(0.35, 1) if i else 1)
        t = np.linspace(-0.5, 0.5, 24)[:, None]
        off = n * r.normal(0, L * (0.05 if bundle else 0.12)) * (i > 0) + d * r.uniform(-0.2, 0.2) * L * (i > 0)
        lines.append(s.c + off + d * t * li + n * r.uniform(-0.08, 0.08) * li * (1 - 4 * t * t))
    h, w = s.img.shape[:2]
    patchy = np.clip(0.6 + 0.5 * _noise(h, w, 8, r), 0.25, 1)
    a = _stroke(s.img.shape, lines, r.uniform(1, 1.8) * (0.8 + 0.2 * s.k)) * patchy
    bright = _lum(s.img.mean((0, 1))) < 0.55 or r.random() < 0.3 or s.ph.surface == "glass"
    _paint(s.img, np.clip(a * 0.8 * s.k, 0, 1), np.float32([0.95, 0.95, 0.93]) if bright else s.img * 0.35)


def _dent(s: _Spot) -> None:
    """A smooth depression: the surface's shading and highlights change over it and reflections bend."""
    r, ph = s.rng, s.ph
    X, Y = s.rel()
    a, sig = r.uniform(0, math.pi), s.ext * r.uniform(0.28, 0.34)
    xr, yr = X * math.cos(a) + Y * math.sin(a), (Y * math.cos(a) - X * math.sin(a)) / r.uniform(0.55, 1)
    g = np.exp(-(xr ** 2 + yr ** 2) / sig ** 2)
    depth = sig * r.uniform(0.25, 0.4) * s.k
    dif0, spec0 = _shade(s.hgt, ph.light, ph.shin)
    dif1, spec1 = _shade(s.hgt - depth * g, ph.light, ph.shin)
    gy, gx = np.gradient(g)
    bend = depth * r.uniform(2, 4)
    base = cv2.remap(s.img, X + s.x + gx * bend, Y + s.y + gy * bend, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    relit = (base - ph.gloss * spec0[..., None]) * (dif1 / dif0)[..., None] + max(ph.gloss, 0.3) * spec1[..., None]
    s.img[:] = np.clip(relit, 0, 1)
    s.hgt -= depth * g


def _fracture(ph: _Photo) -> np.ndarray:
    """Colour of the material's broken inside: ceramic body, stressed plastic, raw wood, glass."""
    return {"glaze": np.float32([0.9, 0.88, 0.82]), "wood": np.float32([0.85, 0.7, 0.5]),
            "glass": np.float32([0.92, 0.97, 0.95])}.get(ph.surface, np.minimum(ph.colour * 0.6 + 0.4, 1))


def _crack(s: _Spot) -> None:
    """A thin dark branching fracture line with a light bevel beside it, sometimes with a chip out of it."""
    r = s.rng
    L, ang = s.ext * r.uniform(0.85, 1), r.uniform(0, 2 * math.pi)
    main = _wander((0, 0), ang, L, r, wiggle=0.25, step=3)
    main = main - (main.min(0) + main.max(0)) / 2 + s.c
    branches = [_wander(main[i], ang + r.choice([-1, 1]) * r.uniform(0.4, 1.1), L * r.uniform(0.12, 0.35), r, 0.3, 3)
                for i in r.integers(1, len(main) - 1, r.integers(1, 5))]
    glass = s.ph.surface == "glass"
    dark = np.maximum(_stroke(s.img.shape, [main], r.uniform(1.0, 1.4 if glass else 2.2) * s.k ** 0.5),
                      _stroke(s.img.shape, branches, 1))
    _paint(s.img, 0.4 * _stroke(s.img.shape, [main + s.ph.light[:2] * 1.3], 1), 1.0)
    _paint(s.img, np.clip(dark * (0.75 + 0.1 * s.k), 0, 1), np.float32([0.97] * 3) if glass else s.img * 0.2)
    if r.random() < 0.3:
        p, q = main[r.integers(len(main))], r.uniform(3, 8) * (0.8 + 0.2 * s.k)
        _paint(s.img, _fill(s.img.shape, [p + r.uniform(-q, q, (3, 2))]), _fracture(s.ph))


def _broken(s: _Spot) -> None:
    """A piece missing at the product's edge: the background shows, along a rough fracture surface."""
    r = s.rng
    n = int(r.integers(7, 13))
    ang = np.sort(r.uniform(0, 2 * math.pi, n))
    rad = s.ext / 2 * r.uniform(0.8, 1) * r.uniform(0.45, 1, n)
    chip = _fill(s.img.shape, [s.c + np.stack([np.cos(ang), np.sin(ang)], 1) * rad[:, None]]) * (s.mask > 0.5)
    band = np.clip(cv2.GaussianBlur(chip, (0, 0), r.uniform(1.5, 3.5) * (0.8 + 0.2 * s.k)) * 3, 0, 1)
    band *= (1 - chip) * (s.mask > 0.5)
    h, w = chip.shape
    _paint(s.img, band, _fracture(s.ph) * (0.85 + 0.15 * _noise(h, w, 3, r))[..., None])
    s.img *= 1 - 0.5 * (np.clip(cv2.GaussianBlur(chip, (0, 0), 0.8) * 2, 0, 1) * (1 - chip))[..., None]
    _paint(s.img, chip, s.bg)
    s.mask *= 1 - chip


_DRAW = {"snag": _snag, "hole": _hole, "stain": _stain, "tear": _tear, "open_seam": _open_seam,
         "pilling": _pilling, "scratch": _scratch, "dent": _dent, "crack": _crack, "broken": _broken}


# ---------------------------------------------------------------------------------------------------------------
# placing defects, the camera, the set

def _where(ph: _Photo, kind: str, radius: float, rng) -> tuple[int, int] | None:
    """A centre for a defect of `radius` px: well inside the product (and the frame), or on its edge for broken."""
    inside = (ph.mask > 0.5).astype(np.uint8)
    if kind == "broken":
        edge = inside - cv2.erode(inside, np.ones((3, 3), np.uint8))
        m = max(4, int(radius * 0.5))
        edge[:m], edge[-m:], edge[:, :m], edge[:, -m:] = 0, 0, 0, 0
        k = int(radius) | 1
        weight = edge * np.clip(0.62 - cv2.blur(ph.mask, (k, k)), 0.02, None)   # corners and rims first
    else:
        dist = cv2.distanceTransform(cv2.copyMakeBorder(inside, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0),
                                     cv2.DIST_L2, 3)[1:-1, 1:-1]
        weight = (dist >= min(radius * 0.8, dist.max() * 0.9)).astype(np.float32)
    flat = weight.ravel()
    if flat.sum() <= 0:
        return None
    i = rng.choice(flat.size, p=flat / flat.sum())
    return int(i % ph.mask.shape[1]), int(i // ph.mask.shape[1])


def _place(ph: _Photo, kind: str, rng) -> bool:
    """Draw one defect of `kind` somewhere it fits, visibly and not over another one, and record its box."""
    h, w = ph.mask.shape
    short = min(h, w)
    lo, hi = _EXTENT[kind]
    grain = 2.0 if ph.surface in ("brushed", "wood") else 0.7
    sigma = float(np.clip(0.4 * ph.period, 0.7, 3.5)) if ph.fabric else grain     # the scale changes are seen at
    for _ in range(10):
        ext = short * math.exp(rng.uniform(math.log(lo), math.log(hi)))
        c = _where(ph, kind, ext / 2, rng)
        if c is None:
            continue
        reach = int(ext * _REACH.get(kind, 0.8)) + 6
        x0, y0 = max(0, c[0] - reach), max(0, c[1] - reach)
        x1, y1 = min(w, c[0] + reach + 1), min(h, c[1] + reach + 1)
        win = (slice(y0, y1), slice(x0, x1))
        saved, smask, shgt = ph.canvas[win].copy(), ph.mask[win].copy(), ph.hgt[win].copy()
        for k in (1.0, 1.7, 2.6):
            s = _Spot(ph, rng, ph.canvas[win], ph.bg[win], ph.mask[win], ph.hgt[win], c[0] - x0, c[1] - y0, ext, k,
                      saved.copy())
            _DRAW[kind](s)
            s.img[:] = np.clip(saved + (s.img - saved) * smask[..., None], 0, 1)
            seen, contrast, busy = _seen(s.img, s.before, sigma)
            if seen.sum() > 15 and (contrast >= max(0.12, 0.6 * busy) or k == 2.6):
                break
            ph.canvas[win], ph.mask[win], ph.hgt[win] = saved, smask, shgt
        ys, xs = np.nonzero(seen)
        if len(xs) > 15:
            box = (kind, x0 + xs.min(), y0 + ys.min(), x0 + xs.max(), y0 + ys.max())
            size = max(box[3] - box[1], box[4] - box[2]) + 1
            if 0.04 * short <= size <= 0.45 * short and not any(_overlap(box, b) > 0.2 for b in ph.boxes):
                ph.boxes.append(box)
                return True
        ph.canvas[win], ph.mask[win], ph.hgt[win] = saved, smask, shgt
    return False


def _seen(img, before, sigma: float) -> tuple[np.ndarray, float, float]:
    """Pixels a defect visibly changed, how strongly, and how busy the surface around it is (std of its
    luminance). Changes are compared at the scale of the texture, so that cloth merely shifted under a pucker
    does not count while a thread across it does."""
    soft = cv2.GaussianBlur(before, (0, 0), sigma)
    diff = np.abs(cv2.GaussianBlur(img, (0, 0), sigma) - soft).max(2)
    seen = (diff > 0.05) & (np.abs(img - before).max(2) > 0.04)
    busy = float((soft @ np.float32([0.3, 0.59, 0.11])).std())
    return seen, float(np.percentile(diff[seen], 75)) if seen.any() else 0.0, busy


def _overlap(a, b) -> float:
    """Intersection of two boxes (kind, x0, y0, x1, y1) over the smaller one's area."""
    iw = min(a[3], b[3]) - max(a[1], b[1]) + 1
    ih = min(a[4], b[4]) - max(a[2], b[2]) + 1
    area = min((a[3] - a[1] + 1) * (a[4] - a[2] + 1), (b[3] - b[1] + 1) * (b[4] - b[2] + 1))
    return max(0, iw) * max(0, ih) / area


def _camera(img: np.ndarray, rng) -> np.ndarray:
    """A phone camera's take: uneven light, vignetting, white balance, a little blur and sensor noise."""
    h, w = img.shape[:2]
    x, y = _grid(h, w)
    tilt = rng.uniform(-0.25, 0.25, 2)
    gain = 1 + tilt[0] * (x / w - 0.5) + tilt[1] * (y / h - 0.5) + 0.05 * _noise(h, w, 200, rng)
    gain *= 1 - rng.uniform(0, 0.35) * 2 * ((x / w - 0.5) ** 2 + (y / h - 0.5) ** 2)
    img = img * gain[..., None] * (rng.uniform(0.94, 1.06, 3) * rng.uniform(0.85, 1.1)).astype(np.float32)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.1))
    img += rng.standard_normal(img.shape, dtype=np.float32) * rng.uniform(0.004, 0.02)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _main_kind(index: int, clean_share: float) -> str | None:
    """The main defect of photo `index`, None for a clean one (clean photos are spread evenly)."""
    before = math.floor(index * clean_share + 1e-9)
    if math.floor((index + 1) * clean_share + 1e-9) > before:
        return None
    return KINDS[(index - before) % len(KINDS)]


def _photo(index: int, seed: int, clean_share: float, size: int) -> tuple[bytes, list]:
    """JPEG bytes and YOLO labels of photo `index`."""
    main = _main_kind(index, clean_share)
    for attempt in range(8):
        rng = np.random.default_rng([seed, index, attempt])
        ph = _scene(rng, size, main)
        if main is None or _place(ph, main, rng):
            break
    if main is not None:
        fits = _FABRIC_KINDS if ph.fabric else _HARDS[ph.product][1]
        for _ in range(rng.choice(3, p=[0.55, 0.33, 0.12])):
            _place(ph, str(rng.choice(fits)), rng)
    img = _camera(ph.canvas, rng)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=int(rng.integers(70, 96)))
    h, w = img.shape[:2]
    labels = [(KINDS.index(k), round(float(x0 + x1 + 1) / 2 / w, 6), round(float(y0 + y1 + 1) / 2 / h, 6),
               round(float(x1 - x0 + 1) / w, 6), round(float(y1 - y0 + 1) / h, 6)) for k, x0, y0, x1, y1 in ph.boxes]
    return buf.getvalue(), labels


def render(index: int, seed: int = 7, clean_share: float = 0.25, size: int = 640) -> tuple[Image.Image, list]:
    """Photo `index` of the set (deterministic from (seed, index)), and its labels [(class_id, cx, cy, w, h), ...]
    (empty for a clean photo). About `clean_share` of photos are clean; defective ones cycle through the classes
    so that every class gets the same number of photos as its main defect."""
    data, labels = _photo(index, seed, clean_share, size)
    img = Image.open(io.BytesIO(data))
    img.load()
    return img, labels


def write_set(out: Path, count: int, seed: int = 7, clean_share: float = 0.25, size: int = 640) -> Path:
    """Write out/images/NNNNN.jpg and out/labels/NNNNN.txt (YOLO; empty file for clean photos) for indices
    0..count-1 and out/manifest.json; return out."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    per_class, clean = dict.fromkeys(KINDS, 0), 0
    for i in range(count):
        data, labels = _photo(i, seed, clean_share, size)
        (out / "images" / f"{i:05d}.jpg").write_bytes(data)
        (out / "labels" / f"{i:05d}.txt").write_text("".join(f"{c} {x:.6f} {y:.6f} {bw:.6f} {bh:.6f}\n"
                                                             for c, x, y, bw, bh in labels))
        clean += not labels
        for c, *_ in labels:
            per_class[KINDS[c]] += 1
    manifest = {"renderer": "benchmarks/defects_second.py", "seed": seed, "count": count,
                "per_class": per_class, "clean": clean}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return out


_BOX_COLOURS = ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
                (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212))


def contact_sheet(out: Path, path: Path, count: int = 24, cell: int = 320) -> Path:
    """Write a PNG of the set's first `count` photos, their boxes and class names drawn on them."""
    names = sorted((Path(out) / "images").glob("*.jpg"))[:count]
    cols = 6
    sheet = Image.new("RGB", (cols * cell, -(-len(names) // cols) * cell), (40, 40, 40))
    font = ImageFont.load_default(size=13)
    for n, name in enumerate(names):
        img = Image.open(name).convert("RGB")
        f = cell / max(img.size)
        img = img.resize((int(img.width * f), int(img.height * f)))
        draw = ImageDraw.Draw(img)
        for line in (Path(out) / "labels" / f"{name.stem}.txt").read_text().split("\n"):
            if line:
                c, x, y, bw, bh = (float(v) for v in line.split())
                box = ((x - bw / 2) * img.width, (y - bh / 2) * img.height,
                       (x + bw / 2) * img.width, (y + bh / 2) * img.height)
                draw.rectangle(box, outline=_BOX_COLOURS[int(c)], width=2)
                draw.text((box[0] + 2, box[1] + 1), KINDS[int(c)], fill=_BOX_COLOURS[int(c)], font=font)
        draw.text((3, img.height - 16), name.stem, fill=(255, 255, 255), font=font)
        sheet.paste(img, ((n % cols) * cell, (n // cols) * cell))
    sheet.save(path)
    return Path(path)


def main(argv=None) -> None:
    """CLI: write the set, and a contact sheet of its first 24 photos with --preview."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--clean-share", type=float, default=0.25)
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--preview", type=Path)
    args = ap.parse_args(argv)
    out = write_set(args.out, args.count, args.seed, args.clean_share, args.size)
    if args.preview:
        contact_sheet(out, args.preview)
    print(json.loads((out / "manifest.json").read_text()))


if __name__ == "__main__":
    main()
