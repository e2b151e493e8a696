"""The detector's training CLI end to end on a few generated photos: train, resume, evaluate, ship with a model card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aftersales.policy.decisions import DEFECT_TAXONOMY
from training.defect_data import DataOptions, write_dataset
from training.detector import CONF_GRID, TrainOptions, evaluate, main, resume, run_record, ship, train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("defect-data")
    write_dataset(out, DataOptions(train=12, val=6, test=6, size=160, workers=1, seed=5, clean_share=0.3))
    return out / "data.yaml"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data, tiny_yolo) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    return train(TrainOptions(data=data, start=str(tiny_yolo), epochs=2, imgsz=64, batch=4, workers=0, out=runs,
                              name="t", close_mosaic=1))


def test_training_writes_a_checkpoint_with_the_taxonomy_and_a_record(trained):
    from ultralytics import YOLO

    assert trained.is_file() and trained.name == "best.pt"
    assert [YOLO(str(trained)).names[i] for i in range(len(DEFECT_TAXONOMY))] == list(DEFECT_TAXONOMY)
    record = run_record(trained.parents[1])
    assert (record["epochs"], record["epochs_done"], record["imgsz"]) == (2, 2, 64)
    assert len(record["start_sha256"]) == 64 and record["minutes"] >= 0


def test_evaluation_reports_both_splits_and_clean_photos(trained, data):
    result = evaluate(trained, data, imgsz=64)
    assert set(result.map50) == {"val", "test"}
    assert all(0.0 <= v <= 1.0 for v in result.map50.values())
    assert set(result.per_class_map50["test"]) <= set(DEFECT_TAXONOMY)
    clean = sum(1 for p in (data.parent / "labels" / "test").glob("*.txt") if not p.read_text().strip())
    assert result.clean_images["test"] == clean
    if clean:
        assert 0.0 <= result.clean_no_defect["test"] <= 1.0


def test_ship_strips_the_checkpoint_and_writes_the_card(tmp_path, trained, data):
    out, card = tmp_path / "kefu-defects.pt", tmp_path / "kefu-defects.md"
    ship(trained, data, imgsz=64, out=out, card=card)
    import torch

    shipped = torch.load(out, map_location="cpu", weights_only=False)
    assert shipped["optimizer"] is None and next(shipped["model"].parameters()).dtype == torch.float16
    text = card.read_text(encoding="utf-8")
    assert "AGPL-3.0" in text and all(f"`{label}`" in text for label in DEFECT_TAXONOMY)
    facts = json.loads(card.with_suffix(".json").read_text(encoding="utf-8"))
    assert facts["training"]["epochs_done"] == 2 and len(facts["sha256"]) == 64
    assert facts["conf"] in CONF_GRID and f"conf {facts['conf']}" in text  # the serving threshold, chosen on val


def test_a_finished_run_cannot_be_resumed_and_a_missing_one_is_refused(trained, tmp_path):
    with pytest.raises(SystemExit):
        resume(tmp_path / "nothing" / "last.pt")
    with pytest.raises(SystemExit, match="nothing to resume"):
        resume(trained.parent / "last.pt")


def test_cli_refuses_bad_arguments():
    with pytest.raises(SystemExit):
        main(["train"])  # --data is required
    with pytest.raises(SystemExit):
        main(["evaluate", "--weights", "x.pt"])


def test_a_run_started_from_another_run_keeps_the_lineage(tmp_path, trained, data):
    second = train(TrainOptions(data=data, start=str(trained), epochs=1, imgsz=64, batch=4, workers=0,
                                out=tmp_path / "runs", name="again", close_mosaic=0))
    record = run_record(second.parents[1])
    assert record["parent"]["epochs_done"] == 2 and record["start_sha256"] != record["parent"]["start_sha256"]
    card = tmp_path / "card.md"
    ship(second, data, imgsz=64, out=tmp_path / "w.pt", card=card)
    assert f"then 2 epochs at 64 px on `{data.parent.name}`" in card.read_text(encoding="utf-8")
