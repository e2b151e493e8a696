"""Export an ultralytics YOLO checkpoint to ONNX once, offline, into a cache keyed by the checkpoint's sha256."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

from models.registry import sha256_file

logger = logging.getLogger("kefu.models")


def export_cache_dir() -> Path:
    """Where exports live by default: beside the prepared weights, in `models_dir()/onnx-exports`."""
    from models.registry import models_dir

    return models_dir() / "onnx-exports"


def export_path(weights: Path, imgsz: int, folder: Path | None = None) -> Path:
    """The file an export of `weights` at `imgsz` is cached as: `<stem>-<sha256 prefix>-<imgsz>.onnx`.

    Named by content, not by path, so a retrained checkpoint saved over the old one never reuses a stale export.
    """
    folder = Path(folder) if folder is not None else export_cache_dir()
    return folder / f"{Path(weights).stem}-{sha256_file(Path(weights))[:16]}-{imgsz}.onnx"


def export_onnx(weights: Path, imgsz: int, *, out: Path | None = None, force: bool = False) -> Path:
    """The ONNX export of an ultralytics detect checkpoint, made now unless already cached; returns its path.

    The export has dynamic batch, height and width axes, fp32 weights, and ultralytics' metadata (class names,
    stride, imgsz). It is written to a temporary folder beside its final place and renamed into place, so readers
    never see half a file and two processes exporting at once both end with a whole one.

    Args:
        weights: An ultralytics .pt checkpoint of a detect model.
        imgsz: The inference size the export is traced at (a positive multiple of 32).
        out: Folder of the cache; default `export_cache_dir()`.
        force: Export again even when the cached file exists (e.g. it failed to load).

    Raises:
        ValueError: `imgsz` is not a positive multiple of 32.
        models.errors.WeightsNotFound: `weights` does not exist.
        models.errors.ModelError: Not a .pt file, not a detect model, or the export itself failed.
    """
    from models.errors import ModelError, WeightsNotFound

    weights = Path(weights)
    if isinstance(imgsz, bool) or not isinstance(imgsz, int) or imgsz < 32 or imgsz % 32:
        raise ValueError(f"export imgsz must be a positive multiple of 32, not {imgsz!r}")
    if not weights.is_file():
        raise WeightsNotFound(f"cannot export {weights} to ONNX: no such file")
    if weights.suffix.lower() != ".pt":
        raise ModelError(f"cannot export {weights} to ONNX: only ultralytics .pt checkpoints can be exported")
    target = export_path(weights, imgsz, out)
    if target.is_file() and not force:
        logger.info("reusing ONNX export %s of %s", target, weights)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=target.parent) as staging:
        produced = _run_exporter(weights, imgsz, Path(staging))
        os.chmod(produced, 0o644)  # shared read-only data, like the prepared weights
        os.replace(produced, target)
    logger.info("exported %s to %s at imgsz %d", weights, target, imgsz)
    return target


def _run_exporter(weights: Path, imgsz: int, staging: Path) -> Path:
    """Run ultralytics' exporter on a copy of `weights` inside `staging`; the .onnx it wrote there."""
    # Before ultralytics is imported: it reads these once, and must neither phone home nor pip-install.
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    from models.errors import ModelError

    # The exporter writes beside its input; a private copy keeps the weights' own folder untouched (it may be
    # read-only, or shared with another process exporting at the same moment).
    staged = staging / weights.name
    shutil.copyfile(weights, staged)
    try:
        from ultralytics import YOLO

        model = YOLO(str(staged), task="detect")
    except Exception as exc:  # ultralytics raises many kinds for a bad or foreign checkpoint
        raise ModelError(f"cannot load YOLO weights {weights} for ONNX export: {exc}") from exc
    if model.task != "detect":
        raise ModelError(f"{weights} is a YOLO {model.task} model; the defect detector needs a detect model")
    # onnxslim is optional: asking for it when absent would make ultralytics try to pip-install it.
    simplify = importlib.util.find_spec("onnxslim") is not None
    try:
        produced = model.export(format="onnx", dynamic=True, simplify=simplify, imgsz=imgsz, device="cpu", batch=1)
    except Exception as exc:  # the exporter raises anything from AssertionError to onnx's own errors
        raise ModelError(f"exporting {weights} to ONNX failed: {exc}") from exc
    produced = Path(str(produced))
    if not produced.is_file():
        raise ModelError(f"exporting {weights} to ONNX produced no file (ultralytics returned {produced})")
    return produced
