"""The second defect renderer the detector is judged on: deterministic, every class drawn, labels inside the photo."""

from __future__ import annotations

import json

import numpy as np

from benchmarks.defects_second import KINDS, render, write_set


def test_a_photo_is_the_same_for_the_same_seed_and_index_and_differs_otherwise():
    first, labels = render(3, seed=1, size=320)
    again, labels_again = render(3, seed=1, size=320)
    other, _ = render(4, seed=1, size=320)
    assert np.array_equal(np.asarray(first), np.asarray(again)) and labels == labels_again
    assert not np.array_equal(np.asarray(first), np.asarray(other))
    assert max(first.size) == 320


def test_defective_photos_cycle_through_the_classes_with_boxes_inside_the_photo(tmp_path):
    main_classes = []
    for index in range(16):
        _, labels = render(index, seed=2, clean_share=0.25, size=256)
        for cls, cx, cy, w, h in labels:
            assert 0 <= cls < len(KINDS) and 0 < w <= 1 and 0 < h <= 1
            assert 0 <= cx - w / 2 + 1e-6 and cx + w / 2 <= 1 + 1e-6 and 0 <= cy - h / 2 + 1e-6 and cy + h / 2 <= 1 + 1e-6
        if labels:
            main_classes.append(labels[0][0])
    assert 0 < len(main_classes) < 16  # some clean photos, mostly defective ones
    assert len(set(main_classes)) >= min(len(KINDS), len(main_classes)) - 2
    out = write_set(tmp_path / "set", 6, seed=2, size=256)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["count"] == 6 and len(list((out / "images").glob("*.jpg"))) == 6
    assert sum(1 for p in (out / "labels").glob("*.txt") if not p.read_text().strip()) == manifest["clean"]
