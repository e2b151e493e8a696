"""The catalog build on Ray Data: the same plan and writer as `build`, decoding and embedding as Ray Data stages.

plan entries → `map_batches(decode)` (CPU tasks) → `map_batches(EmbedActor)` (actors, one GPU each when there are
GPUs) → rows collected in plan order → `build.write_index`. It does not checkpoint shards: Ray retries failed
tasks itself, and a cluster job that dies is rerun whole.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from catalog_index.build import BuildReport, image_jobs, try_load, write_index
from catalog_index.catalog import read_catalog
from catalog_index.errors import CatalogError
from catalog_index.shards import Shard

if TYPE_CHECKING:
    from models.embedder.base import EmbedderConfig

logger = logging.getLogger("kefu.catalog_index")


def decode(batch: dict[str, np.ndarray]) -> dict[str, Any]:
    """Ray Data stage: the photos of a batch of plan entries as HWC uint8 arrays (1×1 placeholder when unusable)."""
    from catalog_index.build import ImageJob

    pixels, ok, reasons = [], [], []
    for sku, path in zip(batch["sku"].tolist(), batch["path"].tolist()):
        _job, image, reason = try_load(ImageJob(sku, Path(path)))
        ok.append(image is not None)
        reasons.append(reason)
        pixels.append(np.asarray(image) if image is not None else np.zeros((1, 1, 3), dtype=np.uint8))
    out = np.empty(len(pixels), dtype=object)
    out[:] = pixels  # a ragged column: photos keep their own sizes, as in the local build
    return {"entry": batch["entry"], "ok": np.asarray(ok), "reason": np.asarray(reasons, dtype=object),
            "pixels": out}


class EmbedActor:
    """Ray Data actor: builds the embedder from an `EmbedderConfig` once, then embeds batches of decoded photos."""

    def __init__(self, config: "EmbedderConfig"):
        from models import load_embedder

        self.embedder = load_embedder(config)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        from PIL import Image

        ok = np.asarray(batch["ok"], dtype=bool)
        vectors = np.zeros((len(ok), self.embedder.dim), dtype=np.float32)
        images = [Image.fromarray(np.asarray(p, dtype=np.uint8), "RGB") for p, good in zip(batch["pixels"], ok) if good]
        if images:
            vectors[ok] = self.embedder.embed_images(images)
        return {"entry": batch["entry"], "ok": ok, "reason": batch["reason"], "vector": vectors,
                "embedder": np.asarray([self.embedder.name] * len(ok), dtype=object)}


def build_index_ray(catalog_path: str | Path, out_root: str | Path, config: "EmbedderConfig", batch_size: int = 16,
                    concurrency: int = 1, factory: str = "auto", decode_batch_size: int = 64) -> BuildReport:
    """Build and publish the index of a catalog like `build.build_index`, on Ray Data (starts a local Ray if none).

    Raises:
        CatalogError: A bad catalog, bad options, or not one usable photo in the whole catalog.
    """
    import ray

    for name, value in (("batch_size", batch_size), ("concurrency", concurrency),
                        ("decode_batch_size", decode_batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CatalogError(f"{name} must be a positive integer, not {value!r}")
    if not isinstance(factory, str) or not factory.strip():
        raise CatalogError(f"factory must be 'auto' or a FAISS factory string, not {factory!r}")
    started = time.perf_counter()
    catalog_path, out_root = Path(catalog_path), Path(out_root)
    products = read_catalog(catalog_path)
    jobs = image_jobs(products)
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False)
    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    items = [{"entry": i, "sku": job.sku, "path": str(job.path)} for i, job in enumerate(jobs)]
    dataset = (
        ray.data.from_items(items)
        .map_batches(decode, batch_size=decode_batch_size, batch_format="numpy")
        .map_batches(EmbedActor, fn_constructor_args=(config,), concurrency=concurrency, batch_size=batch_size,
                     num_gpus=gpus, batch_format="numpy")
    )
    count = len(jobs)
    ok = np.zeros(count, dtype=bool)
    reasons = [""] * count
    vectors: np.ndarray | None = None
    embedder_name = ""
    seen = 0
    for batch in dataset.iter_batches(batch_size=256, batch_format="numpy"):
        entries = np.asarray(batch["entry"], dtype=np.int64)
        if vectors is None:
            vectors = np.zeros((count, np.asarray(batch["vector"]).shape[1]), dtype=np.float32)
        vectors[entries] = np.asarray(batch["vector"], dtype=np.float32)
        ok[entries] = np.asarray(batch["ok"], dtype=bool)
        for entry, reason in zip(entries.tolist(), batch["reason"].tolist()):
            reasons[entry] = str(reason)
        embedder_name = embedder_name or str(batch["embedder"][0])
        seen += len(entries)
    if vectors is None or seen != count:
        raise CatalogError(f"the Ray pipeline returned {seen} of the {count} planned photos", path=catalog_path)
    # Rows come back in whatever order the actors finished: placing them by entry restores the plan order.
    shard = Shard(0, np.arange(count, dtype=np.int64), ok, tuple(reasons), vectors[ok])
    return write_index(catalog_path, out_root, products, jobs, [shard], embedder_name, vectors.shape[1], factory,
                       started)
