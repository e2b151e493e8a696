"""The batch job that builds a catalog index: plan → decode photos (threads) → embed into checkpoint shards → write.

Each stage is a plain function, so another runner (`ray_build`, on Ray Data) can drive the same reader and writer;
`build_index` is the in-process, resumable runner and `update_index` re-embeds a few products of a published index.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np
from PIL import Image

from catalog_index.catalog import CatalogProduct, read_catalog
from catalog_index.errors import CatalogError
from catalog_index.index import CatalogIndex
from catalog_index.index_files import REPORT_FILE
from catalog_index.shards import Shard, ShardStore, plan_fingerprint
from media.image import for_embedding, read_image_file

if TYPE_CHECKING:
    from models.types import Embedder

logger = logging.getLogger("kefu.catalog_index")


@dataclass(frozen=True)
class ImageJob:
    """One photo to embed.

    Attributes:
        sku: The product it shows.
        path: Where it is.
    """

    sku: str
    path: Path


@dataclass(frozen=True)
class SkippedImage:
    """A photo left out of the index.

    Attributes:
        sku: The product it belongs to.
        path: The file.
        reason: Why ("missing file", "cannot decode: ...").
    """

    sku: str
    path: str
    reason: str


@dataclass(frozen=True)
class BuildReport:
    """What a build did, also written as build_report.json into the version it published.

    Attributes:
        catalog: The catalog file read.
        index_dir: The index root the version was published into.
        embedder: Name of the embedder used.
        products: Products indexed (with at least one embedded photo).
        images: Photos embedded (resumed ones included).
        skipped: Photos that could not be used.
        skipped_products: SKUs left out because none of their photos could be used.
        seconds: Wall time of this run up to the publish: planning, decoding, embedding, shards, index construction.
        images_per_second: Photos embedded by this run (resumed ones not counted) per second of `seconds`.
        resumed_images: Plan entries whose shard was loaded from an interrupted earlier run instead of recomputed.
        shards: Number of checkpoint shards of the plan.
        factory: The FAISS factory asked for ("auto" or a factory string).
        version: The version folder published ("v000003"); empty in the copy written inside that folder.
    """

    catalog: str
    index_dir: str
    embedder: str
    products: int
    images: int
    skipped: tuple[SkippedImage, ...]
    skipped_products: tuple[str, ...]
    seconds: float
    images_per_second: float
    resumed_images: int = 0
    shards: int = 0
    factory: str = "auto"
    version: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped"] = [asdict(s) for s in self.skipped]
        data["skipped_products"] = list(self.skipped_products)
        return data


def image_jobs(products: Iterable[CatalogProduct]) -> list[ImageJob]:
    """Reader stage: every photo of every product, in catalog order."""
    return [ImageJob(product.sku, path) for product in products for path in product.images]


def load_image(path: Path) -> Image.Image:
    """A catalog photo as the embedder is given it: decoded as an uploaded photo is, then bounded in size.

    Raises:
        OSError, MediaError: Missing, undecodable or absurdly large file.
    """
    return for_embedding(read_image_file(path))


def try_load(job: ImageJob) -> tuple[ImageJob, Image.Image | None, str]:
    """(job, its decoded photo, "") or (job, None, why it cannot be used); never raises for a bad file."""
    if not job.path.is_file():
        return job, None, "missing file"
    try:
        return job, load_image(job.path), ""
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        # Pillow reports truncated or foreign data as OSError/SyntaxError/ValueError depending on the codec.
        return job, None, f"cannot decode: {exc}"


def decode_images(jobs: Iterable[ImageJob], workers: int = 2,
                  prefetch: int = 64) -> Iterator[tuple[ImageJob, Image.Image | None, str]]:
    """Decode stage: (job, image or None, reason) in job order, decoding up to `prefetch` photos ahead.

    Decoding runs in threads (Pillow releases the GIL) while the caller embeds the previous batch; the window is
    bounded, unlike `Executor.map`, which would submit and hold every photo of a big catalog at once.
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kefu-decode") as pool:
        pending: deque[Future] = deque()
        for job in jobs:
            pending.append(pool.submit(try_load, job))
            if len(pending) >= prefetch:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@dataclass(frozen=True)
class UpdateReport:
    """What `update_index` did.

    Attributes:
        index_dir: The index root.
        version: The version it published.
        updated: SKUs whose vectors were replaced (or added) and whose product data was upserted.
        vectors: Vectors those SKUs now have in total.
        skipped: Photos that could not be used.
        skipped_products: SKUs of the changes file left as they were because none of their photos could be used.
    """

    index_dir: str
    version: str
    updated: tuple[str, ...]
    vectors: int
    skipped: tuple[SkippedImage, ...]
    skipped_products: tuple[str, ...]


def embed_shard(number: int, start: int, count: int, decoded: Iterator[tuple[ImageJob, Image.Image | None, str]],
                embedder: "Embedder", batch_size: int, bar: Any = None) -> Shard:
    """Embed stage: the next `count` decoded photos as shard `number` (plan entries start … start+count−1).

    Batches restart at the shard's first entry, so a shard's vectors are the same whether or not the build was
    interrupted before it (the same photos always meet in the same forward passes).
    """
    ok = np.zeros(count, dtype=bool)
    reasons = [""] * count
    parts: list[np.ndarray] = []
    batch: list[Image.Image] = []
    for offset in range(count):
        _job, image, reason = next(decoded)
        if image is None:
            reasons[offset] = reason
            if bar is not None:
                bar.update(1)
        else:
            ok[offset] = True
            batch.append(image)
        if len(batch) == batch_size or (offset == count - 1 and batch):
            parts.append(np.asarray(embedder.embed_images(batch), dtype=np.float32))
            if bar is not None:
                bar.update(len(batch))
            batch = []
    vectors = np.concatenate(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)
    return Shard(number, np.arange(start, start + count, dtype=np.int64), ok, tuple(reasons), vectors)


def collect(jobs: list[ImageJob], shards: Iterable[Shard]) -> tuple[np.ndarray, list[str], list[SkippedImage]]:
    """Writer's input: the shards' vectors and their SKUs in plan order, and the photos skipped."""
    parts: list[np.ndarray] = []
    skus: list[str] = []
    skipped: list[SkippedImage] = []
    for shard in shards:
        parts.append(shard.vectors)
        for entry, ok, reason in zip(shard.entries.tolist(), shard.ok.tolist(), shard.reasons):
            job = jobs[entry]
            if ok:
                skus.append(job.sku)
            else:
                logger.warning("skipping %s image %s: %s", job.sku, job.path, reason)
                skipped.append(SkippedImage(job.sku, str(job.path), reason))
    vectors = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    return vectors, skus, skipped


def write_index(catalog_path: Path, out_root: Path, products: list[CatalogProduct], jobs: list[ImageJob],
                shards: Iterable[Shard], embedder_name: str, dim: int, factory: str, started: float,
                resumed: int = 0, fresh: int | None = None, shard_count: int = 1) -> BuildReport:
    """Writer stage: one index from the shards (plan order), published as the next version of `out_root`.

    `resumed` plan entries came from an earlier run and `fresh` photos were embedded by this one (default: all).

    Raises:
        CatalogError: Not one usable photo in the whole catalog.
    """
    from catalog_index.versions import IndexRoot

    vectors, skus, skipped = collect(jobs, shards)
    if not skus:
        raise CatalogError(f"none of the {len(jobs)} catalog images could be read; nothing to index", path=catalog_path)
    embedded = set(skus)
    left_out = tuple(p.sku for p in products if p.sku not in embedded)
    for sku in left_out:
        logger.warning("product %s left out of the index: none of its images could be read", sku)
    index = CatalogIndex.from_vectors(embedder_name, dim, vectors, skus, [p for p in products if p.sku in embedded],
                                      factory=factory)
    seconds = time.perf_counter() - started
    computed = len(skus) if fresh is None else fresh
    report = BuildReport(
        catalog=str(catalog_path.absolute()),
        index_dir=str(out_root.absolute()),
        embedder=embedder_name,
        products=len(embedded),
        images=len(skus),
        skipped=tuple(skipped),
        skipped_products=left_out,
        seconds=round(seconds, 3),
        images_per_second=round(computed / seconds, 2) if seconds > 0 else 0.0,
        resumed_images=resumed,
        shards=shard_count,
        factory=factory,
    )
    version = IndexRoot(out_root).publish(index, extras={REPORT_FILE: report.to_dict()})
    logger.info("indexed %d products (%d images, %d skipped, %d resumed) in %.1fs, %.1f images/s: %s %s",
                report.products, report.images, len(skipped), resumed, seconds, report.images_per_second,
                out_root, version)
    return replace(report, version=version)


def build_index(catalog_path: str | Path, out_root: str | Path, embedder: "Embedder", batch_size: int = 16,
                workers: int = 2, shard_size: int = 512, work_dir: str | Path | None = None, progress: bool = True,
                factory: str = "auto") -> BuildReport:
    """Embed every photo of a catalog with `embedder` and publish the index as a new version of `out_root`.

    The photos are embedded shard by shard (`shard_size` plan entries each) into `work_dir` (default
    `<out_root>/.build`); a build that was killed resumes from the shards on disk when run again with the same
    catalog file, embedder and batching, and recomputes everything otherwise. The work directory is removed
    once the version is published. Photos that are missing or undecodable are skipped and listed in the report;
    products none of whose photos could be used are left out of the index (and of its text search) and listed too.

    Raises:
        CatalogError: A bad catalog, bad options, or not one usable photo in the whole catalog.
    """
    for name, value in (("batch_size", batch_size), ("workers", workers), ("shard_size", shard_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CatalogError(f"{name} must be a positive integer, not {value!r}")
    check_factory(factory, embedder.name, embedder.dim)
    started = time.perf_counter()
    catalog_path, out_root = Path(catalog_path), Path(out_root)
    products = read_catalog(catalog_path)
    jobs = image_jobs(products)
    root_existed = out_root.exists()
    store = ShardStore(work_dir if work_dir is not None else out_root / ".build")
    store.open(plan_fingerprint(catalog_path, embedder.name, embedder.dim, batch_size, shard_size), len(jobs))
    count = math.ceil(len(jobs) / shard_size)
    ranges = [(k * shard_size, min(len(jobs), (k + 1) * shard_size)) for k in range(count)]
    shards: list[Shard | None] = [None] * count
    for k in store.done():
        if k < count:
            shards[k] = store.load(k, np.arange(*ranges[k], dtype=np.int64), embedder.dim)
    resumed = sum(len(s.entries) for s in shards if s is not None)
    if resumed:
        logger.info("resuming the build from %d shard(s) (%d images) in %s",
                    sum(s is not None for s in shards), resumed, store.work_dir)
    pending = [k for k in range(count) if shards[k] is None]
    fresh = 0
    bar = _progress(len(jobs), resumed, progress)
    # One decode stream across every pending shard keeps the threads decoding the next shard's first batch
    # while the last batch of the current one embeds.
    decoded = decode_images((jobs[i] for k in pending for i in range(*ranges[k])), workers=workers,
                            prefetch=max(2 * batch_size, 4 * workers))
    try:
        for k in pending:
            start, end = ranges[k]
            shard = embed_shard(k, start, end - start, decoded, embedder, batch_size, bar)
            store.save(shard)
            shards[k] = shard
            fresh += len(shard.vectors)
    finally:
        decoded.close()
        if bar is not None:
            bar.close()
    if not any(s.ok.any() for s in shards if s is not None):
        # Not one usable photo: the shards would only reproduce the same failure.
        store.remove()
        if not root_existed and out_root.is_dir() and not any(out_root.iterdir()):
            out_root.rmdir()
        raise CatalogError(f"none of the {len(jobs)} catalog images could be read; nothing to index", path=catalog_path)
    # Any other failure from here on (training an IVF on too few vectors...) keeps the shards for the next try.
    report = write_index(catalog_path, out_root, products, jobs, [s for s in shards if s is not None],
                         embedder.name, embedder.dim, factory, started, resumed, fresh, count)
    store.remove()
    return report


def check_factory(factory: str, embedder_name: str, dim: int) -> None:
    """Raise CatalogError for an unknown FAISS factory string before any photo is embedded."""
    if not isinstance(factory, str) or not factory.strip():
        raise CatalogError(f"factory must be 'auto' or a FAISS factory string, not {factory!r}")
    CatalogIndex.create(embedder_name, dim, factory)


def update_index(catalog_path: str | Path, index_root: str | Path, embedder: "Embedder", batch_size: int = 16,
                 workers: int = 2) -> UpdateReport:
    """Re-embed the products of a (partial) catalog file and publish them into the index at `index_root`.

    Every SKU of the file with at least one usable photo has all its previous vectors replaced by the new ones
    and its product data replaced; other SKUs are untouched. SKUs none of whose photos could be used are left
    as they were and listed in the report.

    Raises:
        CatalogError: A bad catalog or options, no usable photo at all, or the index was built by another embedder.
        IndexNotFound: Nothing published at `index_root` yet.
    """
    from catalog_index.versions import IndexRoot

    for name, value in (("batch_size", batch_size), ("workers", workers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CatalogError(f"{name} must be a positive integer, not {value!r}")
    catalog_path, index_root = Path(catalog_path), Path(index_root)
    root = IndexRoot(index_root)
    index = root.load(expected_embedder=embedder.name, expected_dim=embedder.dim)
    products = read_catalog(catalog_path)
    jobs = image_jobs(products)
    decoded = decode_images(jobs, workers=workers, prefetch=max(2 * batch_size, 4 * workers))
    try:
        shard = embed_shard(0, 0, len(jobs), decoded, embedder, batch_size)
    finally:
        decoded.close()
    vectors, skus, skipped = collect(jobs, [shard])
    if not skus:
        raise CatalogError(f"none of the {len(jobs)} images of the changes could be read; nothing updated",
                           path=catalog_path)
    embedded = set(skus)
    left_out = tuple(p.sku for p in products if p.sku not in embedded)
    for sku in left_out:
        logger.warning("product %s left as it was: none of its new images could be read", sku)
    index.update(vectors, skus)
    index.upsert_products([p for p in products if p.sku in embedded])
    version = root.publish(index)
    updated = tuple(p.sku for p in products if p.sku in embedded)
    logger.info("updated %d product(s) (%d vectors) in %s: %s", len(updated), len(skus), index_root, version)
    return UpdateReport(str(index_root.absolute()), version, updated, len(skus), tuple(skipped), left_out)


def _progress(total: int, resumed: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    # `initial` makes tqdm's rate and ETA count only this run's images; the postfix says how many were resumed.
    bar = tqdm(total=total, initial=resumed, unit="img", desc="embedding catalog", dynamic_ncols=True)
    if resumed:
        bar.set_postfix_str(f"{resumed} resumed")
    return bar
