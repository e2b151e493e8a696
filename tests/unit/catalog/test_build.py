"""The batch build job and the operator CLI, with a small deterministic embedder instead of a network."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest
from PIL import Image

from catalog_index.build import BuildReport, build_index, decode_images, image_jobs, load_image
from catalog_index.catalog import read_catalog
from catalog_index.errors import CatalogError
from catalog_index.versions import IndexRoot, open_index
from tests.conftest import DEMO_CATALOG


class HistogramEmbedder:
    """Colour histogram (4×4×4 bins) + gradient-orientation histograms of the four quadrants, L2-normalised."""

    name = "test/colour-gradient-histogram"
    dim = 64 + 4 * 8
    supports_text = False

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        self.calls.append(len(images))
        rows = [self._features(np.asarray(img.convert("RGB").resize((64, 64)), dtype=np.float32)) for img in images]
        out = np.asarray(rows, dtype=np.float32).reshape(len(rows), self.dim)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def _features(self, pixels: np.ndarray) -> np.ndarray:
        bins = (pixels // 64).astype(np.int64)
        colour = np.bincount((bins[..., 0] * 16 + bins[..., 1] * 4 + bins[..., 2]).ravel(), minlength=64)
        gray = pixels.mean(axis=2)
        gy, gx = np.gradient(gray)
        angle = ((np.arctan2(gy, gx) + np.pi) / (2 * np.pi) * 8).astype(np.int64) % 8
        magnitude = np.hypot(gx, gy)
        quadrants = [np.bincount(angle[r:r + 32, c:c + 32].ravel(), magnitude[r:r + 32, c:c + 32].ravel(), 8)
                     for r in (0, 32) for c in (0, 32)]
        return np.concatenate([colour / colour.sum(), *[q / (q.sum() + 1e-6) for q in quadrants]])


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory) -> tuple[BuildReport, Path, HistogramEmbedder]:
    embedder = HistogramEmbedder()
    out = tmp_path_factory.mktemp("demo") / "index"
    return build_index(DEMO_CATALOG, out, embedder, batch_size=8, workers=2, progress=False), out, embedder


def test_demo_catalog_builds_an_index_of_all_32_skus(demo_build):
    report, out, embedder = demo_build
    assert report.products == 32 and report.images == 32
    assert report.skipped == () and report.skipped_products == ()
    assert report.embedder == embedder.name and report.seconds > 0 and report.images_per_second > 0
    assert embedder.calls == [8, 8, 8, 8]
    index = open_index(out, expected_embedder=embedder.name)
    assert len(index) == 32 and len(index.skus) == 32
    assert report.version == IndexRoot(out).current_version() and report.resumed_images == 0
    assert not (out / ".build").exists()  # the shards are gone once the version is published
    on_disk = json.loads((IndexRoot(out).current_dir() / "build_report.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps({**report.to_dict(), "version": ""}))


def test_each_demo_image_finds_its_own_sku(demo_build):
    _, out, embedder = demo_build
    index = open_index(out)
    images = [Image.open(p) for p in sorted((DEMO_CATALOG.parent / "images").glob("*.jpg"))]
    stems = [Path(img.filename).stem for img in images]
    results = index.search(embedder.embed_images(images), top_k=1)
    assert [r[0].sku for r in results] == stems


def _copy_demo(tmp_path: Path, skus: int) -> list[str]:
    """The first `skus` demo rows as a CSV in tmp_path, their photos copied next to it; returns the CSV lines."""
    lines = DEMO_CATALOG.read_text(encoding="utf-8").splitlines()[: skus + 1]
    (tmp_path / "images").mkdir()
    for line in lines[1:]:
        sku = line.split(",", 1)[0]
        shutil.copy(DEMO_CATALOG.parent / "images" / f"{sku}.jpg", tmp_path / "images" / f"{sku}.jpg")
    return lines


def test_missing_and_corrupt_images_are_skipped_and_reported(tmp_path):
    lines = _copy_demo(tmp_path, 5)
    (tmp_path / "images" / "KF-SW-002.jpg").unlink()
    (tmp_path / "images" / "KF-DR-001.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    # KF-SW-003 keeps one good photo next to a missing one: it stays in the index.
    lines[3] = lines[3].replace("images/KF-SW-003.jpg", "images/KF-SW-003.jpg|images/gone.jpg")
    (tmp_path / "catalog.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = build_index(tmp_path / "catalog.csv", tmp_path / "index", HistogramEmbedder(), batch_size=2,
                         progress=False)
    skipped = {(s.sku, Path(s.path).name): s.reason for s in report.skipped}
    assert set(skipped) == {("KF-SW-002", "KF-SW-002.jpg"), ("KF-DR-001", "KF-DR-001.jpg"), ("KF-SW-003", "gone.jpg")}
    assert skipped[("KF-SW-002", "KF-SW-002.jpg")] == "missing file"
    assert skipped[("KF-DR-001", "KF-DR-001.jpg")].startswith("cannot decode")
    assert report.skipped_products == ("KF-SW-002", "KF-DR-001")
    assert report.products == 3 and report.images == 3
    index = open_index(tmp_path / "index")
    assert index.skus == ["KF-DR-002", "KF-SW-001", "KF-SW-003"]
    with pytest.raises(CatalogError):
        index.product("KF-SW-002")
    assert all(m.sku != "KF-SW-002" for m in index.search_text("毛衣", 5))


def test_no_readable_image_at_all_is_an_error_and_writes_nothing(tmp_path):
    lines = _copy_demo(tmp_path, 2)
    shutil.rmtree(tmp_path / "images")
    (tmp_path / "catalog.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="none of the 2 catalog images"):
        build_index(tmp_path / "catalog.csv", tmp_path / "index", HistogramEmbedder(), progress=False)
    assert not (tmp_path / "index").exists()


@pytest.mark.parametrize("option", [{"batch_size": 0}, {"workers": 0}, {"batch_size": 2.5}, {"shard_size": 0},
                                    {"factory": ""}])
def test_bad_build_options(tmp_path, option):
    with pytest.raises(CatalogError):
        build_index(DEMO_CATALOG, tmp_path / "index", HistogramEmbedder(), progress=False, **option)


def test_decoding_keeps_job_order_with_a_small_window():
    jobs = image_jobs(read_catalog(DEMO_CATALOG))
    decoded = list(decode_images(jobs, workers=3, prefetch=2))
    assert [job for job, _, _ in decoded] == jobs
    assert all(image is not None and image.mode == "RGB" for _, image, _ in decoded)


def test_large_photos_reach_the_embedder_bounded_in_size(tmp_path):
    big = tmp_path / "big.jpg"
    Image.new("RGB", (4000, 3000), (200, 40, 40)).save(big, quality=80)
    image = load_image(big)
    assert image.mode == "RGB" and min(image.size) == 896
    assert image.size[0] / image.size[1] == pytest.approx(4 / 3, rel=0.02)
    png = tmp_path / "grey.png"
    Image.new("L", (50, 40), 128).save(png)
    assert load_image(png).size == (50, 40) and load_image(png).mode == "RGB"


def test_cli_stats_and_text_search(demo_build, capsys):
    from catalog_index.__main__ import main

    _, out, _ = demo_build
    assert main(["stats", "--index", str(out)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["vectors"] == 32 and stats["manifest"]["embedder"] == "test/colour-gradient-histogram"
    assert stats["version"] == IndexRoot(out).current_version() and stats["versions"] == IndexRoot(out).versions()
    assert stats["skus"] == 32 and stats["dim"] == HistogramEmbedder.dim
    assert stats["categories"]["apparel"] == 15
    assert main(["search", "--index", str(out), "--text", "denim jacket", "--top-k", "2", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found) == 2 and found[0]["sku"] == "KF-JK-001"


def test_cli_errors_exit_non_zero_with_a_message(tmp_path, capsys):
    from catalog_index.__main__ import main

    assert main(["stats", "--index", str(tmp_path / "nothing")]) == 1
    assert "no catalog index" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["search", "--index", str(tmp_path)])  # neither --image nor --text
    assert usage.value.code == 2


def test_cli_verify_accepts_a_sound_index_and_names_an_altered_file(tmp_path, capsys):
    from catalog_index.__main__ import main

    out = tmp_path / "index"
    build_index(DEMO_CATALOG, out, HistogramEmbedder(), batch_size=8, progress=False)
    assert main(["verify", "--index", str(out)]) == 0
    assert "ok" in capsys.readouterr().out
    products = IndexRoot(out).current_dir() / "products.json"
    products.write_text(products.read_text(encoding="utf-8").replace("KF-SW-001", "KF-XX-001"), encoding="utf-8")
    assert main(["verify", "--index", str(out)]) == 1
    assert "products.json" in capsys.readouterr().err


def test_cli_verify_of_nothing_exits_non_zero(tmp_path, capsys):
    from catalog_index.__main__ import main

    assert main(["verify", "--index", str(tmp_path / "nothing")]) == 1
    assert "no catalog index" in capsys.readouterr().err


def _catalog_of(tmp_path: Path, photos: dict[str, bytes]) -> Path:
    (tmp_path / "images").mkdir()
    rows = ["sku,title,description,category,price,currency,stock,presale,restock_date,style_tags,image"]
    for sku, data in photos.items():
        name = sku + (".png" if data.startswith(b"\x89PNG") else ".jpg")
        (tmp_path / "images" / name).write_bytes(data)
        rows.append(f"{sku},{sku} title,,apparel,10.00,CNY,1,false,,,images/{name}")
    (tmp_path / "catalog.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path / "catalog.csv"


def test_the_build_and_a_request_embed_one_photo_identically(tmp_path):
    """A phone photo rotated by EXIF, a PNG with transparency and a large JPEG give the index and a customer's
    message the same vector: both decode with media.image and bound the size the same way."""
    import io

    from media.image import decode_image, for_embedding

    # Horizontal stripes over a colour ramp: a quarter turn changes every gradient's orientation.
    rows, cols = np.mgrid[0:240, 0:360]
    scene = Image.fromarray(np.stack([(rows // 12 % 2) * 200 + 30, cols * 255 // 360,
                                      np.full_like(rows, 90)], axis=-1).astype(np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display", as phones save portrait shots
    rotated, transparent, large = io.BytesIO(), io.BytesIO(), io.BytesIO()
    scene.save(rotated, "JPEG", quality=90, exif=exif.tobytes())
    rgba = scene.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(scene.size))
    rgba.save(transparent, "PNG")
    scene.resize((2400, 1600)).save(large, "JPEG", quality=85)
    photos = {"ROT": rotated.getvalue(), "RGBA": transparent.getvalue(), "BIG": large.getvalue()}

    embedder = HistogramEmbedder()
    build_index(_catalog_of(tmp_path, photos), tmp_path / "index", embedder, progress=False)
    index = open_index(tmp_path / "index")
    for sku, data in photos.items():
        asked = embedder.embed_images([for_embedding(decode_image(data))])
        best = index.search(asked, 1)[0][0]
        assert best.sku == sku and best.score == pytest.approx(1.0, abs=1e-5), sku
    # What the build did before (Pillow's open and convert: no EXIF rotation, alpha dropped) is another vector,
    # so the check above can tell the two decodings apart.
    for sku in ("ROT", "RGBA"):
        naive = embedder.embed_images([Image.open(io.BytesIO(photos[sku])).convert("RGB")])[0]
        asked = embedder.embed_images([for_embedding(decode_image(photos[sku]))])[0]
        assert float(naive @ asked) < 0.99, sku
