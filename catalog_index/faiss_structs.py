"""FAISS structures behind the catalog index: building by factory string, deterministic training, per-call
search parameters, and which structures can remove vectors in place."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from catalog_index.errors import CatalogError


def new_faiss(dim: int, factory: str) -> Any:
    """An empty inner-product structure for `factory` that takes int64 ids (natively or through IndexIDMap2)."""
    import faiss

    if not isinstance(factory, str) or not factory.strip():
        raise CatalogError(f"the index factory must be 'auto' or a FAISS factory string, not {factory!r}")
    if "IDMap" in factory:
        raise CatalogError(f"factory {factory!r}: leave out IDMap, the catalog index maps ids itself")
    try:
        structure = faiss.index_factory(int(dim), factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[-1]
        raise CatalogError(f"unknown FAISS factory string {factory!r} ({reason})") from None
    # index_factory returns the concrete, owning type; IndexIDMap2 keeps a Python reference to what it wraps.
    if isinstance(structure, faiss.IndexIVF):
        # A hash-table direct map lets an IVF remove and reconstruct by arbitrary int64 id.
        structure.set_direct_map_type(faiss.DirectMap.Hashtable)
        return structure
    return faiss.IndexIDMap2(structure)


def train(structure: Any, vectors: np.ndarray, factory: str, seed: int, per_list: int) -> None:
    """Train `structure` deterministically on a sample of `vectors` drawn with `seed`."""
    ivf = ivf_of(structure)
    lists = ivf.nlist if ivf is not None else 256  # PQ-only structures: at most 256 centroids per sub-quantizer
    if ivf is not None and len(vectors) < lists:
        raise CatalogError(f"factory {factory!r} needs at least {lists} vectors to train, got {len(vectors)}; "
                           "use 'auto' or 'Flat' for a catalog this small")
    sample = vectors
    if len(vectors) > per_list * lists:
        rows = np.sort(np.random.default_rng(seed).choice(len(vectors), per_list * lists, replace=False))
        sample = np.ascontiguousarray(vectors[rows])
    _seed_clustering(structure, int(seed))
    try:
        structure.train(sample)
    except RuntimeError as exc:
        raise CatalogError(f"cannot train a {factory!r} index on {len(sample)} vectors: "
                           f"{str(exc).strip().splitlines()[-1]}") from None


def _seed_clustering(structure: Any, seed: int) -> None:
    """Give every k-means FAISS will run inside `structure` (coarse quantizer, PQ codebooks) the same seed."""
    import faiss

    node = faiss.downcast_index(structure)
    for attribute in ("index", "base_index"):  # IDMap2, PreTransform / IndexRefine
        if hasattr(node, attribute) and getattr(node, attribute) is not None:
            _seed_clustering(getattr(node, attribute), seed)
    if hasattr(node, "cp"):
        node.cp.seed = seed
    pq = getattr(node, "pq", None)
    if pq is not None:
        pq.cp.seed = seed
    if hasattr(node, "do_polysemous_training"):
        # On by default for IVF-PQ; it only serves polysemous filtering (never used here) and made training
        # 10k vectors take minutes.
        node.do_polysemous_training = False


def ivf_of(structure: Any) -> Any:
    import faiss

    try:
        return faiss.extract_index_ivf(structure)
    except RuntimeError:
        return None


def can_remove(structure: Any) -> bool:
    import faiss

    node = faiss.downcast_index(structure)
    if isinstance(node, faiss.IndexIVF):
        return True
    # IndexIDMap2 over flat storage (exact, PQ, SQ codes) removes in place; HNSW and IndexRefine cannot.
    return isinstance(node, faiss.IndexIDMap2) and isinstance(faiss.downcast_index(node.index), faiss.IndexFlatCodes)


def search_params(structure: Any, nprobe: int, ef_search: int, k_factor: int) -> Any:
    """Per-call search parameters for `structure` (IDMap2 passes them to what it wraps), or None."""
    import faiss

    node = faiss.downcast_index(structure)
    if isinstance(node, faiss.IndexIDMap2):
        return search_params(node.index, nprobe, ef_search, k_factor)
    if isinstance(node, faiss.IndexIVF):
        return faiss.SearchParametersIVF(nprobe=nprobe)
    if isinstance(node, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(efSearch=ef_search)
    if isinstance(node, faiss.IndexRefine):
        base = search_params(node.base_index, nprobe, ef_search, k_factor)
        return faiss.IndexRefineSearchParameters(k_factor=float(k_factor), base_index_params=base)
    if isinstance(node, faiss.IndexPreTransform):
        inner = search_params(node.index, nprobe, ef_search, k_factor)
        return faiss.SearchParametersPreTransform(index_params=inner) if inner is not None else None
    return None


@contextmanager
def threads_for(queries: int) -> Iterator[None]:
    """One OpenMP thread for a single query: ANN search of one row does not use a second thread, and exact search
    of one row gets slower with two. OpenMP's thread count is per calling thread, so concurrent callers are safe."""
    import faiss

    before = faiss.omp_get_max_threads()
    if queries != 1 or before == 1:
        yield
        return
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
