"""Serving runs kefu's own defect detector at the threshold its model card chose: the code default, both Serve
configs and the card must agree, or a retrained model would ship with a stale threshold."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from models import registry
from models.detector.yolo import DetectorConfig
from training.detector import CONF_GRID, card_facts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def card() -> dict:
    facts = card_facts()
    assert facts, "models/weights/kefu-defects.json is missing"
    return facts


def test_the_registry_pins_the_shipped_weights(card):
    spec = registry.REGISTRY["kefu-defects"]
    assert spec.sha256["kefu-defects.pt"] == card["sha256"]
    shipped = registry.SHIPPED_WEIGHTS / "kefu-defects.pt"
    assert registry.sha256_file(shipped) == card["sha256"] and shipped.stat().st_size <= 25_000_000
    assert "AGPL" in spec.licence


def test_the_code_default_is_the_shipped_detector_at_its_threshold(card):
    default = DetectorConfig()
    assert (default.model, default.imgsz, default.conf) == ("kefu-defects", card["evaluation"]["imgsz"], card["conf"])
    assert card["conf"] in CONF_GRID


@pytest.mark.parametrize("name", ["serve.dev.yaml", "serve.gpu.yaml"])
def test_each_serve_config_runs_the_shipped_detector_at_its_threshold(name, card):
    config = yaml.safe_load((ROOT / "configs" / name).read_text(encoding="utf-8"))
    detector = config["applications"][0]["args"]["detector"]
    assert detector["model"] == "kefu-defects"
    assert detector["conf"] == card["conf"] and detector["imgsz"] == card["evaluation"]["imgsz"]
