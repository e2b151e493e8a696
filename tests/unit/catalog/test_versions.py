"""Versioned index roots: publish flips CURRENT atomically, prunes old versions, and survives a failed publish."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from catalog_index.errors import CatalogError, IndexCorrupt, IndexNotFound
from catalog_index.index import CatalogIndex
from catalog_index.versions import IndexRoot, is_root, open_index
from tests.unit.catalog.test_index import DIM, product, unit


def small_index(skus: list[str], seed: int = 0) -> CatalogIndex:
    vectors = unit(np.random.default_rng(seed).standard_normal((len(skus), DIM)))
    return CatalogIndex.from_vectors("fake/1", DIM, vectors, skus, [product(s) for s in skus])


def test_publish_flips_current_and_each_version_is_complete(tmp_path):
    root = IndexRoot(tmp_path / "root")
    with pytest.raises(IndexNotFound, match="build"):
        root.current_version()
    assert root.versions() == []
    first = root.publish(small_index(["A", "B"]), extras={"build_report.json": {"n": 1}})
    assert first == "v000001" and root.current_version() == first
    assert (tmp_path / "root" / "CURRENT").read_text().strip() == first
    assert (root.current_dir() / "build_report.json").is_file()
    second = root.publish(small_index(["C"], seed=1))
    assert second == "v000002" and root.versions() == ["v000001", "v000002"]
    assert root.load(expected_embedder="fake/1").skus == ["C"]
    # The old version stays loadable for readers that read CURRENT before the flip.
    assert CatalogIndex.load(root.versions_dir / first).skus == ["A", "B"]
    # No staging folders or temp files are left behind.
    assert sorted(p.name for p in (tmp_path / "root").iterdir() if not p.name.startswith(".publish")) == [
        "CURRENT", "versions"]


def test_old_versions_are_pruned_to_keep_but_never_the_replaced_one(tmp_path):
    root = IndexRoot(tmp_path)
    for i in range(5):
        root.publish(small_index([f"S{i}"], seed=i), keep=3)
    assert root.versions() == ["v000003", "v000004", "v000005"]
    # keep=1 still keeps the version just replaced: a reader may be loading it right now.
    root.publish(small_index(["S5"]), keep=1)
    assert root.versions() == ["v000005", "v000006"] and root.current_version() == "v000006"
    with pytest.raises(CatalogError, match="keep"):
        root.publish(small_index(["S6"]), keep=0)


def test_a_crash_before_the_flip_leaves_the_old_version_current(tmp_path, monkeypatch):
    root = IndexRoot(tmp_path)
    root.publish(small_index(["OLD"]))

    def crash(self, name):
        raise KeyboardInterrupt("killed before CURRENT was replaced")

    monkeypatch.setattr(IndexRoot, "_write_current", crash)
    with pytest.raises(KeyboardInterrupt):
        root.publish(small_index(["NEW"]))
    monkeypatch.undo()
    assert root.current_version() == "v000001" and root.versions() == ["v000001"]
    assert open_index(tmp_path).skus == ["OLD"]
    # The next publish still works and numbers on from the last complete version.
    assert root.publish(small_index(["NEW"])) == "v000002"


def test_a_failed_save_publishes_nothing(tmp_path, monkeypatch):
    import faiss

    root = IndexRoot(tmp_path)
    root.publish(small_index(["OLD"]))

    def broken_write(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(faiss, "write_index", broken_write)
    with pytest.raises(RuntimeError, match="disk full"):
        root.publish(small_index(["NEW"]))
    monkeypatch.undo()
    assert root.versions() == ["v000001"] and root.load().skus == ["OLD"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging") or ".tmp-" in p.name]


def test_open_index_reads_a_root_or_a_plain_folder(tmp_path):
    plain = small_index(["P"]).save(tmp_path / "plain")
    assert not is_root(plain) and open_index(plain).skus == ["P"]
    IndexRoot(tmp_path / "root").publish(small_index(["R"]))
    assert is_root(tmp_path / "root") and open_index(tmp_path / "root", expected_embedder="fake/1").skus == ["R"]
    with pytest.raises(IndexNotFound):
        open_index(tmp_path / "nothing")


@pytest.mark.parametrize("content", ["../../etc\n", "v000009\n"])
def test_a_bad_current_is_corruption(tmp_path, content):
    root = IndexRoot(tmp_path)
    root.publish(small_index(["A"]))
    (tmp_path / "CURRENT").write_text(content)
    with pytest.raises(IndexCorrupt, match="CURRENT"):
        open_index(tmp_path)
