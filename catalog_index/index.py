"""The catalog index: FAISS inner-product search over product-image vectors, results aggregated per SKU."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from catalog_index import faiss_structs
from catalog_index import index_files as files
from catalog_index.catalog import CatalogProduct
from catalog_index.errors import CatalogError, IndexCorrupt, IndexMismatch
from catalog_index.text_search import BM25Options, TextIndex

logger = logging.getLogger("kefu.catalog_index")


@dataclass(frozen=True)
class Match:
    """One catalog product found for a query.

    Attributes:
        sku: The product's SKU.
        title: Its title, for display.
        score: Cosine similarity for image search (best over the product's photos), in [-1, 1]; a BM25 score
            scaled to [0, 1) for text search; a blend of both from `merge_scores`.
    """

    sku: str
    title: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "title": self.title, "score": self.score}


def merge_scores(text_matches: Sequence[Match], vector_matches: Sequence[Match], weight: float = 0.3,
                 top_k: int | None = None) -> list[Match]:
    """One ranking from a text search and a vector search of the same query (CLIP embeds texts too).

    A SKU's score is `weight`·text + (1 − weight)·vector, a side that did not find it contributing 0.

    Raises:
        CatalogError: `weight` outside [0, 1].
    """
    if not 0.0 <= weight <= 1.0:
        raise CatalogError(f"merge weight must be within [0, 1], not {weight}")
    titles: dict[str, str] = {}
    scores: dict[str, float] = {}
    for matches, share in ((text_matches, weight), (vector_matches, 1.0 - weight)):
        for match in matches:
            titles.setdefault(match.sku, match.title)
            scores[match.sku] = scores.get(match.sku, 0.0) + share * match.score
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [Match(sku, titles[sku], score) for sku, score in ranked[:top_k]]


def _check_top_k(top_k: int) -> None:
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise CatalogError(f"top_k must be a positive integer, not {top_k!r}")


AUTO_FACTORY = "auto"
EXACT_BELOW = 50_000  # "auto" keeps exact search below this many vectors: it is fast enough and never misses


def auto_factory(vectors: int) -> str:
    """The factory string "auto" resolves to for an index of `vectors` vectors.

    Exact ("Flat") below 50 000 vectors; above, "IVF{nlist},Flat" with nlist the power of two nearest 4·√n
    (1024 at 100k, 4096 at 1M), which keeps both the coarse quantizer and the scanned lists small per query.
    """
    if vectors < EXACT_BELOW:
        return "Flat"
    return f"IVF{2 ** round(math.log2(4 * math.sqrt(vectors)))},Flat"


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise CatalogError(f"{name} must be a positive integer, not {value!r}")
    return int(value)


class CatalogIndex:
    """Product-image vectors (several per SKU) in a FAISS inner-product index, plus product metadata.

    Vectors are L2-normalised float32, so inner product is cosine similarity. Every vector has its own int64 id
    mapped to its SKU, so `update` and `delete` remove one product's vectors by id without renumbering or touching
    the others. Inverted-file indexes ("IVF...") keep the ids themselves (with a hash-table direct map, so they can
    remove and reconstruct by id); every other structure sits in an `IndexIDMap2`. Structures that cannot remove
    (HNSW, "...,RFlat") are re-filled from their own stored vectors on `update`/`delete`: O(n) reconstruction plus
    a full re-insert (for HNSW about as long as the first build), so prefer IVF for catalogs that change often.
    Use `create`, `from_vectors` or `load`, not the constructor.
    """

    def __init__(self, embedder_name: str, dim: int, faiss_index: Any, id_to_sku: dict[int, str],
                 products: dict[str, CatalogProduct], next_id: int, created_at: str | None = None,
                 text_options: BM25Options | None = None, factory: str = "Flat", nprobe: int = 16,
                 ef_search: int = 64, refine_k_factor: int = 4):
        self._embedder_name = embedder_name
        self._dim = dim
        self._faiss = faiss_index
        self._id_to_sku = id_to_sku
        self._products = products
        self._next_id = next_id
        self.created_at = created_at
        self._text_options = text_options
        self._factory = factory
        self._nprobe = nprobe
        self._ef_search = ef_search
        self._refine_k_factor = refine_k_factor
        self._sku_ids = self._ids_per_sku()
        self._most_photos: int | None = None  # max vectors of one SKU; None after a change (O(SKUs) to recount)
        self._text = TextIndex(products.values(), text_options)

    # -- construction -------------------------------------------------------------------------------------------

    @classmethod
    def create(cls, embedder_name: str, dim: int, factory: str = AUTO_FACTORY,
               text_options: BM25Options | None = None, nprobe: int = 16, ef_search: int = 64) -> "CatalogIndex":
        """An empty index for vectors of `dim` made by the embedder called `embedder_name`.

        `factory` is "auto" or a FAISS factory string ("Flat", "HNSW32", ...). An empty "auto" index is exact
        ("Flat"): the choice by size is made by `from_vectors`, which sees all the vectors. Structures that need
        training (IVF, PQ) cannot be filled by `add` alone: build them with `from_vectors`.

        Raises:
            CatalogError: An empty embedder name, a bad dimension or an unknown factory string.
        """
        if not isinstance(embedder_name, str) or not embedder_name.strip():
            raise CatalogError("an index needs the name of the embedder its vectors come from")
        dim = _positive_int("vector dimension", dim)
        resolved = "Flat" if factory == AUTO_FACTORY else factory
        faiss_index = faiss_structs.new_faiss(dim, resolved)
        return cls(embedder_name, dim, faiss_index, {}, {}, 0, text_options=text_options, factory=resolved,
                   nprobe=_positive_int("nprobe", nprobe), ef_search=_positive_int("ef_search", ef_search))

    @classmethod
    def from_vectors(cls, embedder_name: str, dim: int, vectors: np.ndarray, skus: Sequence[str],
                     products: Iterable[CatalogProduct], factory: str = AUTO_FACTORY, nprobe: int = 16,
                     seed: int = 0, ef_search: int = 64, text_options: BM25Options | None = None,
                     train_per_list: int = 64) -> "CatalogIndex":
        """An index of all `vectors` (row i belonging to `skus[i]`, ids 0..n-1) with `products` as metadata.

        "auto" resolves by the number of vectors (`auto_factory`). Structures that need training are trained on
        at most `train_per_list`·nlist vectors (capped at 256·nlist) drawn with `np.random.default_rng(seed)`, and
        FAISS's k-means uses `seed` too, so the same inputs always give the same index.

        Raises:
            CatalogError: Bad vectors or SKUs, an unknown factory string, or too few vectors to train it.
        """
        probe = cls.create(embedder_name, dim, "Flat", text_options, nprobe, ef_search)
        data = probe._as_vectors(vectors, "vectors to index")
        probe._check_skus(skus, len(data), "from_vectors()")
        resolved = auto_factory(len(data)) if factory == AUTO_FACTORY else factory
        faiss_index = faiss_structs.new_faiss(probe.dim, resolved)
        if not faiss_index.is_trained:
            per_list = min(_positive_int("train_per_list", train_per_list), 256)
            faiss_structs.train(faiss_index, data, resolved, seed, per_list)
        index = cls(probe.embedder_name, probe.dim, faiss_index, {}, {}, 0, text_options=text_options,
                    factory=resolved, nprobe=probe.nprobe, ef_search=probe.ef_search)
        index.add(data, skus)
        index.set_products(products)
        logger.info("built %s index of %d vectors (%d SKUs)", resolved, len(index), len(index.skus))
        return index

    def add(self, sku_vectors: np.ndarray, skus: Sequence[str]) -> np.ndarray:
        """Add one vector per row, row i belonging to `skus[i]`; returns the ids given to them.

        Raises:
            CatalogError: Wrong shape or dimension, non-finite values, as many SKUs as rows not given, or an
                untrained structure (build those with `from_vectors`).
        """
        vectors = self._as_vectors(sku_vectors, "vectors to add")
        self._check_skus(skus, len(vectors), "add()")
        if not self._faiss.is_trained:
            raise CatalogError(f"a {self._factory} index must be trained first: build it with "
                               "CatalogIndex.from_vectors")
        ids = np.arange(self._next_id, self._next_id + len(vectors), dtype=np.int64)
        if len(vectors):
            self._faiss.add_with_ids(vectors, ids)
        for vector_id, sku in zip(ids.tolist(), skus):
            self._id_to_sku[vector_id] = sku
            self._sku_ids.setdefault(sku, []).append(vector_id)
        self._most_photos = None
        self._next_id += len(vectors)
        return ids

    def update(self, sku_vectors: np.ndarray, skus: Sequence[str]) -> np.ndarray:
        """Add-or-replace: every SKU named in `skus` loses ALL its previous vectors and gets the given rows.

        Other SKUs keep their ids and vectors. Returns the new ids.

        Raises:
            CatalogError: As `add`; nothing is changed then.
        """
        vectors = self._as_vectors(sku_vectors, "vectors to update")
        self._check_skus(skus, len(vectors), "update()")
        self._remove_skus(set(skus))
        return self.add(vectors, skus)

    def delete(self, skus: Iterable[str]) -> int:
        """Remove these SKUs' vectors and products (unknown SKUs are ignored); returns the vectors removed."""
        names = {sku for sku in skus if isinstance(sku, str)}
        removed = self._remove_skus(names)
        if names & set(self._products):
            self._products = {sku: p for sku, p in self._products.items() if sku not in names}
            self._text = TextIndex(self._products.values(), self._text_options)
        return removed

    def upsert_products(self, products: Iterable[CatalogProduct]) -> None:
        """Add or replace the metadata of these products; the others stay as they are.

        Raises:
            CatalogError: The same SKU twice in `products`.
        """
        by_sku = self._unique_products(products, "upsert_products")
        self._products = {**self._products, **by_sku}
        # BM25 statistics (document frequencies, mean length) depend on every document, so the text index is
        # rebuilt; it holds titles and tags only and takes well under a second for 100k products.
        self._text = TextIndex(self._products.values(), self._text_options)

    def set_products(self, products: Iterable[CatalogProduct]) -> None:
        """Replace the product metadata (titles for results, text search) with `products`."""
        self._products = self._unique_products(products, "set_products")
        self._text = TextIndex(self._products.values(), self._text_options)

    @staticmethod
    def _unique_products(products: Iterable[CatalogProduct], caller: str) -> dict[str, CatalogProduct]:
        by_sku: dict[str, CatalogProduct] = {}
        for product in products:
            if product.sku in by_sku:
                raise CatalogError(f"duplicate sku {product.sku!r} in {caller}")
            by_sku[product.sku] = product
        return by_sku

    def _remove_skus(self, skus: set[str]) -> int:
        ids = [vector_id for sku in skus for vector_id in self._sku_ids.get(sku, ())]
        if not ids:
            return 0
        doomed = np.asarray(sorted(ids), dtype=np.int64)
        if faiss_structs.can_remove(self._faiss):
            removed = int(self._faiss.remove_ids(doomed))
            if removed != len(doomed):
                raise IndexCorrupt(f"FAISS removed {removed} of {len(doomed)} vectors; rebuild the index")
        else:
            self._refill_without(set(ids))
        self._most_photos = None
        for sku in skus:
            for vector_id in self._sku_ids.pop(sku, ()):
                del self._id_to_sku[vector_id]
        return len(ids)

    def _refill_without(self, doomed: set[int]) -> None:
        """Rebuild the FAISS structure from its own stored vectors minus `doomed`, keeping every id."""
        import faiss

        keep = np.asarray(sorted(i for i in self._id_to_sku if i not in doomed), dtype=np.int64)
        kept = self._faiss.reconstruct_batch(keep) if len(keep) else np.zeros((0, self._dim), np.float32)
        inner = faiss.clone_index(faiss.downcast_index(self._faiss.index))
        inner.reset()  # keeps the training (quantizers, codebooks), drops the vectors
        fresh = faiss.IndexIDMap2(inner)
        if len(keep):
            fresh.add_with_ids(np.ascontiguousarray(kept, dtype=np.float32), keep)
        logger.info("re-filled %s index without %d vectors (%d kept): it cannot remove in place",
                    self._factory, len(doomed), len(keep))
        self._faiss = fresh

    def _check_skus(self, skus: Sequence[str], rows: int, caller: str) -> None:
        if len(skus) != rows or any(not isinstance(s, str) or not s for s in skus):
            raise CatalogError(f"{caller} needs one non-empty SKU per vector: {rows} vectors, {len(skus)} SKUs")

    # -- queries -------------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._faiss.ntotal)

    @property
    def embedder_name(self) -> str:
        return self._embedder_name

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def skus(self) -> list[str]:
        """SKUs that have at least one vector, sorted."""
        return sorted(self._sku_ids)

    @property
    def factory(self) -> str:
        """The FAISS factory string of the structure ("Flat", "IVF1024,Flat", "HNSW32", ...)."""
        return self._factory

    @property
    def nprobe(self) -> int:
        """Inverted lists searched per query by IVF structures (saved with the index)."""
        return self._nprobe

    @property
    def ef_search(self) -> int:
        """Candidate list length of HNSW searches (saved with the index)."""
        return self._ef_search

    def vectors_of(self, sku: str) -> tuple[np.ndarray, np.ndarray]:
        """The ids (sorted) and stored vectors of `sku`; empty arrays when it has none.

        PQ structures store codes, so their vectors come back decoded (approximate), but the same every time.
        """
        ids = np.asarray(sorted(self._sku_ids.get(sku, ())), dtype=np.int64)
        if not len(ids):
            return ids, np.zeros((0, self._dim), dtype=np.float32)
        return ids, self._faiss.reconstruct_batch(ids)

    def product(self, sku: str) -> CatalogProduct:
        """The metadata of `sku`; CatalogError when the index does not know it."""
        try:
            return self._products[sku]
        except KeyError:
            raise CatalogError(f"no product {sku!r} in the catalog index") from None

    def check_embedder(self, name: str, dim: int | None = None) -> None:
        """Raise IndexMismatch unless queries from embedder `name` (of `dim`) fit this index."""
        if name != self._embedder_name or (dim is not None and dim != self._dim):
            raise IndexMismatch(
                f"the catalog index was built with embedder {self._embedder_name} (dim {self._dim}) but the "
                f"queries come from {name} (dim {dim if dim is not None else '?'}); rebuild the index with "
                "python -m catalog_index build using the same embedder settings"
            )

    def search(self, vectors: np.ndarray, top_k: int, nprobe: int | None = None) -> list[list[Match]]:
        """For each query row, up to `top_k` distinct products, best first; a product's score is its best photo's.

        `nprobe` overrides the saved one for this call (IVF structures; ignored by the others). Approximate
        structures may miss a product an exact search would find; scores are still exact cosines except for
        PQ without re-ranking.

        Raises:
            CatalogError: Queries of the wrong shape or dimension, non-finite values, a bad top_k or nprobe.
        """
        _check_top_k(top_k)
        probes = _positive_int("nprobe", self._nprobe if nprobe is None else nprobe)
        params = faiss_structs.search_params(self._faiss, probes, self._ef_search, self._refine_k_factor)
        queries = self._as_vectors(vectors, "query vectors")
        if len(queries) == 0:
            return []
        total = len(self)
        if total == 0:
            return [[] for _ in range(len(queries))]
        # Enough neighbours for top_k distinct SKUs when each has few photos; doubled while some row falls short.
        k = min(total, int(top_k) * max(2, min(self._max_per_sku(), 8)))
        while True:
            with faiss_structs.threads_for(len(queries)):
                scores, ids = self._faiss.search(queries, k, params=params)
            results = [self._aggregate(row_scores, row_ids, int(top_k)) for row_scores, row_ids in zip(scores, ids)]
            if k >= total or all(len(row) >= top_k for row in results):
                return results
            k = min(total, k * 2)

    def search_text(self, query: str, top_k: int) -> list[Match]:
        """Products whose title, description, tags or category share terms with `query`, best first (no model).

        Raises:
            CatalogError: An empty query or a bad top_k.
        """
        _check_top_k(top_k)
        if not isinstance(query, str) or not query.strip():
            raise CatalogError("the text query is empty")
        return [Match(sku, self._products[sku].title, score) for sku, score in self._text.search(query, int(top_k))]

    def _aggregate(self, scores: np.ndarray, ids: np.ndarray, top_k: int) -> list[Match]:
        # Results come sorted by score, so a SKU's first hit is its maximum over its vectors.
        seen: dict[str, Match] = {}
        for score, vector_id in zip(scores.tolist(), ids.tolist()):
            if vector_id < 0:
                break  # FAISS pads with -1 when k exceeds what it could return
            sku = self._id_to_sku[vector_id]
            if sku not in seen:
                product = self._products.get(sku)
                seen[sku] = Match(sku, product.title if product else sku, float(score))
                if len(seen) == top_k:
                    break
        return list(seen.values())

    def _as_vectors(self, vectors: np.ndarray, what: str) -> np.ndarray:
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim == 1 and array.shape[0] == self._dim:
            array = array[None, :]
        if array.ndim != 2 or array.shape[1] != self._dim:
            raise CatalogError(
                f"{what} must have shape (n, {self._dim}) for this index ({self._embedder_name}), got {array.shape}"
            )
        if not np.isfinite(array).all():
            raise CatalogError(f"{what} contain NaN or infinite values")
        # Re-normalising is cheap and keeps scores cosines even if a caller forgot; zero rows stay zero.
        norms = np.linalg.norm(array, axis=1, keepdims=True)
        return np.ascontiguousarray(array / np.maximum(norms, 1e-12), dtype=np.float32)

    def _ids_per_sku(self) -> dict[str, list[int]]:
        by_sku: dict[str, list[int]] = {}
        for vector_id, sku in self._id_to_sku.items():
            by_sku.setdefault(sku, []).append(vector_id)
        return by_sku

    def _max_per_sku(self) -> int:
        # Cached: recounting every SKU on every query made a single search O(catalog size).
        if self._most_photos is None:
            self._most_photos = max((len(ids) for ids in self._sku_ids.values()), default=1)
        return self._most_photos

    # -- persistence ---------------------------------------------------------------------------------------------

    def save(self, directory: str | Path, extras: dict[str, Any] | None = None) -> Path:
        """Write the index to `directory` atomically (replacing any index there); returns the directory.

        `extras` are additional JSON files (name → data) written inside the same swap, e.g. the build report.

        Raises:
            CatalogError: A vector's SKU has no product metadata (set_products was not given it).
        """
        import faiss

        unknown = sorted(set(self._sku_ids) - set(self._products))
        if unknown:
            raise CatalogError(f"vectors of {len(unknown)} SKU(s) without product metadata: {', '.join(unknown[:5])}")

        def fill(staging: Path) -> None:
            faiss.write_index(self._faiss, str(staging / files.INDEX_FILE))
            files.fsync_file(staging / files.INDEX_FILE)
            ids = {"next_id": self._next_id, "ids": [[i, sku] for i, sku in sorted(self._id_to_sku.items())]}
            files.write_json(staging / files.IDS_FILE, ids)
            files.write_json(staging / files.PRODUCTS_FILE, [p.to_dict() for p in self._products.values()])
            for name, data in (extras or {}).items():
                files.write_json(staging / name, data)
            self.created_at = files.now_iso()
            manifest = files.Manifest(
                format_version=files.FORMAT_VERSION,
                embedder=self._embedder_name,
                dim=self._dim,
                vectors=len(self),
                skus=len(self._sku_ids),
                created_at=self.created_at,
                index_sha256=files.sha256_file(staging / files.INDEX_FILE),
                files={name: files.sha256_file(staging / name) for name in (files.IDS_FILE, files.PRODUCTS_FILE)},
                factory=self._factory,
                nprobe=self._nprobe if faiss_structs.ivf_of(self._faiss) is not None else None,
                ef_search=self._ef_search if "HNSW" in self._factory else None,
                refine_k_factor=self._refine_k_factor if "RFlat" in self._factory else None,
            )
            # The manifest goes last: a directory holding one is complete.
            files.write_json(staging / files.MANIFEST_FILE, manifest.to_dict())

        target = files.write_atomically(Path(directory), fill)
        logger.info("saved catalog index (%d vectors, %d SKUs, %s) to %s",
                    len(self), len(self._sku_ids), self._embedder_name, target)
        return target

    @classmethod
    def load(cls, directory: str | Path, expected_embedder: str | None = None, expected_dim: int | None = None,
             text_options: BM25Options | None = None) -> "CatalogIndex":
        """The index saved in `directory`, after checking its manifest, checksums and internal consistency.

        Raises:
            IndexNotFound: Nothing was built at `directory`.
            IndexMismatch: It was built by another embedder than `expected_embedder` or for another dimension.
            IndexCorrupt: A file is missing, altered or inconsistent with the others.
        """
        import faiss

        directory = Path(directory)
        manifest = files.read_manifest(directory)
        # Before hashing anything: a mismatch is the likelier problem and the cheaper check.
        if (expected_embedder is not None and manifest.embedder != expected_embedder) or (
            expected_dim is not None and manifest.dim != expected_dim
        ):
            raise IndexMismatch(
                f"catalog index {directory} was built with embedder {manifest.embedder} (dim {manifest.dim}) but "
                f"{expected_embedder or manifest.embedder} (dim {expected_dim or manifest.dim}) was expected; "
                "rebuild it with python -m catalog_index build using the embedder you serve"
            )
        files.verify(directory, manifest)
        try:
            faiss_index = faiss.read_index(str(directory / files.INDEX_FILE))
        except RuntimeError as exc:
            raise IndexCorrupt(f"catalog index {directory}: FAISS cannot read {files.INDEX_FILE} ({exc})") from None
        ids_data = files.read_json(directory, files.IDS_FILE)
        products_data = files.read_json(directory, files.PRODUCTS_FILE)
        try:
            id_to_sku = {int(i): str(sku) for i, sku in ids_data["ids"]}
            next_id = int(ids_data["next_id"])
            products = {p.sku: p for p in (CatalogProduct.from_dict(item) for item in products_data)}
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorrupt(f"catalog index {directory}: malformed sidecar ({exc!r}); rebuild it") from None
        problems = []
        if faiss_index.d != manifest.dim:
            problems.append(f"FAISS dimension {faiss_index.d} ≠ manifest {manifest.dim}")
        if faiss_index.ntotal != manifest.vectors or len(id_to_sku) != manifest.vectors:
            problems.append(f"{faiss_index.ntotal} vectors and {len(id_to_sku)} ids, manifest says {manifest.vectors}")
        if set(id_to_sku.values()) - set(products):
            problems.append("ids refer to SKUs missing from products.json")
        if problems:
            raise IndexCorrupt(f"catalog index {directory} is inconsistent: {'; '.join(problems)}; rebuild it")
        logger.info("loaded catalog index %s (%d vectors, %s)", directory, manifest.vectors, manifest.embedder)
        return cls(manifest.embedder, manifest.dim, faiss_index, id_to_sku, products, next_id,
                   created_at=manifest.created_at, text_options=text_options, factory=manifest.factory,
                   nprobe=manifest.nprobe or 16, ef_search=manifest.ef_search or 64,
                   refine_k_factor=manifest.refine_k_factor or 4)
