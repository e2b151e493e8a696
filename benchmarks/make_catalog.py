"""Generate a large catalog for build benchmarks: N 320px JPEGs varied from the demo photos, under N/4 SKUs.

Every image is a random crop of a demo photo, hue-shifted, placed on a coloured background at a random scale and
offset, with a line of text over it; the same `--n` and `--seed` always give the same files. Run from the root:
    .venv/bin/python benchmarks/make_catalog.py --n 10000 --out var/catalog10k
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "catalog_index" / "demo"
SIZE = 320
PER_SKU = 4
WORDS = ("SALE", "NEW", "包邮", "限时", "HOT", "2026", "爆款", "BEST", "折扣", "VIP")

logger = logging.getLogger("kefu.benchmarks")


def _sources() -> list[tuple[dict, Image.Image]]:
    with open(DEMO / "catalog.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(row, Image.open(DEMO / row["image"]).convert("RGB")) for row in rows]


def variant(source: Image.Image, rng: np.random.Generator, font: ImageFont.ImageFont) -> Image.Image:
    """One varied SIZE×SIZE photo of `source`."""
    w, h = source.size
    scale = rng.uniform(0.6, 1.0)
    cw, ch = int(w * scale), int(h * scale)
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    crop = source.crop((x, y, x + cw, y + ch))
    hsv = np.asarray(crop.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + int(rng.integers(-40, 41))) % 256
    crop = Image.fromarray(hsv, "HSV").convert("RGB")
    background = Image.new("RGB", (SIZE, SIZE), tuple(int(v) for v in rng.integers(0, 256, 3)))
    side = int(SIZE * rng.uniform(0.65, 1.0))
    crop = crop.resize((side, side), Image.Resampling.BILINEAR)
    background.paste(crop, (int(rng.integers(0, SIZE - side + 1)), int(rng.integers(0, SIZE - side + 1))))
    draw = ImageDraw.Draw(background)
    text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 3))))
    draw.text((int(rng.integers(0, SIZE // 2)), int(rng.integers(0, SIZE - 30))), text, font=font,
              fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return background


def make_catalog(n: int, out: Path, seed: int = 0, workers: int = 2) -> Path:
    """Write `n` images and `out/catalog.csv` (n/4 SKUs of 4 photos, the last SKU taking the remainder)."""
    if n < 1:
        raise ValueError(f"--n must be positive, not {n}")
    sources = _sources()
    font = ImageFont.load_default(size=22)
    (out / "images").mkdir(parents=True, exist_ok=True)

    def one(i: int) -> str:
        rng = np.random.default_rng([seed, i])
        _, image = sources[(i // PER_SKU) % len(sources)]
        name = f"images/{i:06d}.jpg"
        variant(image, rng, font).save(out / name, quality=88)
        return name

    with ThreadPoolExecutor(max_workers=workers) as pool:
        names = list(pool.map(one, range(n)))
    skus = max(1, n // PER_SKU)
    with open(out / "catalog.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        header = ["sku", "title", "description", "category", "price", "currency", "stock", "presale",
                  "restock_date", "style_tags", "image"]
        writer.writerow(header)
        for s in range(skus):
            row, _ = sources[s % len(sources)]
            photos = names[s * PER_SKU:(s + 1) * PER_SKU if s < skus - 1 else n]
            writer.writerow([f"GEN-{s:06d}", f"{row['title']} #{s}", row["description"], row["category"],
                             row["price"], row["currency"], row["stock"], row["presale"], row["restock_date"],
                             row["style_tags"], "|".join(photos)])
    return out / "catalog.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="images")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "catalog10k")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    path = make_catalog(args.n, args.out, args.seed, args.workers)
    logger.info("wrote %s (%d images) in %.1fs", path, args.n, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
