"""The FAISS catalog index: per-SKU aggregation, persistence with checks, and the atomic save."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from catalog_index.catalog import CatalogProduct
from catalog_index.errors import CatalogError, IndexCorrupt, IndexMismatch, IndexNotFound
from catalog_index.index import CatalogIndex, Match, merge_scores

DIM = 16


def product(sku: str, title: str | None = None) -> CatalogProduct:
    return CatalogProduct(sku=sku, title=title or f"product {sku}", description="", category="test", price_cents=100,
                          currency="CNY", stock=1, presale=False, restock_date=None, style_tags=(),
                          images=(Path(f"/photos/{sku}.jpg"),))


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def vectors() -> np.ndarray:
    return unit(np.random.default_rng(7).standard_normal((30, DIM)))


@pytest.fixture
def index(vectors) -> CatalogIndex:
    """10 SKUs with 3 vectors each (rows 3i..3i+2 belong to S0i)."""
    built = CatalogIndex.create("fake/1", DIM)
    built.set_products(product(f"S{i:02d}") for i in range(10))
    built.add(vectors, [f"S{i // 3:02d}" for i in range(30)])
    return built


def test_query_vector_finds_its_own_sku_first_with_cosine_one(index, vectors):
    results = index.search(vectors[[4, 29]], top_k=3)
    assert [r[0].sku for r in results] == ["S01", "S09"]
    assert results[0][0].score == pytest.approx(1.0, abs=1e-5)
    assert results[0][0].title == "product S01"
    assert len(index) == 30 and index.skus == [f"S{i:02d}" for i in range(10)]
    assert index.embedder_name == "fake/1" and index.dim == DIM


def test_results_are_distinct_skus_scored_by_their_best_vector(index, vectors):
    query = vectors[:1]
    (matches,) = index.search(query, top_k=10)
    assert len(matches) == 10 and len({m.sku for m in matches}) == 10
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    all_scores = (vectors @ query[0]).reshape(10, 3).max(axis=1)
    expected = {f"S{i:02d}": float(s) for i, s in enumerate(all_scores)}
    assert {m.sku: m.score for m in matches} == pytest.approx(expected, abs=1e-5)


def test_a_sku_with_many_close_vectors_does_not_crowd_out_the_others():
    rng = np.random.default_rng(3)
    anchor = unit(rng.standard_normal((1, DIM)))
    crowd = unit(anchor + 0.01 * rng.standard_normal((40, DIM)))
    others = unit(rng.standard_normal((5, DIM)))
    built = CatalogIndex.create("fake/1", DIM)
    built.set_products([product("CROWD")] + [product(f"O{i}") for i in range(5)])
    built.add(np.vstack([crowd, others]), ["CROWD"] * 40 + [f"O{i}" for i in range(5)])
    (matches,) = built.search(anchor, top_k=4)
    assert matches[0].sku == "CROWD"
    assert len(matches) == 4 and len({m.sku for m in matches}) == 4


def test_top_k_beyond_the_catalog_and_empty_index(index, vectors):
    assert len(index.search(vectors[:2], top_k=50)[1]) == 10
    empty = CatalogIndex.create("fake/1", DIM)
    assert empty.search(vectors[:2], top_k=3) == [[], []]


@pytest.mark.parametrize("bad", [np.zeros((2, DIM + 1)), np.zeros((2, 3, DIM)), np.full((1, DIM), np.nan)])
def test_bad_query_vectors_raise_catalog_error(index, bad):
    with pytest.raises(CatalogError):
        index.search(bad, top_k=3)


def test_bad_add_and_top_k(index, vectors):
    with pytest.raises(CatalogError, match="one non-empty SKU per vector"):
        index.add(vectors[:3], ["S00"])
    with pytest.raises(CatalogError, match="top_k"):
        index.search(vectors[:1], top_k=0)
    with pytest.raises(CatalogError, match="no product"):
        index.product("NOPE")


def test_save_load_round_trip_gives_identical_results(index, vectors, tmp_path):
    target = index.save(tmp_path / "idx")
    loaded = CatalogIndex.load(target, expected_embedder="fake/1")
    queries = unit(np.random.default_rng(11).standard_normal((5, DIM)))
    assert loaded.search(queries, 4) == index.search(queries, 4)
    assert loaded.product("S03") == index.product("S03")
    assert len(loaded) == 30 and loaded.skus == index.skus and loaded.dim == DIM
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["embedder"] == "fake/1" and manifest["vectors"] == 30 and manifest["skus"] == 10
    # New vectors after a reload must not reuse ids of the saved ones.
    new_ids = loaded.add(vectors[:1], ["S00"])
    assert new_ids.min() >= 30


def test_wrong_embedder_or_dimension_is_a_mismatch_naming_both(index, tmp_path):
    index.save(tmp_path / "idx")
    with pytest.raises(IndexMismatch) as caught:
        CatalogIndex.load(tmp_path / "idx", expected_embedder="efficientnet-lite0/imagenet")
    message = str(caught.value)
    assert "fake/1" in message and "efficientnet-lite0/imagenet" in message and "rebuild" in message
    assert caught.value.code == "index_mismatch"
    with pytest.raises(IndexMismatch, match="dim 512"):
        CatalogIndex.load(tmp_path / "idx", expected_dim=512)
    loaded = CatalogIndex.load(tmp_path / "idx")
    with pytest.raises(IndexMismatch):
        loaded.check_embedder("other", DIM)
    loaded.check_embedder("fake/1", DIM)


def test_a_flipped_byte_in_the_index_file_is_corruption(index, tmp_path):
    target = index.save(tmp_path / "idx")
    data = bytearray((target / "index.faiss").read_bytes())
    data[len(data) // 2] ^= 0x01
    (target / "index.faiss").write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="sha256") as caught:
        CatalogIndex.load(target)
    assert caught.value.code == "index_corrupt"


def test_edited_sidecar_or_missing_file_is_corruption(index, tmp_path):
    target = index.save(tmp_path / "idx")
    products = json.loads((target / "products.json").read_text())
    products[0]["title"] = "tampered"
    (target / "products.json").write_text(json.dumps(products))
    with pytest.raises(IndexCorrupt, match="products.json"):
        CatalogIndex.load(target)
    index.save(target)
    (target / "ids.json").unlink()
    with pytest.raises(IndexCorrupt, match="ids.json"):
        CatalogIndex.load(target)
    index.save(target)
    (target / "manifest.json").write_text("{")
    with pytest.raises(IndexCorrupt, match="manifest"):
        CatalogIndex.load(target)


def test_missing_index_is_not_found(tmp_path):
    with pytest.raises(IndexNotFound, match="build") as caught:
        CatalogIndex.load(tmp_path / "never-built")
    assert caught.value.code == "index_not_found" and not isinstance(caught.value, IndexCorrupt)


def test_save_replaces_an_existing_index_and_leaves_no_temp_dirs(index, vectors, tmp_path):
    old = CatalogIndex.create("fake/old", DIM)
    old.set_products([product("OLD")])
    old.add(vectors[:1], ["OLD"])
    old.save(tmp_path / "idx")
    (tmp_path / "idx" / "stray-file").write_text("from the old build")
    index.save(tmp_path / "idx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]
    assert not (tmp_path / "idx" / "stray-file").exists()
    loaded = CatalogIndex.load(tmp_path / "idx")
    assert loaded.embedder_name == "fake/1" and "OLD" not in loaded.skus


def test_a_failed_save_keeps_the_old_index(index, vectors, tmp_path, monkeypatch):
    import faiss

    index.save(tmp_path / "idx")

    def broken_write(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(faiss, "write_index", broken_write)
    newer = CatalogIndex.create("fake/2", DIM)
    newer.set_products([product("NEW")])
    newer.add(vectors[:1], ["NEW"])
    with pytest.raises(RuntimeError, match="disk full"):
        newer.save(tmp_path / "idx")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]
    assert CatalogIndex.load(tmp_path / "idx").embedder_name == "fake/1"


def test_save_refuses_vectors_without_product_metadata(vectors, tmp_path):
    orphan = CatalogIndex.create("fake/1", DIM)
    orphan.add(vectors[:2], ["A", "B"])
    orphan.set_products([product("A")])
    with pytest.raises(CatalogError, match="without product metadata: B"):
        orphan.save(tmp_path / "idx")
    assert not (tmp_path / "idx").exists()


def test_create_validates_its_arguments():
    with pytest.raises(CatalogError):
        CatalogIndex.create("", DIM)
    with pytest.raises(CatalogError):
        CatalogIndex.create("fake", 0)


def test_merge_scores_blends_and_keeps_one_side_only_hits():
    text = [Match("A", "a", 0.8), Match("B", "b", 0.2)]
    vector = [Match("B", "b", 0.9), Match("C", "c", 0.5)]
    merged = merge_scores(text, vector, weight=0.25)
    assert [m.sku for m in merged] == ["B", "C", "A"]
    assert merged[0].score == pytest.approx(0.25 * 0.2 + 0.75 * 0.9)
    assert merged[2].score == pytest.approx(0.25 * 0.8)
    assert [m.sku for m in merge_scores(text, vector, weight=1.0, top_k=1)] == ["A"]
    with pytest.raises(CatalogError):
        merge_scores(text, vector, weight=1.5)
    assert Match("A", "a", 0.5).to_dict() == {"sku": "A", "title": "a", "score": 0.5}
