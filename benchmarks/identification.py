"""Top-1 product identification accuracy of the demo catalog under shopper-photo perturbations and in short videos."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageEnhance

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from catalog_index.build import build_index  # noqa: E402
from catalog_index.catalog import read_catalog  # noqa: E402
from catalog_index.versions import open_index  # noqa: E402
from catalog_index.video import identify_video  # noqa: E402
from models import load_embedder  # noqa: E402
from models.embedder.base import EmbedderConfig  # noqa: E402
from media.image import decode_image
from media.video import decode_video_frames  # noqa: E402

logger = logging.getLogger("kefu.benchmarks")
CATALOG = ROOT / "catalog_index" / "demo" / "catalog.csv"
IMAGES = CATALOG.parent / "images"
PERTURBATIONS = ("clean", "crop", "rotation", "colour", "jpeg", "background", "combined")


@dataclass
class Options:
    """What one run measures.

    Attributes:
        seeds: Random perturbations drawn per catalog image and perturbation kind.
        products: How many catalog products to test (0: all).
        video_frames: Frames sampled per video (the serving default is 12).
        out: Folder for identification.json and identification.png.
    """

    seeds: int = 5
    products: int = 0
    video_frames: int = 12
    out: Path = ROOT / "benchmarks" / "results"


def backgrounds() -> list[Image.Image]:
    """Busy textures and photos that ship inside scikit-image (nothing is downloaded)."""
    from skimage import data

    found = []
    for name in ("brick", "grass", "gravel", "coffee", "chelsea", "astronaut", "rocket", "camera"):
        try:
            found.append(Image.fromarray(getattr(data, name)()).convert("RGB"))
        except Exception as exc:  # noqa: BLE001 - a missing sample only narrows the choice
            logger.info("skimage sample %s unavailable: %s", name, exc)
    return found


def perturb(image: Image.Image, kind: str, rng: np.random.Generator, scenes: list[Image.Image]) -> Image.Image:
    if kind == "clean":
        return image
    if kind == "combined":
        for step in ("background", "crop", "rotation", "colour", "jpeg"):
            image = perturb(image, step, rng, scenes)
        return image
    w, h = image.size
    if kind == "crop":
        share = rng.uniform(0.70, 0.90)
        cw, ch = int(w * share), int(h * share)
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        return image.crop((x, y, x + cw, y + ch))
    if kind == "rotation":
        return image.rotate(float(rng.uniform(-15, 15)), resample=Image.BICUBIC, fillcolor=(255, 255, 255))
    if kind == "colour":
        hsv = np.asarray(image.convert("HSV")).astype(np.int16)
        hsv[..., 0] = (hsv[..., 0] + int(rng.integers(-12, 13))) % 256  # about ±17° of hue
        image = Image.fromarray(hsv.astype(np.uint8), "HSV").convert("RGB")
        image = ImageEnhance.Color(image).enhance(float(rng.uniform(0.6, 1.4)))
        return ImageEnhance.Brightness(image).enhance(float(rng.uniform(0.7, 1.3)))
    if kind == "jpeg":
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=int(rng.integers(30, 61)))
        return decode_image(buf.getvalue())
    if kind == "background":
        scene = scenes[int(rng.integers(len(scenes)))].resize((w, h))
        share = rng.uniform(0.5, 0.8)
        small = image.resize((int(w * share), int(h * share)))
        x, y = int(rng.integers(0, w - small.width + 1)), int(rng.integers(0, h - small.height + 1))
        scene = scene.copy()
        scene.paste(small, (x, y))
        return scene
    raise ValueError(f"unknown perturbation {kind}")


def zoom_pan_video(image: Image.Image, rng: np.random.Generator, seconds: float = 3.0, fps: int = 10,
                   size: int = 320) -> bytes:
    """A hand-held clip of one product: zooming in by 10-30 % while panning towards a random corner."""
    base = image.convert("RGB").resize((size, size))
    zoom = rng.uniform(0.10, 0.30)
    dx, dy = rng.uniform(-1, 1, 2)
    buf = io.BytesIO()
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = size, size, "yuv420p"
        count = int(seconds * fps)
        for i in range(count):
            t = i / max(count - 1, 1)
            side = size * (1 - zoom * t)
            cx = size / 2 + dx * (size - side) / 2 * t
            cy = size / 2 + dy * (size - side) / 2 * t
            frame = base.crop((cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)).resize((size, size))
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def run(options: Options) -> dict:
    embedder = load_embedder(EmbedderConfig(backend="efficientnet", model="efficientnet-lite0", device="cpu"))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        build_index(CATALOG, Path(tmp) / "index", embedder, progress=False)
        index = open_index(Path(tmp) / "index")
        build_s = time.perf_counter() - started
    skus = [p.sku for p in read_catalog(CATALOG)]
    skus = [s for s in skus if (IMAGES / f"{s}.jpg").is_file()]
    if options.products:
        skus = skus[: options.products]
    scenes = backgrounds()
    photos = {sku: Image.open(IMAGES / f"{sku}.jpg").convert("RGB") for sku in skus}

    accuracy: dict[str, float] = {}
    for kind in PERTURBATIONS:
        seeds = 1 if kind == "clean" else options.seeds
        queries, truth = [], []
        for n, sku in enumerate(skus):
            for seed in range(seeds):
                rng = np.random.default_rng([seed, n, PERTURBATIONS.index(kind)])
                queries.append(perturb(photos[sku], kind, rng, scenes))
                truth.append(sku)
        hits = [m[0].sku == t if m else False for m, t in zip(index.search(embedder.embed_images(queries), 1), truth)]
        accuracy[kind] = float(np.mean(hits))
        logger.info("%-10s top-1 %.3f over %d queries", kind, accuracy[kind], len(hits))

    video_hits, frames_used = [], []
    for n, sku in enumerate(skus):
        clip = zoom_pan_video(photos[sku], np.random.default_rng([n, 99]))
        frames = decode_video_frames(clip, max_frames=options.video_frames, max_seconds=60)
        vectors = embedder.embed_images([picture for _, picture in frames])
        voted = identify_video([t for t, _ in frames], vectors, index.search, top_k=3)
        video_hits.append(bool(voted) and voted[0].sku == sku)
        frames_used.append(len(frames))
    accuracy["video"] = float(np.mean(video_hits))
    logger.info("video      top-1 %.3f over %d videos", accuracy["video"], len(video_hits))
    return {
        "embedder": embedder.name,
        "products": len(skus),
        "catalog_vectors": len(index),
        "seeds_per_image": options.seeds,
        "index_build_s": round(build_s, 2),
        "top1": accuracy,
        "queries": {k: len(skus) * (1 if k == "clean" else options.seeds) for k in PERTURBATIONS} | {"video": len(skus)},
        "video_frames_mean": float(np.mean(frames_used)),
        "machine": "2 CPU cores, no GPU",
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["top1"])
    values = [result["top1"][n] for n in names]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    bars = ax.bar(names, values, color=["#4c72b0"] * (len(names) - 1) + ["#dd8452"])
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("top-1 accuracy")
    ax.set_title(f"Identification, {result['embedder']}, {result['products']} products "
                 f"({result['seeds_per_image']} seeds each)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--products", type=int, default=0, help="test only the first N products (0: all)")
    parser.add_argument("--quick", action="store_true", help="1 seed, 6 products: a smoke run for development")
    parser.add_argument("--out", type=Path, default=Options.out)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options = Options(seeds=1 if args.quick else args.seeds, products=6 if args.quick else args.products,
                      out=args.out)
    result = run(options)
    options.out.mkdir(parents=True, exist_ok=True)
    name = "identification_quick" if args.quick else "identification"
    (options.out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, options.out / f"{name}.png")
    logger.info("wrote %s", options.out / f"{name}.json")


if __name__ == "__main__":
    main()
