"""Drawers of the hard-goods defects: scratch, dent, crack and broken."""

from __future__ import annotations

import math

import cv2
import numpy as np

from training.defect_draw_base import DefectContext, Patch, blob, fill, jagged, stroke
from training.materials import choice, fbm

SCRATCH = choice("defect.scratch.form", ("single", "parallel"), ("crossing", "arc"), form=True)
DENT = choice("defect.dent.shape", ("round", "oval"), ("crease",), form=True)
CRACK = choice("defect.crack.form", ("walk", "walk_branched"), ("star", "web"), form=True)
BROKEN = choice("defect.broken.form", ("chip", "corner_bite"), ("shattered",), form=True)


def draw_scratch(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """One or more thin straight-ish lines, paler (catching light) or darker than the surface."""
    shape = patch.alpha.shape
    form = SCRATCH.pick(rng, ctx.regime, ctx.profile)
    angle = rng.uniform(0, np.pi)
    c = np.array(ctx.center)
    groups = [(angle, 1)]
    if form == "parallel":
        groups = [(angle, int(rng.integers(2, 6)))]
    elif form == "crossing":
        groups = [(angle, int(rng.integers(1, 4))), (angle + rng.uniform(0.5, 1.4), int(rng.integers(1, 3)))]
    paths = []
    for direction, count in groups:
        d = np.array([math.cos(direction), math.sin(direction)])
        n = np.array([-d[1], d[0]])
        spacing = rng.uniform(2.5, 8)
        for k in range(count):
            length = ctx.size * rng.uniform(0.6, 1.0)
            u = np.linspace(-0.5, 0.5, 24)[:, None]
            bow = rng.uniform(0.15, 0.3) if form == "arc" else rng.uniform(-0.03, 0.03)
            offset = (k - (count - 1) / 2) * spacing + rng.normal(0, 1)
            path = c + d * u * length + n * (offset + bow * length * (1 - 4 * u ** 2))
            paths.append(path)
    thick = stroke(shape, paths, 2 if ctx.size > 70 and rng.random() < 0.6 else 1)
    h, w = shape
    along = fbm(rng, h, w, max(4.0, ctx.size / 6), 2)
    line = np.clip(thick * (0.55 + 0.9 * along), 0, 1)
    lum = float(ctx.material.base.mean())
    pale = np.clip(ctx.material.thread * 1.2 + 0.25, 0, 1)
    paler = rng.random() < (0.85 if lum < 0.45 else 0.3) and float(pale.mean()) - lum > 0.2
    k = min(1.0, rng.uniform(0.45, 0.85) * ctx.strength)
    if paler:
        patch.rgb[:] = patch.rgb + (line * k)[..., None] * (pale - patch.rgb)
    else:
        patch.rgb *= (1 - k * 0.8 * line)[..., None]


def draw_dent(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """A smooth depression: shading lit on the far wall and dark on the near one, a bent specular highlight."""
    h, w = patch.alpha.shape
    shape = DENT.pick(rng, ctx.regime, ctx.profile)
    aspect = {"round": rng.uniform(1.0, 1.3), "oval": rng.uniform(1.4, 2.4), "crease": rng.uniform(3.0, 5.0)}[shape]
    radius = ctx.size / 2
    theta = rng.uniform(0, np.pi)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = x - ctx.center[0], y - ctx.center[1]
    c, s = math.cos(theta), math.sin(theta)
    u, v = (dx * c + dy * s) / radius, (-dx * s + dy * c) / (radius / aspect)
    r2 = u * u + v * v
    depth = radius * rng.uniform(0.12, 0.25) / aspect ** 0.5
    height = -depth * np.clip(1 - r2, 0, 1) ** 2
    gy, gx = np.gradient(height)
    lz = 0.6
    lx, ly = ctx.light[0] * 0.8, ctx.light[1] * 0.8
    norm = np.sqrt(gx * gx + gy * gy + 1)
    lambert = (-gx * lx - gy * ly + lz) / norm / lz
    hx, hy, hz = lx, ly, lz + 1
    hn = math.sqrt(hx * hx + hy * hy + hz * hz)
    spec = np.clip((-gx * hx - gy * hy + hz) / norm / hn, 0, 1) ** 30
    flat = (lz + 1) / hn
    spec = np.clip(spec - flat ** 30, 0, 1)
    warp = 2.5 + 8 * ctx.material.gloss
    moved = cv2.remap(patch.rgb, (x + gx * warp).astype(np.float32), (y + gy * warp).astype(np.float32),
                      cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    contrast = rng.uniform(0.9, 1.5) * ctx.strength
    shade = np.clip(1 + (lambert - 1) * contrast, 0.45, 1.5)
    patch.rgb[:] = moved * shade[..., None] + (0.05 + 0.3 * ctx.material.gloss) * spec[..., None]


def _crack_paths(ctx: DefectContext, rng: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    form = CRACK.pick(rng, ctx.regime, ctx.profile)
    c = np.array(ctx.center)
    length = ctx.size
    paths: list[tuple[np.ndarray, int]] = []
    if form in ("walk", "walk_branched"):
        angle = rng.uniform(0, 2 * np.pi)
        main = jagged(c - length / 2 * np.array([math.cos(angle), math.sin(angle)]), angle, length, rng, 2.5, 0.3)
        paths.append((main, 2 if length > 90 and rng.random() < 0.5 else 1))
        branches = int(rng.integers(0, 2)) if form == "walk" else int(rng.integers(2, 4))
        for _ in range(branches):
            at = main[int(rng.integers(len(main) // 5, max(len(main) // 5 + 1, 4 * len(main) // 5)))]
            paths.append((jagged(at, angle + rng.choice([-1, 1]) * rng.uniform(0.4, 1.2),
                                 length * rng.uniform(0.15, 0.4), rng, 2.5, 0.3), 1))
        return paths
    rays = int(rng.integers(4, 8))
    for k in range(rays):
        a = 2 * np.pi * k / rays + rng.normal(0, 0.25)
        paths.append((jagged(c, a, length / 2 * rng.uniform(0.6, 1.0), rng, 2.5, 0.25), 1))
    if form == "web":
        for ring in (0.2, 0.4):
            angles = np.linspace(0, 2 * np.pi, 24)
            radius = length / 2 * ring * (1 + 0.15 * rng.normal(size=24))
            paths.append((np.stack([c[0] + radius * np.cos(angles), c[1] + radius * np.sin(angles)], 1), 1))
    return paths


def draw_crack(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """Thin dark branching lines (a random walk with branches) with a pale offset edge where the sides shifted."""
    shape = patch.alpha.shape
    paths = _crack_paths(ctx, rng)
    dark = np.zeros(shape, np.float32)
    for path, thickness in paths:
        dark = np.maximum(dark, stroke(shape, [path], thickness))
    offset = np.array(ctx.light) * 1.2
    edge = np.clip(stroke(shape, [p + offset for p, _ in paths], 1) - dark, 0, 1)
    glass = ctx.material.variant.endswith("glass")
    depth = min(0.9, rng.uniform(0.45, 0.75) * ctx.strength)
    if glass:
        patch.rgb[:] = patch.rgb + (dark * depth)[..., None] * (0.95 - patch.rgb)
        patch.rgb *= (1 - 0.35 * edge)[..., None]
    else:
        patch.rgb *= (1 - depth * dark)[..., None]
        patch.rgb[:] = patch.rgb + (0.35 * edge)[..., None] * (1 - patch.rgb)


def draw_broken(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """A chipped-off piece at the product's edge (jagged rim, rough core showing) or shattered fragments."""
    shape = patch.alpha.shape
    form = BROKEN.pick(rng, ctx.regime, ctx.profile)
    c = np.array(ctx.center) - np.array(ctx.outward) * ctx.size * 0.12
    radius = ctx.size / 2
    vertices = int(rng.integers(6, 11)) if form != "corner_bite" else int(rng.integers(9, 15))
    angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
    radii = radius * rng.uniform(0.45, 1.0, vertices)
    chip = np.stack([c[0] + radii * np.cos(angles), c[1] + radii * np.sin(angles)], 1)
    gone = fill(shape, [chip])
    core = np.clip(ctx.material.thread * (0.85 + 0.25 * rng.random(shape, dtype=np.float32)[..., None]), 0, 1)
    grown = cv2.dilate(gone, np.ones((3, 3), np.uint8), iterations=int(rng.integers(2, 5)))
    rim = np.clip(grown - gone, 0, 1) * patch.alpha
    patch.rgb[:] = patch.rgb * (1 - rim[..., None]) + core * rim[..., None]
    patch.alpha[:] = patch.alpha * (1 - gone)
    if form == "shattered":
        lines = [jagged(c, rng.uniform(0, 2 * np.pi), radius * rng.uniform(1.0, 1.8), rng, 2.5, 0.25)
                 for _ in range(int(rng.integers(3, 6)))]
        crack = stroke(shape, lines, 1) * patch.alpha
        patch.rgb *= (1 - 0.7 * crack)[..., None]
        pieces = fill(shape, [blob(tuple(c + rng.normal(0, radius * 0.6, 2)), radius * 0.5, rng, 0.5)])
        patch.rgb *= (1 + 0.15 * rng.choice([-1, 1]) * pieces * patch.alpha)[..., None]
