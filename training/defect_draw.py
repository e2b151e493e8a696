"""One drawer per defect class: paints the defect into a product patch and reports the pixels it changed; and the
intact defect-like features (seams, print marks, buttons, panel joints) drawn as distractors."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Callable

import cv2
import numpy as np

from aftersales.policy.decisions import DEFECT_TAXONOMY
from training.defect_draw_base import DefectContext, Patch, blob, fill, jagged, stroke
from training.defect_draw_fabric import (
    OPENING, PILLING, SEAM_STITCH, SKIN, SNAG, SNAG_THREAD, STAIN, STAIN_DROPS, TEAR, draw_hole, draw_open_seam,
    draw_pilling, draw_seam, draw_snag, draw_stain, draw_tear,
)
from training.defect_draw_hard import BROKEN, CRACK, DENT, SCRATCH, draw_broken, draw_crack, draw_dent, draw_scratch
from training.materials import Material, palette_colours

if TYPE_CHECKING:
    from training.defect_scene import ScenePlan

# The drawers and shapes live in defect_draw_*; they stay importable from here, where callers always found them.
__all__ = ["BROKEN", "CRACK", "DENT", "DRAWERS", "DefectContext", "OPENING", "PILLING", "Patch", "SCRATCH",
           "SEAM_STITCH", "SKIN", "SNAG", "SNAG_THREAD", "STAIN", "STAIN_DROPS", "TEAR", "VISIBLE_ALPHA",
           "SALIENT_SHARE", "VISIBLE_RGB", "blob", "draw_broken", "draw_crack", "draw_defect", "draw_dent", "draw_distractors",
           "draw_hole", "draw_open_seam", "draw_pilling", "draw_scratch", "draw_seam", "draw_snag", "draw_stain",
           "draw_tear", "fill", "jagged", "stroke"]

# Thresholds that define "changed": below them a change is not visible in a photo.
VISIBLE_RGB = 0.045
VISIBLE_ALPHA = 0.3
# The box is drawn around what stands out, as an annotator would: pixels changed by at least this share of the
# defect's strongest change (98th percentile). Below it lie faint ripples and soft fringes nobody would box.
SALIENT_SHARE = 0.3

DRAWERS: dict[str, Callable[[Patch, DefectContext, np.random.Generator], None]] = {
    "snag": draw_snag, "hole": draw_hole, "stain": draw_stain, "tear": draw_tear, "open_seam": draw_open_seam,
    "pilling": draw_pilling, "scratch": draw_scratch, "dent": draw_dent, "crack": draw_crack, "broken": draw_broken,
}
if tuple(DRAWERS) != DEFECT_TAXONOMY:
    raise RuntimeError("DRAWERS must follow aftersales.policy.decisions.DEFECT_TAXONOMY")


def _visible(before: Patch, after: Patch, mask: np.ndarray) -> bool:
    if mask.sum() < 12:
        return False
    if (np.abs(after.alpha - before.alpha) > VISIBLE_ALPHA).any():
        return True
    return float(np.percentile(np.abs(after.rgb - before.rgb).max(2)[mask], 90)) > 0.14


def _salient(change: np.ndarray, changed: np.ndarray, opened: np.ndarray) -> np.ndarray:
    """The part of `changed` that stands out: strong colour change, or where the cover itself opened."""
    if not changed.any():
        return changed
    level = max(VISIBLE_RGB, SALIENT_SHARE * float(np.percentile(change[changed], 98)))
    core = ((change > level) & changed) | opened
    core = cv2.morphologyEx(core.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) > 0
    return core & changed


def draw_defect(name: str, patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> tuple[Patch, np.ndarray]:
    """Draw defect `name` into a copy of `patch`; return it and the boolean mask of the pixels that visibly stand out.

    A defect too faint to see (on a surface of nearly its colour) is redrawn, same shape, with more contrast."""
    if name not in DRAWERS:
        raise ValueError(f"unknown defect {name!r}; expected one of {DEFECT_TAXONOMY}")
    seed = int(rng.integers(2 ** 63))
    for attempt in range(3):
        out = patch.copy()
        DRAWERS[name](out, replace(ctx, strength=ctx.strength * 1.7 ** attempt), np.random.default_rng(seed))
        np.clip(out.rgb, 0, 1, out=out.rgb)
        change = np.abs(out.rgb - patch.rgb).max(2)
        opened = np.abs(out.alpha - patch.alpha) > VISIBLE_ALPHA
        mask = ((change > VISIBLE_RGB) & (patch.alpha > 0.5)) | opened
        if _visible(patch, out, mask):
            break
    return out, _salient(change, mask, opened)


def draw_distractors(plan: ScenePlan, material: Material, alpha: np.ndarray, rng: np.random.Generator,
                     chance: float) -> None:
    """Intact features that look a bit like defects and must not be reported: seams, buttons, print marks, lint.

    Draws in place on `material.rgb` within the product's coverage `alpha`; `chance`: probability of each kind."""
    h, w = alpha.shape
    for p0, p1 in plan.seams:
        draw_seam(material.rgb, p0, p1, plan.light, rng, plan.regime, plan.profile)
    if rng.random() < chance:
        # a printed mark, logo or label: crisp, flat colour, nothing torn or shaded
        _, (colour,) = palette_colours(rng, plan.regime, 1)
        x, y = int(rng.uniform(0.1, 0.8) * w), int(rng.uniform(0.15, 0.9) * h)
        canvas = np.zeros((h, w), np.uint8)
        if rng.random() < 0.5:
            text = "".join(rng.choice(list("ABCDEKMRSTXZ0123456789"), int(rng.integers(2, 7))))
            cv2.putText(canvas, text, (x, y), int(rng.choice([0, 2, 3, 4])), rng.uniform(0.4, 1.2), 255,
                        int(rng.integers(1, 4)), cv2.LINE_AA)
        else:
            for _ in range(int(rng.integers(3, 12))):
                cv2.circle(canvas, (x + int(rng.normal(0, 20)), y + int(rng.normal(0, 20))),
                           int(rng.integers(2, 6)), 255, -1, cv2.LINE_AA)
        mark = canvas.astype(np.float32) / 255 * alpha
        material.rgb[:] = material.rgb * (1 - mark[..., None]) + colour * mark[..., None]
    if plan.kind != "hard" and rng.random() < chance * 0.5:
        # buttons: round, symmetric, shaded, with thread holes
        for _ in range(int(rng.integers(1, 4))):
            x, y, r = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h, rng.uniform(5, 14)
            disc = fill((h, w), [np.stack([x + r * np.cos(t), y + r * np.sin(t)], 1)
                                 for t in [np.linspace(0, 2 * np.pi, 32, endpoint=False)]]) * alpha
            _, (colour,) = palette_colours(rng, plan.regime, 1)
            gy, gx = np.gradient(disc)
            shade = 1 + 0.3 * np.clip(gx * plan.light[0] + gy * plan.light[1], -1, 1)
            material.rgb[:] = material.rgb * (1 - disc[..., None]) + (colour * shade[..., None]) * disc[..., None]
    if plan.kind == "hard" and rng.random() < chance:
        # a panel joint: perfectly straight, full length, a dark gap with a lit lip
        a = rng.choice([0.0, np.pi / 2]) + rng.normal(0, 0.1)
        p = np.array([rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h])
        d = np.array([math.cos(a), math.sin(a)]) * (w + h)
        for offset, factor in ((0.0, 0.55), (1.5, 1.15)):
            n = np.array([-d[1], d[0]]) / np.linalg.norm(d) * offset
            line = fill((h, w), [np.array([p - d + n, p + d + n, p + d + n + 0.9, p - d + n + 0.9])]) * alpha
            material.rgb *= (1 + (factor - 1) * line)[..., None]
