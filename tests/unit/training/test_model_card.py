"""The detector's model card: its reproduce commands come from the run's records, its as-served table from the
recall benchmark."""

from __future__ import annotations

from pathlib import Path

from aftersales.policy.decisions import DEFECT_TAXONOMY
from training.detector import Evaluation
from training.model_card import render_card


def _card(served: dict | None) -> str:
    recipe = {"seed": 3, "version": 4, "counts": {"train": 10, "val": 2, "test": 4}, "names": list(DEFECT_TAXONOMY),
              "scene": {"train": {"weights": [3.0] + [1.0] * 9}, "test": {"weights": []}}}
    trained = {"start": "models/weights/kefu-defects.pt", "epochs": 5, "epochs_done": 5, "imgsz": 416, "freeze": 10,
               "close_mosaic": 2, "name": "v4", "start_sha256": "ab" * 32}
    ev = Evaluation(map50={"val": 0.5}, map50_95={"val": 0.3}, clean_images={"val": 3}, clean_no_defect={"val": 1.0},
                    conf=0.5, imgsz=416)
    return render_card(Path("kefu-defects.pt"), "cd" * 32, ev, recipe, trained, 22.5, served)


def test_the_card_says_how_to_make_the_weights_again():
    card = _card(None)
    assert ("`python -m training.defect_data --out var/defects/data --seed 3 --train 10 --val 2 --test 4 "
            "--weight snag=3`") in card
    assert "--start models/weights/kefu-defects.pt --epochs 5 --imgsz 416 --freeze 10 --close-mosaic 2 --name v4" in card
    assert "runs/v4/weights/best.pt --data var/defects/data/data.yaml --imgsz 416" in card
    assert "## As served" not in card  # no benchmark given: no table that would claim numbers


def test_the_card_quotes_recall_on_both_renderers_as_served():
    table = {name: {"recall": {label: 0.5 + i / 100 for i, label in enumerate(DEFECT_TAXONOMY)},
                    "precision": 0.91, "clean_silent": 0.95, "ms_per_photo": 61.0} for name in ("unseen-looks", "second")}
    table["second"]["recall"]["snag"] = 0.83
    card = _card({"configs": {"416": {"imgsz": 416, "conf": 0.5, **table}}})
    assert "## As served (at 416 px, conf 0.5)" in card
    assert "| `snag` | 0.500 | 0.830 |" in card
    assert "| precision (all classes) | 0.910 | 0.910 |" in card and "| clean photos silent | 0.950 | 0.950 |" in card
