"""The screenshot reader's own logic: which pictures it looks at, how lines become rows, its settings."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models.ocr import OcrConfig, TextLine, flat_share, rows


def test_a_flat_screen_is_looked_at_and_a_noisy_photo_is_not():
    screen = Image.new("RGB", (400, 800), (245, 245, 245))
    screen.paste((238, 77, 45), (0, 0, 400, 90))
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300, 3), dtype=np.uint8))
    assert flat_share(screen) > 0.9
    assert flat_share(photo) < 0.05


def line(text, x1, y1, x2, y2):
    return TextLine(text, 0.99, (x1, y1, x2, y2))


def test_a_label_and_its_value_on_one_row_become_one_line_left_to_right():
    got = rows([line("¥128.50", 500, 102, 640, 138), line("实付款", 40, 100, 160, 140),
                line("订单编号", 40, 20, 180, 60), line("240611123456789", 300, 22, 640, 58)])
    assert [[l.text for l in row] for row in got] == [["订单编号", "240611123456789"], ["实付款", "¥128.50"]]


def test_a_tall_line_does_not_swallow_the_rows_beside_it():
    got = rows([line("¥128", 0, 0, 300, 120), line("实付款", 320, 10, 400, 30), line("含运费", 320, 90, 400, 110)])
    assert [[l.text for l in row] for row in got] == [["实付款"], ["¥128"], ["含运费"]]


@pytest.mark.parametrize("field, value", [("threads", 0), ("max_side", 10), ("min_score", 1.5),
                                          ("flat_share", -0.1), ("min_lines", True), ("model", " ")])
def test_bad_settings_are_refused(field, value):
    with pytest.raises(ValueError, match=f"OcrConfig\n{field}\n"):  # pydantic names the config and the field
        OcrConfig(**{field: value})
