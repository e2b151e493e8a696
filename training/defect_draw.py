"""One drawer per defect class: paints the defect into a product patch and reports the pixels it changed."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from aftersales.decisions import DEFECT_TAXONOMY
from training.defect_draw_base import DefectContext, Patch, blob, fill, jagged, stroke
from training.defect_draw_fabric import (
    OPENING, PILLING, SEAM_STITCH, SKIN, SNAG, SNAG_THREAD, STAIN, STAIN_DROPS, TEAR, draw_hole, draw_open_seam,
    draw_pilling, draw_seam, draw_snag, draw_stain, draw_tear,
)
from training.defect_draw_hard import BROKEN, CRACK, DENT, SCRATCH, draw_broken, draw_crack, draw_dent, draw_scratch

# The drawers and shapes live in defect_draw_*; they stay importable from here, where callers always found them.
__all__ = ["BROKEN", "CRACK", "DENT", "DRAWERS", "DefectContext", "OPENING", "PILLING", "Patch", "SCRATCH",
           "SEAM_STITCH", "SKIN", "SNAG", "SNAG_THREAD", "STAIN", "STAIN_DROPS", "TEAR", "VISIBLE_ALPHA",
           "VISIBLE_RGB", "blob", "draw_broken", "draw_crack", "draw_defect", "draw_dent", "draw_hole",
           "draw_open_seam", "draw_pilling", "draw_scratch", "draw_seam", "draw_snag", "draw_stain", "draw_tear",
           "fill", "jagged", "stroke"]

# Thresholds that define "changed": below them a change is not visible in a photo.
VISIBLE_RGB = 0.045
VISIBLE_ALPHA = 0.3

DRAWERS: dict[str, Callable[[Patch, DefectContext, np.random.Generator], None]] = {
    "snag": draw_snag, "hole": draw_hole, "stain": draw_stain, "tear": draw_tear, "open_seam": draw_open_seam,
    "pilling": draw_pilling, "scratch": draw_scratch, "dent": draw_dent, "crack": draw_crack, "broken": draw_broken,
}
if tuple(DRAWERS) != DEFECT_TAXONOMY:
    raise RuntimeError("DRAWERS must follow aftersales.decisions.DEFECT_TAXONOMY")


def _visible(before: Patch, after: Patch, mask: np.ndarray) -> bool:
    if mask.sum() < 12:
        return False
    if (np.abs(after.alpha - before.alpha) > VISIBLE_ALPHA).any():
        return True
    return float(np.percentile(np.abs(after.rgb - before.rgb).max(2)[mask], 90)) > 0.14


def draw_defect(name: str, patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> tuple[Patch, np.ndarray]:
    """Draw defect `name` into a copy of `patch`; return it and the boolean mask of the pixels visibly changed.

    A defect too faint to see (on a surface of nearly its colour) is redrawn, same shape, with more contrast."""
    if name not in DRAWERS:
        raise ValueError(f"unknown defect {name!r}; expected one of {DEFECT_TAXONOMY}")
    seed = int(rng.integers(2 ** 63))
    for attempt in range(3):
        out = patch.copy()
        DRAWERS[name](out, replace(ctx, strength=ctx.strength * 1.7 ** attempt), np.random.default_rng(seed))
        np.clip(out.rgb, 0, 1, out=out.rgb)
        changed_rgb = (np.abs(out.rgb - patch.rgb).max(2) > VISIBLE_RGB) & (patch.alpha > 0.5)
        mask = changed_rgb | (np.abs(out.alpha - patch.alpha) > VISIBLE_ALPHA)
        if _visible(patch, out, mask):
            break
    return out, mask
