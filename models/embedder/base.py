"""Image embedder settings, the factory that picks a backend, and the input checks every backend shares."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Iterator, Literal, Sequence

import numpy as np
import pydantic.dataclasses
from PIL import Image

from models.fields import Count, Device, Name

if TYPE_CHECKING:
    from models.types import Embedder

logger = logging.getLogger("kefu.models")

BACKENDS = ("efficientnet", "open_clip")


@pydantic.dataclasses.dataclass
class EmbedderConfig:
    """How to build the image embedder.

    Attributes:
        backend: "efficientnet" (timm tf_efficientnet_lite0 with ImageNet weights: images only, works offline out of
            the box) or "open_clip" (a CLIP model: images and texts share one space).
        model: The weights. For efficientnet a registry name ("efficientnet-lite0") or a local checkpoint path. For
            open_clip a local .pt/.bin/.safetensors checkpoint, or a pretrained tag such as "laion2b_s34b_b79k" —
            a tag is downloaded by open_clip, so only an online host may use one.
        arch: open_clip architecture name ("ViT-B-32", ...). Ignored by efficientnet.
        arch_config: Path to an open_clip model-config JSON for an architecture open_clip does not ship. open_clip
            names the architecture after the file's stem, so `arch` must be left at its default or equal that stem.
        device: "auto" (CUDA when torch sees a GPU, else CPU), "cpu", "cuda", "cuda:N" or "mps".
        threads: Torch intra-op CPU threads (process-wide); None leaves torch's default.
        batch_size: Images per forward pass; longer inputs are split into chunks of this size.
    """

    backend: Literal[BACKENDS] = "efficientnet"  # type: ignore[valid-type]
    model: Name = "efficientnet-lite0"
    arch: str = "ViT-B-32"
    arch_config: str | None = None
    device: Device = "auto"
    threads: Count | None = None
    batch_size: Count = 16


def build_embedder(config: EmbedderConfig) -> "Embedder":
    """The embedder `config.backend` names, loaded and ready.

    Raises:
        models.errors.WeightsNotFound: The weights are neither a local file nor a prepared registry name.
        models.errors.ModelError: The weights exist but do not fit the architecture.
    """
    if config.backend == "efficientnet":
        from models.embedder.efficientnet import EfficientNetEmbedder

        return EfficientNetEmbedder(config)
    if config.backend == "open_clip":
        from models.embedder.clip import OpenClipEmbedder

        return OpenClipEmbedder(config)
    raise ValueError(f"embedder backend must be one of {list(BACKENDS)}, not {config.backend!r}")


def check_images(images: Sequence[Image.Image]) -> None:
    """Refuse anything that is not a non-empty PIL image, naming the culprit's position."""
    from models.errors import InvalidMedia

    if isinstance(images, (Image.Image, str, bytes)):
        raise InvalidMedia("expected a list of images, got a single object; wrap it in a list")
    for i, image in enumerate(images):
        if not isinstance(image, Image.Image):
            raise InvalidMedia(f"image {i} is a {type(image).__name__}, not a PIL image")
        if image.width < 1 or image.height < 1:
            raise InvalidMedia(f"image {i} is empty ({image.width}x{image.height} pixels)")


def to_rgb(image: Image.Image, index: int) -> Image.Image:
    """`image` as RGB, decoding it if still lazy; a corrupt or undecodable image is a media error."""
    from models.errors import InvalidMedia, UnsupportedMedia

    try:
        if image.mode == "RGB":
            image.load()
            return image
        if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            # Pillow has no direct high-bit-depth → RGB conversion: scale to 8 bits first.
            array = np.asarray(image, dtype=np.float32)
            span = float(array.max() - array.min()) or 1.0
            gray = ((array - array.min()) * (255.0 / span)).astype(np.uint8)
            return Image.fromarray(gray, "L").convert("RGB")
        return image.convert("RGB")
    except (OSError, SyntaxError) as exc:
        raise InvalidMedia(f"image {index} could not be decoded: {exc}") from exc
    except ValueError as exc:
        raise UnsupportedMedia(f"image {index} has pixel mode {image.mode!r}, which cannot become RGB: {exc}") from exc


def check_texts(texts: Sequence[str]) -> None:
    """Refuse anything that is not a list of strings."""
    from models.errors import InvalidMedia

    if isinstance(texts, str):
        raise InvalidMedia("expected a list of texts, got a single string; wrap it in a list")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InvalidMedia(f"text {i} is a {type(text).__name__}, not a string")


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def embed_in_batches(
    images: Sequence[Image.Image], batch_size: int, dim: int, forward: "Callable[[list[Image.Image]], np.ndarray]"
) -> np.ndarray:
    """Validate, convert to RGB, run `forward` on chunks of `batch_size` images, and L2-normalise the rows."""
    check_images(images)
    if len(images) == 0:
        return np.zeros((0, dim), dtype=np.float32)
    rows = []
    for index, chunk in enumerate(chunks(images, batch_size)):
        first = index * batch_size
        rows.append(forward([to_rgb(image, first + i) for i, image in enumerate(chunk)]))
    return l2_normalised(np.concatenate(rows))


def l2_normalised(rows: np.ndarray) -> np.ndarray:
    """float32 rows scaled to unit length (all-zero rows stay zero rather than becoming NaN)."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
