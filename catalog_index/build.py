"""The batch job that builds a catalog index: read the catalog → decode photos (thread pool) → embed → write.

Each stage is a plain function over iterators, so another runner (Ray Data, a resumable job) can drive the
same stages; `build_index` is the in-process runner.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np
from PIL import Image

from catalog_index.catalog import CatalogProduct, read_catalog
from catalog_index.errors import CatalogError
from catalog_index.index import CatalogIndex
from catalog_index.index_files import REPORT_FILE

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
    """What a build did, also written as build_report.json in the index directory.

    Attributes:
        catalog: The catalog file read.
        index_dir: Where the index was written.
        embedder: Name of the embedder used.
        products: Products indexed (with at least one embedded photo).
        images: Photos embedded.
        skipped: Photos that could not be used.
        skipped_products: SKUs left out because none of their photos could be used.
        seconds: Wall time of reading, decoding and embedding (before the save).
        images_per_second: `images` / `seconds`.
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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped"] = [asdict(s) for s in self.skipped]
        data["skipped_products"] = list(self.skipped_products)
        return data


def image_jobs(products: Iterable[CatalogProduct]) -> list[ImageJob]:
    """Reader stage: every photo of every product, in catalog order."""
    return [ImageJob(product.sku, path) for product in products for path in product.images]


def load_image(path: Path, size: int = 448) -> Image.Image:
    """An RGB image whose shorter side is about `size` or more (large JPEGs are decoded at reduced scale).

    Raises:
        OSError, ValueError, Image.DecompressionBombError: Missing, undecodable or absurdly large file.
    """
    with Image.open(path) as image:
        if image.format == "JPEG":
            # DCT-domain downscaling (1/2, 1/4, 1/8) keeps at least `size` on both sides and decodes ~3x faster.
            image.draft("RGB", (size, size))
        rgb = image.convert("RGB")
    shorter = min(rgb.size)
    if shorter > 2 * size:
        # The embedder resizes to ~224 anyway; smaller decoded photos keep the prefetch queue's memory bounded.
        scale = 2 * size / shorter
        rgb = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
                         Image.Resampling.BICUBIC, reducing_gap=2.0)
    return rgb


def _try_load(job: ImageJob, size: int) -> tuple[ImageJob, Image.Image | None, str]:
    if not job.path.is_file():
        return job, None, "missing file"
    try:
        return job, load_image(job.path, size), ""
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        # Pillow reports truncated or foreign data as OSError/SyntaxError/ValueError depending on the codec.
        return job, None, f"cannot decode: {exc}"


def decode_images(jobs: Iterable[ImageJob], workers: int = 2, prefetch: int = 64,
                  size: int = 448) -> Iterator[tuple[ImageJob, Image.Image | None, str]]:
    """Decode stage: (job, image or None, reason) in job order, decoding up to `prefetch` photos ahead.

    Decoding runs in threads (Pillow releases the GIL) while the caller embeds the previous batch; the window is
    bounded, unlike `Executor.map`, which would submit and hold every photo of a big catalog at once.
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kefu-decode") as pool:
        pending: deque[Future] = deque()
        for job in jobs:
            pending.append(pool.submit(_try_load, job, size))
            if len(pending) >= prefetch:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def embed_batches(decoded: Iterable[tuple[ImageJob, Image.Image | None, str]], embedder: "Embedder",
                  batch_size: int, skipped: list[SkippedImage]) -> Iterator[tuple[list[str], np.ndarray]]:
    """Embed stage: (skus, vectors) per batch of decoded photos; photos that failed to decode go to `skipped`."""
    skus: list[str] = []
    images: list[Image.Image] = []
    for job, image, reason in decoded:
        if image is None:
            logger.warning("skipping %s image %s: %s", job.sku, job.path, reason)
            skipped.append(SkippedImage(job.sku, str(job.path), reason))
            continue
        skus.append(job.sku)
        images.append(image)
        if len(images) == batch_size:
            yield skus, embedder.embed_images(images)
            skus, images = [], []
    if images:
        yield skus, embedder.embed_images(images)


def build_index(catalog_path: str | Path, out_dir: str | Path, embedder: "Embedder", batch_size: int = 16,
                workers: int = 2, progress: bool = True) -> BuildReport:
    """Build the index of a catalog's photos with `embedder` and save it to `out_dir` (replacing any there).

    Photos that are missing or undecodable are skipped and listed in the report; products none of whose photos
    could be used are left out of the index (and of its text search) and listed too.

    Raises:
        CatalogError: A bad catalog, bad options, or not one usable photo in the whole catalog.
    """
    for name, value in (("batch_size", batch_size), ("workers", workers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CatalogError(f"{name} must be a positive integer, not {value!r}")
    started = time.perf_counter()
    catalog_path = Path(catalog_path)
    products = read_catalog(catalog_path)
    jobs = image_jobs(products)
    index = CatalogIndex.create(embedder.name, embedder.dim)
    skipped: list[SkippedImage] = []
    bar = _progress(len(jobs), progress)
    try:
        decoded = decode_images(jobs, workers=workers, prefetch=max(2 * batch_size, 4 * workers))
        for skus, vectors in embed_batches(decoded, embedder, batch_size, skipped):
            index.add(vectors, skus)
            if bar is not None:
                bar.update(len(skus))
    finally:
        if bar is not None:
            bar.close()
    embedded = set(index.skus)
    if not embedded:
        raise CatalogError(f"none of the {len(jobs)} catalog images could be read; nothing to index", path=catalog_path)
    left_out = tuple(p.sku for p in products if p.sku not in embedded)
    for sku in left_out:
        logger.warning("product %s left out of the index: none of its images could be read", sku)
    index.set_products(p for p in products if p.sku in embedded)
    seconds = time.perf_counter() - started
    report = BuildReport(
        catalog=str(catalog_path.absolute()),
        index_dir=str(Path(out_dir).absolute()),
        embedder=embedder.name,
        products=len(embedded),
        images=len(index),
        skipped=tuple(skipped),
        skipped_products=left_out,
        seconds=round(seconds, 3),
        images_per_second=round(len(index) / seconds, 2) if seconds > 0 else 0.0,
    )
    index.save(out_dir, extras={REPORT_FILE: report.to_dict()})
    logger.info("indexed %d products (%d images, %d skipped) in %.1fs, %.1f images/s",
                report.products, report.images, len(skipped), seconds, report.images_per_second)
    return report


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="img", desc="embedding catalog", dynamic_ncols=True)
