"""PP-OCRv5 on screenshots made here: order ids, amounts and tracking numbers come back exactly, in zh, en and the
Latin-script SEA languages; photos of goods are not taken for screenshots."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aftersales.understanding.slots import extract, written_order
from tests.screens import LAYOUTS, make_screenshot

pytestmark = pytest.mark.slow

registry = pytest.importorskip("models.registry", reason="models.registry (weights preparation) is not available")
skimage_data = pytest.importorskip("skimage.data", reason="scikit-image provides the sample photos")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reader():
    from models.ocr import OcrConfig, ScreenReader

    registry.prepare(["ppocrv5"])
    return ScreenReader(OcrConfig(threads=1))


def reopened(image: Image.Image) -> Image.Image:
    """As a chat backend forwards it: JPEG at quality 80."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=80)
    return Image.open(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("language", ["zh", "en", "ms", "vi", "id", "fil"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_facts_on_a_screenshot_are_read_exactly(reader, language, layout):
    shot = make_screenshot(language, layout, seed=7)
    screen = reader.read_one(reopened(shot.image))
    assert screen.screenshot, screen
    found = extract(screen.text, language)
    # The customer's own order id is matched as OCR reads it (O and 0 alike); the tracking number exactly.
    assert written_order(screen.text, [shot.order_id, "O99999"], read=True) == shot.order_id, screen.text
    assert found.tracking_number == shot.tracking.upper(), screen.text
    if shot.amount_cents is not None:
        assert shot.amount_cents in found.amounts, screen.text


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "camera", "text", "horse",
                                  "checkerboard", "brick", "grass"])
def test_photos_are_not_screenshots(reader, name):
    picture = Image.fromarray(np.asarray(getattr(skimage_data, name)())).convert("RGB")
    screen = reader.read_one(picture)
    assert not screen.screenshot and screen.text == ""


def test_a_photographed_page_of_text_is_read_like_a_screen(reader):
    picture = Image.fromarray(np.asarray(skimage_data.page())).convert("RGB")  # a scanned page: not flat, all text
    screen = reader.read_one(picture)
    assert screen.screenshot and len(screen.lines) >= 3


def test_a_photographed_label_is_read_though_it_is_not_flat(reader):
    from models.ocr import OcrConfig, ScreenReader

    # every picture below the flat share: the look-over by the text detector alone decides
    reader = ScreenReader(OcrConfig(threads=1, flat_share=1.0, photo_boxes=4))  # this label has five lines
    label = make_screenshot("en", "label", seed=2)
    table = Image.fromarray(np.asarray(skimage_data.brick())).convert("RGB").resize((1400, 1600))  # a wall or floor
    table.paste(label.image.rotate(4, expand=True, fillcolor=(120, 90, 60)).resize((700, 1050)), (300, 250))
    screen = reader.read_one(reopened(table))
    assert screen.screenshot
    assert extract(screen.text, "en").tracking_number == label.tracking.upper(), screen.text


def test_catalog_photos_of_goods_are_not_screenshots(reader):
    images = sorted((ROOT / "catalog_index" / "demo" / "images").glob("*.jpg"))
    assert images
    assert not any(reader.read_one(Image.open(p)).screenshot for p in images)


def test_rows_join_a_label_and_its_value(reader):
    shot = make_screenshot("zh", "order_page", seed=3)
    lines = reader.read_one(shot.image).text.splitlines()
    assert any(line.startswith("订单编号") and shot.order_id.lstrip("O") in line for line in lines), lines
