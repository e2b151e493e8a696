"""Split profiles: what the test split keeps to itself under "strict" (every axis) and "textures" (looks and numeric
ranges; categorical defect forms shared), checked on the recipe, the manifest and every value actually drawn."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from training.defect_data import GENERATOR_VERSION, DataOptions, main, write_dataset
from training.defect_scene import SceneOptions, plan_scene, render_scene
from training.materials import (
    FAMILIES, PROFILES, REGISTRY, SplitChoice, SplitRange, check_profile, reserved_axes, shared_axes, split_pools,
)

TINY = dict(train=10, val=2, test=8, size=128, workers=1, seed=5)
# The categorical defect forms the brief names; holding one out would ask for zero-shot recognition of a new defect.
FORM_SUFFIXES = {"form", "shape", "thread", "balls", "stitch", "behind", "substance"}
FORM_AXES = {n for n in REGISTRY if n.startswith("defect.") and n.rsplit(".", 1)[1] in FORM_SUFFIXES}
LOOK_AXES = {"material.palette", "material.print", "scene.background_photo", *FAMILIES}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix in (".jpg", ".txt", ".json", ".jsonl")}


def _manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module", params=list(PROFILES))
def generated(request, tmp_path_factory) -> tuple[str, Path, dict, dict]:
    """A tiny dataset per profile, with every value each regime drew from a split choice or range."""
    profile = request.param
    drawn: dict[tuple[str, str], list] = defaultdict(list)
    originals = {cls: cls.pick for cls in (SplitChoice, SplitRange)}

    def spy(cls):
        def pick(self, rng, regime, profile="strict"):
            value = originals[cls](self, rng, regime, profile)
            drawn[(self.name, regime)].append(value)
            return value
        return pick

    patch = pytest.MonkeyPatch()
    for cls in originals:
        patch.setattr(cls, "pick", spy(cls))
    try:
        out = tmp_path_factory.mktemp(f"defects_{profile}")
        recipe = write_dataset(out, DataOptions(**TINY, split=profile))
    finally:
        patch.undo()
    return profile, out, recipe, dict(drawn)


def test_form_axes_are_exactly_the_categorical_defect_choices():
    assert len(FORM_AXES) == 11 and "defect.stain.drops" not in FORM_AXES
    assert set(shared_axes("textures")) == FORM_AXES
    assert all(isinstance(REGISTRY[name], SplitChoice) and REGISTRY[name].form for name in FORM_AXES)
    assert set(reserved_axes("textures")) == set(REGISTRY) - FORM_AXES
    assert reserved_axes("strict") == sorted(REGISTRY) and shared_axes("strict") == []


def test_textures_pools_share_forms_and_strict_pools_are_the_declared_values():
    for name, axis in REGISTRY.items():
        if isinstance(axis, SplitChoice):
            assert split_pools("train", "strict")[name] == list(axis.shared)
            assert split_pools("test", "strict")[name] == list(axis.test)
        if name in FORM_AXES:
            union = list(axis.shared + axis.test)
            assert split_pools("train", "textures")[name] == split_pools("test", "textures")[name] == union
        else:
            for regime in ("train", "test"):
                assert split_pools(regime, "textures")[name] == split_pools(regime, "strict")[name], name


def test_a_shared_form_is_drawn_from_the_union_and_a_reserved_look_is_not():
    snag, palette = REGISTRY["defect.snag.form"], REGISTRY["material.palette"]
    rng = np.random.default_rng(0)
    assert {snag.pick(rng, "train", "textures") for _ in range(200)} == set(snag.shared + snag.test)
    assert {snag.pick(rng, "train", "strict") for _ in range(200)} == set(snag.shared)
    assert {palette.pick(rng, "train", "textures") for _ in range(200)} == set(palette.shared)
    assert {palette.pick(rng, "test", "textures") for _ in range(200)} == set(palette.test)


def test_unknown_profiles_are_refused():
    with pytest.raises(ValueError, match="unknown split profile"):
        check_profile("loose")
    with pytest.raises(ValueError, match="--split must be one of"):
        DataOptions(split="loose")
    with pytest.raises(ValueError, match="unknown split profile"):
        plan_scene((1, 0, 0), "train", SceneOptions(size=96), "loose")


def test_cli_rejects_an_unknown_profile_and_records_the_chosen_one(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--out", str(tmp_path), "--split", "forms"])
    assert exit_.value.code == 2 and "--split: invalid choice: 'forms'" in capsys.readouterr().err
    assert main(["--out", str(tmp_path), "--train", "1", "--val", "0", "--test", "1", "--size", "96",
                 "--workers", "1", "--split", "strict"]) == 0
    recipe = json.loads((tmp_path / "recipe.json").read_text())
    assert recipe["split"]["profile"] == "strict" and recipe["version"] == GENERATOR_VERSION


def test_the_recipe_records_the_profile_its_version_and_the_reserved_axes(generated):
    profile, _, recipe, _ = generated
    assert recipe["version"] == GENERATOR_VERSION
    assert recipe["split"] == {"profile": profile, "reserved_for_test": reserved_axes(profile),
                               "shared": shared_axes(profile)}
    assert set(recipe["split"]["shared"]) == (FORM_AXES if profile == "textures" else set())
    assert recipe["pools"] == {"train_val": split_pools("train", profile), "test": split_pools("test", profile)}


def test_reserved_looks_never_reach_train_or_val(generated):
    profile, out, recipe, drawn = generated
    records = _manifest(out)
    assert {r["split"] for r in records} == {"train", "val", "test"}
    for record in records:  # material variants, read back from the manifest
        if record["split"] == "test":
            assert record["variant"] in recipe["variants"]["test"], record
        else:
            assert record["variant"] not in recipe["variants"]["test"], record
    assert LOOK_AXES <= set(recipe["split"]["reserved_for_test"])
    for name in recipe["split"]["reserved_for_test"]:  # every value train/val/test actually drew
        axis = REGISTRY[name]
        for regime, allowed in (("train", recipe["pools"]["train_val"][name]), ("test", recipe["pools"]["test"][name])):
            for value in drawn.get((name, regime), []):
                if isinstance(axis, SplitRange):
                    assert any(lo <= value <= hi for lo, hi in allowed), (name, regime, value)
                else:
                    assert value in allowed, (name, regime, value)
    for name in ("material.palette", "material.print", "scene.background_photo"):
        assert drawn.get((name, "train")) and drawn.get((name, "test")), name  # the check above was not vacuous
        assert set(drawn[(name, "train")]).isdisjoint(REGISTRY[name].test), name


def test_defect_forms_are_shared_under_textures_and_held_out_under_strict(generated):
    profile, _, _, drawn = generated
    test_only_in_train = {(name, value) for name in FORM_AXES for value in drawn.get((name, "train"), [])
                          if value in REGISTRY[name].test}
    train_only_in_test = {(name, value) for name in FORM_AXES for value in drawn.get((name, "test"), [])
                          if value in REGISTRY[name].shared}
    if profile == "strict":
        assert not test_only_in_train and not train_only_in_test
    else:  # forms reserved by strict reach training, and test photos show forms training has
        assert test_only_in_train and train_only_in_test


def test_each_profile_is_deterministic(generated, tmp_path):
    profile, out, _, _ = generated
    again = tmp_path / "again"
    write_dataset(again, DataOptions(**{**TINY, "workers": 2}, split=profile))
    assert _files(out) == _files(again)


def test_profiles_plan_alike_and_differ_only_in_the_drawn_defect_forms():
    options = SceneOptions(size=128, clean_share=0.0)
    for index in range(4):
        strict, textures = (plan_scene((2, 2, index), "test", options, p) for p in ("strict", "textures"))
        assert (strict.variant, strict.light_angle, strict.jpeg_quality, len(strict.defects)) == \
            (textures.variant, textures.light_angle, textures.jpeg_quality, len(textures.defects))
        assert textures.profile == "textures" and strict.profile == "strict"
    clean = plan_scene((2, 2, 0), "test", SceneOptions(size=128, clean_share=1.0, distractors=0.0), "textures")
    same = plan_scene((2, 2, 0), "test", SceneOptions(size=128, clean_share=1.0, distractors=0.0), "strict")
    assert np.array_equal(render_scene(clean).image, render_scene(same).image)  # nothing form-like to draw
