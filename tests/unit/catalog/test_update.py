"""Incremental update/delete on every FAISS structure: only the named SKUs change, deleted ones never come back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from catalog_index.errors import CatalogError
from catalog_index.index import CatalogIndex, auto_factory
from tests.unit.catalog.test_index import DIM, product, unit

# Small structures so the unit tests stay fast; IVF/PQ train on the 600 vectors below.
FACTORIES = ["Flat", "IVF8,Flat", "HNSW8", "IVF8,PQ4x4", "IVF8,PQ4x4,RFlat"]
SKUS = [f"S{i:03d}" for i in range(200)]


def clustered(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((8, DIM))
    return unit(centres[rng.integers(0, 8, n)] + 0.3 * rng.standard_normal((n, DIM)))


def build(factory: str) -> tuple[CatalogIndex, np.ndarray]:
    vectors = clustered(600, seed=1)
    skus = [SKUS[i // 3] for i in range(600)]  # three photos per SKU
    index = CatalogIndex.from_vectors("fake/1", DIM, vectors, skus, [product(s) for s in SKUS], factory=factory,
                                      nprobe=8)
    return index, vectors


def snapshot(index: CatalogIndex, skus: list[str]) -> dict[str, tuple[list[int], np.ndarray]]:
    return {sku: (ids.tolist(), vectors) for sku, (ids, vectors) in ((s, index.vectors_of(s)) for s in skus)}


@pytest.mark.parametrize("factory", FACTORIES)
def test_update_replaces_only_the_named_skus(factory):
    index, vectors = build(factory)
    untouched = [s for s in SKUS if s not in ("S005", "S150")]
    before = snapshot(index, untouched)
    replacement = clustered(4, seed=9)
    new_ids = index.update(replacement, ["S005", "S005", "S150", "NEW"])
    assert len(index) == 600 - 6 + 4 and index.vectors_of("S005")[0].tolist() == new_ids[:2].tolist()
    assert index.vectors_of("NEW")[0].tolist() == [new_ids[3]] and new_ids.min() >= 600
    after = snapshot(index, untouched)
    for sku in untouched:
        assert after[sku][0] == before[sku][0]
        np.testing.assert_array_equal(after[sku][1], before[sku][1])
    # S005's old photos are gone (no exact hit on them any more); its new ones find it.
    old_hits = [m for row in index.search(vectors[15:18], top_k=5) for m in row if m.sku == "S005"]
    if not factory.endswith("PQ4x4"):  # 16-bit codes alone are too coarse for exact scores or ranks
        assert all(m.score < 0.999 for m in old_hits)
        assert "S005" in [m.sku for m in index.search(replacement[:1], top_k=10)[0]]


@pytest.mark.parametrize("factory", FACTORIES)
def test_deleted_skus_never_come_back(factory):
    index, vectors = build(factory)
    untouched = [s for s in SKUS if s not in ("S010", "S011")]
    before = snapshot(index, untouched)
    assert index.delete(["S010", "S011", "UNKNOWN"]) == 6
    assert len(index) == 594 and "S010" not in index.skus
    results = index.search(vectors, top_k=10, nprobe=8)
    assert not {m.sku for row in results for m in row} & {"S010", "S011"}
    assert all(m.sku != "S010" for m in index.search_text("product S010", top_k=200))
    with pytest.raises(CatalogError, match="no product"):
        index.product("S010")
    after = snapshot(index, untouched)
    assert all(after[s][0] == before[s][0] and np.array_equal(after[s][1], before[s][1]) for s in untouched)
    assert index.delete(["S010"]) == 0


def test_update_and_delete_survive_save_and_load(tmp_path):
    index, vectors = build("IVF8,Flat")
    index.delete(["S000"])
    index.update(clustered(2, seed=5), ["S001", "S001"])
    loaded = CatalogIndex.load(index.save(tmp_path / "idx"))
    assert loaded.factory == "IVF8,Flat" and loaded.nprobe == 8 and len(loaded) == 596
    assert loaded.search(vectors[:60], 5) == index.search(vectors[:60], 5)
    assert loaded.add(vectors[:1], ["S002"]).min() >= 602  # ids are never reused


def test_upsert_products_changes_only_the_given_metadata():
    index, _ = build("Flat")
    index.upsert_products([product("S001", "crimson wool scarf"), product("EXTRA", "linen apron")])
    assert index.product("S001").title == "crimson wool scarf" and index.product("S002").title == "product S002"
    assert index.search_text("crimson scarf", top_k=1)[0].sku == "S001"
    assert index.product("EXTRA").title == "linen apron"
    with pytest.raises(CatalogError, match="duplicate"):
        index.upsert_products([product("X"), product("X")])


def test_bad_update_changes_nothing():
    index, vectors = build("Flat")
    with pytest.raises(CatalogError, match="one non-empty SKU per vector"):
        index.update(vectors[:2], ["S000"])
    with pytest.raises(CatalogError, match="shape"):
        index.update(np.zeros((1, DIM + 1)), ["S000"])
    assert len(index) == 600 and len(index.vectors_of("S000")[0]) == 3


@pytest.mark.parametrize("factory", ["IVF8,Flat", "IVF8,PQ4x4,RFlat"])
def test_training_is_deterministic_for_a_seed(factory, tmp_path):
    import faiss

    vectors = clustered(600, seed=1)
    skus = [SKUS[i // 3] for i in range(600)]
    products = [product(s) for s in SKUS]
    same = [CatalogIndex.from_vectors("fake/1", DIM, vectors, skus, products, factory=factory, seed=3)
            for _ in range(2)]
    other = CatalogIndex.from_vectors("fake/1", DIM, vectors, skus, products, factory=factory, seed=4)
    blobs = [faiss.serialize_index(i._faiss).tobytes() for i in (*same, other)]
    assert blobs[0] == blobs[1] and blobs[0] != blobs[2]


def test_auto_factory_is_exact_below_50k_and_ivf_with_a_power_of_two_above():
    assert auto_factory(49_999) == "Flat"
    assert auto_factory(100_000) == "IVF1024,Flat" and auto_factory(1_000_000) == "IVF4096,Flat"
    for n in (50_000, 300_000, 5_000_000):
        nlist = int(auto_factory(n)[3:].split(",")[0])
        assert nlist & (nlist - 1) == 0 and 0.7 < nlist / (4 * n ** 0.5) < 1.42
    index, _ = build("auto")
    assert index.factory == "Flat"


def test_manifest_records_factory_and_search_settings_which_load_applies(tmp_path):
    index, vectors = build("IVF8,Flat")
    target = index.save(tmp_path / "idx")
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["factory"] == "IVF8,Flat" and manifest["nprobe"] == 8 and manifest["vectors"] == 600
    manifest_path = target / "manifest.json"
    manifest["nprobe"] = 1
    manifest_path.write_text(json.dumps(manifest))
    loaded = CatalogIndex.load(target)
    assert loaded.nprobe == 1
    # One list of eight scanned misses more of the exact neighbours than all eight.
    exact = CatalogIndex.from_vectors("fake/1", DIM, vectors, [SKUS[i // 3] for i in range(600)],
                                      [product(s) for s in SKUS], factory="Flat")
    queries = clustered(50, seed=7)

    def recall(index_, **kw) -> float:
        got = index_.search(queries, 10, **kw)
        want = exact.search(queries, 10)
        return np.mean([len({m.sku for m in g} & {m.sku for m in w}) / 10 for g, w in zip(got, want)])

    assert recall(loaded) < recall(loaded, nprobe=8) == pytest.approx(1.0)


def test_bad_factories_and_untrained_adds_are_catalog_errors():
    with pytest.raises(CatalogError, match="unknown FAISS factory"):
        CatalogIndex.create("fake/1", DIM, factory="NotAnIndex")
    with pytest.raises(CatalogError, match="trained first"):
        CatalogIndex.create("fake/1", DIM, factory="IVF8,Flat").add(clustered(3, 0), ["A", "B", "C"])
    with pytest.raises(CatalogError, match="at least 64 vectors"):
        CatalogIndex.from_vectors("fake/1", DIM, clustered(10, 0), list("ABCDEFGHIJ"), [], factory="IVF64,Flat")
    index, _ = build("Flat")
    with pytest.raises(CatalogError, match="nprobe"):
        index.search(clustered(1, 0), 3, nprobe=0)
