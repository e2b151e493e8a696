"""The defect-photo dataset writer: layout, labels, determinism, the train/test split of looks, ultralytics' checker."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest
import yaml

from aftersales.policy.decisions import DEFECT_TAXONOMY, FABRIC_DEFECTS, HARD_GOODS_DEFECTS
from training import defect_data
from training.defect_data import DataOptions, image_entropy, main, preview_path, write_dataset
from training.defect_scene import SceneOptions, plan_scene, render_scene
from training.materials import BACKGROUND_PHOTOS, FAMILIES, REGISTRY, photo_crop

SMALL = dict(train=6, val=2, test=6, size=160, preview_count=4)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix in (".jpg", ".txt", ".yaml", ".json", ".jsonl")}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("defects")
    return out, write_dataset(out, DataOptions(**SMALL, workers=1, seed=3))


def _manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_layout_and_data_yaml_follow_the_taxonomy(dataset):
    out, recipe = dataset
    spec = yaml.safe_load((out / "data.yaml").read_text())
    assert spec["names"] == dict(enumerate(DEFECT_TAXONOMY))
    assert Path(spec["path"]) == out.resolve() and Path(spec["path"]).is_absolute()
    for split, count in (("train", 6), ("val", 2), ("test", 6)):
        images = sorted((out / spec[split]).glob("*.jpg"))
        labels = sorted((out / "labels" / split).glob("*.txt"))
        assert len(images) == len(labels) == count
        assert [p.stem for p in images] == [p.stem for p in labels]
    assert recipe["version"] >= 1 and recipe["seed"] == 3
    assert recipe["counts"] == {"train": 6, "val": 2, "test": 6}
    assert set(recipe["boxes"]["train"]) == set(DEFECT_TAXONOMY)


def test_every_label_line_is_a_valid_normalised_box(dataset):
    out, recipe = dataset
    counted = {split: dict.fromkeys(DEFECT_TAXONOMY, 0) for split in ("train", "val", "test")}
    for split in counted:
        for label in (out / "labels" / split).glob("*.txt"):
            for line in label.read_text().splitlines():
                fields = line.split()
                assert len(fields) == 5, line
                cls, (cx, cy, w, h) = int(fields[0]), map(float, fields[1:])
                assert 0 <= cls < len(DEFECT_TAXONOMY)
                assert 0 < w <= 1 and 0 < h <= 1
                assert 0 <= cx - w / 2 + 1e-6 and cx + w / 2 - 1e-6 <= 1
                assert 0 <= cy - h / 2 + 1e-6 and cy + h / 2 - 1e-6 <= 1
                counted[split][DEFECT_TAXONOMY[cls]] += 1
    assert counted == recipe["boxes"]
    assert sum(sum(c.values()) for c in counted.values()) > 0


def test_clean_images_have_empty_label_files_and_are_counted(dataset):
    out, recipe = dataset
    records = _manifest(out)
    for record in records:
        text = (out / record["file"].replace("images/", "labels/", 1)).with_suffix(".txt").read_text()
        assert (text.strip() == "") == (record["labels"] == [])
        if not record["planned"]:
            assert text == ""
    for split in ("train", "val", "test"):
        assert recipe["clean_images"][split] == sum(1 for r in records if r["split"] == split and not r["labels"])


def test_same_seed_gives_identical_bytes_whatever_the_worker_count(dataset, tmp_path):
    out, _ = dataset
    again = tmp_path / "again"
    write_dataset(again, DataOptions(**SMALL, workers=2, seed=3))
    first, second = _files(out), _files(again)
    first.pop("data.yaml"), second.pop("data.yaml")  # holds the absolute path
    assert first == second


def test_another_seed_gives_other_photos(dataset, tmp_path):
    out, _ = dataset
    other = tmp_path / "other"
    write_dataset(other, DataOptions(train=2, val=0, test=0, size=160, workers=1, seed=4))
    for name in ("train_000000.jpg", "train_000001.jpg"):
        assert (other / "images" / "train" / name).read_bytes() != (out / "images" / "train" / name).read_bytes()


def test_a_rerun_with_fewer_photos_leaves_no_stale_ones(tmp_path):
    write_dataset(tmp_path, DataOptions(train=3, val=0, test=0, size=128, workers=1))
    write_dataset(tmp_path, DataOptions(train=1, val=0, test=0, size=128, workers=1))
    assert len(list((tmp_path / "images" / "train").glob("*.jpg"))) == 1
    assert len(list((tmp_path / "labels" / "train").glob("*.txt"))) == 1


def test_test_split_looks_are_disjoint_from_train(dataset):
    out, recipe = dataset
    assert recipe["split"]["profile"] == "textures"  # the default profile: defect forms shared, looks reserved
    assert set(recipe["variants"]["test"]).isdisjoint(recipe["variants"]["train_val"])
    pools = recipe["pools"]
    assert pools["train_val"].keys() == pools["test"].keys() == REGISTRY.keys()
    assert sorted(recipe["split"]["reserved_for_test"] + recipe["split"]["shared"]) == sorted(REGISTRY)
    for name in recipe["split"]["reserved_for_test"]:
        train, test = pools["train_val"][name], pools["test"][name]
        if train and isinstance(train[0], list):  # numeric ranges: no overlap
            assert all(lo >= train[0][1] or hi <= train[0][0] for lo, hi in test), name
        else:
            assert set(train).isdisjoint(test), name
    for name in recipe["split"]["shared"]:
        assert pools["train_val"][name] == pools["test"][name], name
    for record in _manifest(out):
        allowed = recipe["variants"]["test" if record["split"] == "test" else "train_val"]
        assert record["variant"] in allowed
    # every class can appear on some test material
    test_families = {v.split("/")[0] for v in recipe["variants"]["test"]}
    assert set(DEFECT_TAXONOMY) <= {c for f in test_families for c in FAMILIES[f].classes}


def test_fabric_defects_only_on_fabric_and_hard_defects_only_on_hard_goods():
    options = SceneOptions(size=160)
    seen = set()
    for index in range(300):
        for regime in ("train", "test"):
            plan = plan_scene((11, 0, index), regime, options)
            for defect in plan.defects:
                seen.add(defect.name)
                if defect.name in FABRIC_DEFECTS:
                    assert plan.kind in ("fabric", "leather"), (defect.name, plan.variant)
                else:
                    assert defect.name in HARD_GOODS_DEFECTS
                    assert plan.kind == "hard" or (defect.name == "scratch" and plan.kind == "leather"), plan.variant
    assert seen == set(DEFECT_TAXONOMY)


def test_classes_are_roughly_balanced_and_about_a_fifth_is_clean():
    options = SceneOptions(size=160)
    counts = dict.fromkeys(DEFECT_TAXONOMY, 0)
    clean = 0
    for index in range(600):
        plan = plan_scene((5, 0, index), "train", options)
        clean += not plan.defects
        for defect in plan.defects:
            counts[defect.name] += 1
    mean = sum(counts.values()) / len(counts)
    assert all(0.6 * mean < n < 1.5 * mean for n in counts.values()), counts
    assert 0.13 < clean / 600 < 0.28


@pytest.mark.parametrize("index", range(6))
def test_boxes_cover_pixels_that_differ_from_the_defect_free_render(index):
    plan = plan_scene(image_entropy(7, "train", index), "train", SceneOptions(size=224, clean_share=0.0))
    with_defects, without = render_scene(plan), render_scene(plan, with_defects=False)
    assert without.boxes == []
    diff = np.abs(with_defects.image.astype(int) - without.image.astype(int)).max(2)
    assert len(with_defects.boxes) >= 1
    for box, mask in zip(with_defects.boxes, [m for m in with_defects.masks if m.any()]):
        ys, xs = np.nonzero(mask)
        assert (box.x1, box.y1, box.x2, box.y2) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        inside = diff[box.y1:box.y2, box.x1:box.x2]
        assert (inside > 12).sum() >= 8, (box, plan.defects)
        # the mask is where the defect visibly changed the photo, not a loose region around it
        assert (diff[mask] > 6).mean() > 0.5, box
    changed_outside = diff > 40
    for box in with_defects.boxes:
        changed_outside[max(0, box.y1 - 4):box.y2 + 4, max(0, box.x1 - 4):box.x2 + 4] = False
    dropped = len(plan.defects) - len(with_defects.boxes)
    if dropped == 0:
        assert changed_outside.sum() < 0.002 * diff.size


def test_the_no_defect_render_is_the_same_photo_minus_the_defects():
    plan = plan_scene(image_entropy(9, "test", 1), "test", SceneOptions(size=192, clean_share=1.0))
    assert plan.defects == []
    assert np.array_equal(render_scene(plan).image, render_scene(plan, with_defects=False).image)


def test_only_bundled_scikit_image_pictures_are_used_and_nothing_is_fetched(monkeypatch):
    import skimage.data._fetchers as fetchers

    def refuse(*args, **kwargs):
        raise AssertionError("tried to fetch or connect")

    monkeypatch.setattr(fetchers, "_fetch", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    names = list(BACKGROUND_PHOTOS.shared + BACKGROUND_PHOTOS.test)
    names += [v for f in ("stone", "printed") for v in FAMILIES[f].variants.shared + FAMILIES[f].variants.test]
    rng = np.random.default_rng(0)
    for name in names:
        crop = photo_crop(name, 40, 60, rng)
        assert crop.shape == (40, 60, 3) and crop.std() > 0.01, name
    for index in range(4):
        render_scene(plan_scene((1, 2, index), "test", SceneOptions(size=128)))


def test_ultralytics_accepts_the_dataset_without_downloading(dataset, monkeypatch):
    out, _ = dataset
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.setenv("YOLO_AUTOINSTALL", "false")
    from ultralytics.data import utils as data_utils

    def refuse(*args, **kwargs):
        raise AssertionError(f"ultralytics tried to download {args} {kwargs}")

    monkeypatch.setattr(data_utils, "safe_download", refuse)
    monkeypatch.setattr(data_utils, "download", refuse)
    monkeypatch.setattr(data_utils, "check_font", lambda *a, **k: None)  # a plotting font, not the dataset
    monkeypatch.setattr(socket.socket, "connect", refuse)
    checked = data_utils.check_det_dataset(str(out / "data.yaml"), autodownload=False)
    assert checked["nc"] == len(DEFECT_TAXONOMY)
    assert [checked["names"][i] for i in range(len(DEFECT_TAXONOMY))] == list(DEFECT_TAXONOMY)
    for split in ("train", "val", "test"):
        assert Path(checked[split]).is_dir()


def test_preview_sheets_are_written_per_split(tmp_path):
    preview = tmp_path / "sheet.png"
    write_dataset(tmp_path / "d", DataOptions(train=3, val=0, test=2, size=128, workers=1, preview=preview,
                                              preview_count=3))
    import cv2

    for split in ("train", "test"):
        sheet = cv2.imread(str(preview_path(preview, split)))
        assert sheet is not None and sheet.shape[0] >= 320
    assert not preview_path(preview, "val").exists()


@pytest.mark.parametrize("args, message", [
    (["--train", "-1"], "--train must be 0 or more"),
    (["--workers", "0"], "--workers must be between"),
    (["--size", "20"], "size must be between"),
    (["--train", "0", "--val", "0", "--test", "0"], "nothing to generate"),
    (["--preview", "x.jpg"], "must name a .png"),
    (["--split", "loose"], "invalid choice: 'loose'"),
])
def test_cli_rejects_bad_options_with_a_reason(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        main(["--out", str(tmp_path), *args])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_writes_a_small_dataset(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--train", "2", "--val", "1", "--test", "1", "--size", "128",
                 "--workers", "1"]) == 0
    assert "wrote 4 photos" in capsys.readouterr().out
    assert json.loads((tmp_path / "recipe.json").read_text())["counts"] == {"train": 2, "val": 1, "test": 1}


def test_option_defaults_match_the_brief():
    options = DataOptions()
    assert (options.train, options.val, options.test, options.workers, options.size) == (4000, 500, 600, 2, 480)
    assert options.split == "textures"
    assert len(set(defect_data.SPLIT_IDS.values())) == 3  # splits never share a photo seed


def test_class_weights_lean_train_photos_on_a_class_and_leave_test_alike():
    from collections import Counter

    options = DataOptions(train=1, val=1, test=1, weights={"snag": 5.0})
    counts = {}
    for split, regime in (("train", "train"), ("test", "test")):
        scene = options.scene_options(split)
        plans = [plan_scene((0, 0, i), regime, scene, "textures") for i in range(400)]
        counts[split] = Counter(plan.defects[0].name for plan in plans if plan.defects)
    # 5 of 14 shares against 1 of 10: snag leads train by far, and is an ordinary class in test
    assert counts["train"]["snag"] > 2.5 * max(v for k, v in counts["train"].items() if k != "snag")
    assert counts["test"]["snag"] < 2 * (sum(counts["test"].values()) / len(DEFECT_TAXONOMY))
    with pytest.raises(ValueError, match="unknown classes"):
        DataOptions(train=1, weights={"snags": 2.0})
    with pytest.raises(ValueError, match="weights"):
        DataOptions(train=1, weights={"snag": -1.0})
