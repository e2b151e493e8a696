"""Product identification on the real EfficientNet-Lite0 weights: shoppers' photos and a short video of the
demo catalog's products find their own SKU."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from tests.conftest import DEMO_CATALOG

pytestmark = pytest.mark.slow

IMAGES = DEMO_CATALOG.parent / "images"
# Measured on the committed demo images: 96/96 top-1 with this test's seed, 766/768 over three other seeds with
# eight copies per image (run with -s to see the rate and the misses). The bar leaves room for numeric drift.
MIN_TOP1 = 0.95


@pytest.fixture(scope="module")
def embedder():
    from models import load_embedder, registry
    from models.embedder.base import EmbedderConfig

    registry.prepare(["efficientnet-lite0"])
    return load_embedder(EmbedderConfig())


@pytest.fixture(scope="module")
def demo_index(embedder, tmp_path_factory):
    from catalog_index.build import build_index
    from catalog_index.versions import open_index

    out = tmp_path_factory.mktemp("real-index") / "index"
    report = build_index(DEMO_CATALOG, out, embedder, progress=False)
    assert report.products == 32 and not report.skipped
    return open_index(out, expected_embedder=embedder.name)


def _backgrounds() -> list[Image.Image]:
    from skimage import data

    return [Image.fromarray(a) for a in (data.astronaut(), data.coffee(), data.rocket(), data.chelsea(),
                                          data.immunohistochemistry(), data.hubble_deep_field())]


def _jitter(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        image = enhancer(image).enhance(float(rng.uniform(0.8, 1.2)))
    hsv = np.asarray(image.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + int(rng.integers(-8, 9))) % 256  # hue ±3 %
    return Image.fromarray(hsv, "HSV").convert("RGB")


def _crop(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    side = rng.uniform(0.85, 0.90)
    w, h = int(image.width * side), int(image.height * side)
    x, y = int(rng.integers(0, image.width - w + 1)), int(rng.integers(0, image.height - h + 1))
    return image.crop((x, y, x + w, y + h))


def _jpeg(image: Image.Image, quality: int = 60) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def shopper_photo(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Cropped off-centre, tilted, colour-shifted and recompressed."""
    picture = _crop(image, rng)
    corner = picture.getpixel((0, 0))
    picture = picture.rotate(float(rng.uniform(-10, 10)), resample=Image.Resampling.BICUBIC, fillcolor=corner)
    return _jpeg(_jitter(picture, rng))


def on_busy_background(image: Image.Image, background: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The product photo held up in front of a cluttered scene (about 70 % of the frame)."""
    canvas = background.convert("RGB").resize((448, 448))
    product = _crop(image, rng).resize((int(448 * rng.uniform(0.66, 0.74)),) * 2)
    x, y = (int(rng.integers(0, 448 - product.width + 1)) for _ in range(2))
    canvas.paste(product, (x, y))
    return _jpeg(_jitter(canvas, rng))


def test_perturbed_photos_identify_their_own_sku(embedder, demo_index):
    rng = np.random.default_rng(20240601)
    backgrounds = _backgrounds()
    queries: list[tuple[str, str, Image.Image]] = []
    for path in sorted(IMAGES.glob("*.jpg")):
        original = Image.open(path).convert("RGB")
        queries.append((path.stem, "photo", shopper_photo(original, rng)))
        queries.append((path.stem, "photo", shopper_photo(original, rng)))
        background = backgrounds[int(rng.integers(len(backgrounds)))]
        queries.append((path.stem, "background", on_busy_background(original, background, rng)))
    vectors = embedder.embed_images([q[2] for q in queries])
    results = demo_index.search(vectors, top_k=3)
    misses = [(sku, kind, [m.sku for m in found]) for (sku, kind, _), found in zip(queries, results)
              if found[0].sku != sku]
    rate = 1 - len(misses) / len(queries)
    print(f"top-1 {len(queries) - len(misses)}/{len(queries)} = {rate:.1%}; misses: {misses}")
    assert len(queries) == 96
    assert rate >= MIN_TOP1, misses


def test_video_of_a_product_votes_for_it(embedder, demo_index):
    from catalog_index.video import dedupe_frames, vote
    from tests.media import mp4_from_image

    sku = "KF-BG-003"
    video = mp4_from_image(IMAGES / f"{sku}.jpg", seconds=2.0, fps=10, zoom=0.12)
    frames = _decode(video)
    assert len(frames) >= 10
    vectors = embedder.embed_images([picture for _, picture in frames])
    keep = dedupe_frames(vectors, threshold=0.995)
    per_frame = demo_index.search(vectors[keep], top_k=3)
    voted = vote([(frames[i][0], matches) for i, matches in zip(keep, per_frame)], top_k=3)
    assert voted[0].sku == sku
    assert voted[0].votes >= len(keep) * 0.8
    assert all(0.0 <= t <= 2.1 for t in voted[0].timestamps)


def _decode(video: bytes) -> list[tuple[float, Image.Image]]:
    from media.video import decode_video_frames

    return decode_video_frames(video, max_frames=32, max_seconds=10)


def test_cli_build_then_search_by_photo(tmp_path, capsys):
    import json

    from catalog_index.__main__ import main
    from tests.media import jpeg_bytes

    out = tmp_path / "index"
    assert main(["build", "--catalog", str(DEMO_CATALOG), "--out", str(out), "--no-progress", "--batch-size", "8"]) == 0
    assert "indexed 32 products" in capsys.readouterr().out
    photo = tmp_path / "photo.jpg"
    original = Image.open(IMAGES / "KF-HM-004.jpg").convert("RGB")
    photo.write_bytes(jpeg_bytes(original.crop((20, 10, 300, 300)).rotate(6, fillcolor=(240, 240, 240)), quality=70))
    assert main(["search", "--index", str(out), "--image", str(photo), "--top-k", "3", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found[0]["sku"] == "KF-HM-004" and found[0]["score"] > found[1]["score"]
