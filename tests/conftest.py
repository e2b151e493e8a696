"""Shared fixtures: tiny random-init models built once per session, and the repository's paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "false")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

ROOT = Path(__file__).resolve().parents[1]
DEMO_CATALOG = ROOT / "catalog_index" / "demo" / "catalog.csv"


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tiny-models")


@pytest.fixture(scope="session")
def tiny_whisper(tiny_dir) -> Path:
    from tests.tiny.whisper import make_tiny_whisper

    return make_tiny_whisper(tiny_dir / "whisper")


@pytest.fixture(scope="session")
def tiny_clip(tiny_dir) -> tuple[Path, Path]:
    from tests.tiny.vision import make_tiny_clip

    return make_tiny_clip(tiny_dir / "clip")


@pytest.fixture(scope="session")
def tiny_yolo(tiny_dir) -> Path:
    from tests.tiny.vision import make_tiny_yolo

    return make_tiny_yolo(tiny_dir / "yolo")
