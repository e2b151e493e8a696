"""The per-class defect drawers and the procedural materials they draw on."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from aftersales.policy.decisions import DEFECT_TAXONOMY
from training.defect_draw import SALIENT_SHARE, VISIBLE_RGB, DefectContext, Patch, draw_defect, draw_seam
from training.materials import FAMILIES, pick_family, render_material, variants


def _scene(name: str, seed: int, regime: str = "train"):
    rng = np.random.default_rng(seed)
    family = pick_family(rng, name)
    material = render_material(family, 120, 120, rng, regime)
    alpha = np.ones((120, 120), np.float32)
    if name == "broken":
        alpha[:, 80:] = 0
    rgb = material.rgb.copy()
    seam, thread = None, None
    if name == "open_seam":
        seam = ((0.0, 60.0), (120.0, 55.0))
        thread = draw_seam(rgb, *seam, (0.6, -0.8), rng, regime)
    centre = (80.0, 60.0) if name == "broken" else (60.0, 60.0)
    ctx = DefectContext(material, centre, 50.0, (0.6, -0.8), regime, seam, thread, (1.0, 0.0))
    behind = np.full((120, 120, 3), 0.5, np.float32)
    return Patch(rgb, alpha, behind), ctx, rng


@pytest.mark.parametrize("regime", ["train", "test"])
@pytest.mark.parametrize("name", DEFECT_TAXONOMY)
def test_each_drawer_changes_pixels_around_the_defect_only(name, regime):
    for seed in range(3):
        patch, ctx, rng = _scene(name, seed, regime)
        before = patch.copy()
        drawn, mask = draw_defect(name, patch, ctx, rng)
        assert np.array_equal(patch.rgb, before.rgb), "the input patch must not be modified"
        assert mask.dtype == bool and mask.shape == patch.alpha.shape
        assert mask.sum() >= 15, (name, seed)
        ys, xs = np.nonzero(mask)
        assert abs((xs.min() + xs.max()) / 2 - ctx.center[0]) < 40 and abs((ys.min() + ys.max()) / 2 - 60) < 40
        assert xs.max() - xs.min() <= 1.6 * ctx.size + 12 and ys.max() - ys.min() <= 1.6 * ctx.size + 12
        assert drawn.rgb.min() >= 0 and drawn.rgb.max() <= 1
        diff = np.abs(drawn.rgb - before.rgb).max(2)
        # outside the mask the defect changed nothing, or only faintly next to its strongest change
        faint = max(VISIBLE_RGB, SALIENT_SHARE * float(diff.max()))
        assert diff[~mask].max() <= faint + 1e-6 or (drawn.alpha != before.alpha).any()


def test_the_mask_leaves_out_the_faint_fringe_an_annotator_would_not_box():
    patch, ctx, rng = _scene("snag", 0)
    drawn, mask = draw_defect("snag", patch, ctx, rng)
    diff = np.abs(drawn.rgb - patch.rgb).max(2)
    fringe = (diff > VISIBLE_RGB) & ~mask
    assert fringe.any(), "a snag's puckered trail changes the cloth faintly around the loop"
    assert diff[mask].mean() > 2 * diff[fringe].mean()


def test_broken_removes_part_of_the_product_at_its_edge():
    patch, ctx, rng = _scene("broken", 0)
    drawn, mask = draw_defect("broken", patch, ctx, rng)
    gone = (patch.alpha > 0.5) & (drawn.alpha < 0.5)
    assert gone.sum() > 50 and mask[gone].all()


def test_open_seam_needs_a_seam_and_unknown_classes_are_refused():
    patch, ctx, rng = _scene("open_seam", 0)
    ctx.seam = None
    with pytest.raises(ValueError, match="seam"):
        draw_defect("open_seam", patch, ctx, rng)
    with pytest.raises(ValueError, match="unknown defect"):
        draw_defect("smudge", patch, ctx, rng)


@pytest.mark.parametrize("regime", ["train", "test"])
def test_every_material_variant_renders_a_textured_image(regime):
    rng = np.random.default_rng(0)
    for variant in variants(regime):
        family, name = variant.split("/")
        material = render_material(FAMILIES[family], 64, 96, rng, regime, name)
        assert material.rgb.shape == (64, 96, 3) and material.rgb.dtype == np.float32
        assert 0 <= material.rgb.min() and material.rgb.max() <= 1
        assert material.rgb.std() > 0.002, variant
        assert material.variant == variant and material.kind == FAMILIES[family].kind


@pytest.mark.parametrize("form", ["loop", "pulled_tail", "long_thread", "loop_cluster"])
def test_every_snag_form_draws_yarn_thick_enough_to_see_when_zoomed_in(form, monkeypatch):
    from training import defect_draw_fabric

    class Only:  # the form choice, pinned to one form
        @staticmethod
        def pick(rng, regime, profile):
            return form

    monkeypatch.setattr(defect_draw_fabric, "SNAG", Only)
    patch, ctx, rng = _scene("snag", 1)
    ctx = DefectContext(ctx.material, (60.0, 60.0), 100.0, ctx.light, "train")
    drawn, mask = draw_defect("snag", patch, ctx, rng)
    ys, xs = np.nonzero(mask)
    # the snag spans a good part of its planned extent, and its yarn is more than a hairline: the mask, thinned by
    # one pixel all round, still holds pixels
    assert max(xs.max() - xs.min(), ys.max() - ys.min()) >= 30, form
    assert cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).sum() >= 10, form
