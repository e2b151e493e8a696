"""Photos from untrusted bytes or catalog files → RGB pictures, by one set of rules for requests and the catalog build."""

from __future__ import annotations

import io
import logging
import struct
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from media.errors import InvalidMedia, MediaTooLarge, UnsupportedMedia, check_bytes

logger = logging.getLogger("kefu.media")

# Formats a shopper's phone or browser sends. Naming them keeps Pillow's rarer (and less hardened) decoders away
# from untrusted bytes.
_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO", "AVIF", "HEIF")

# Pictures reach the embedder with their shorter side at most this many pixels. It resizes to about 224 itself; the
# bound keeps the catalog build's prefetch queue small, and applying the same bound to requests makes one photo
# embed identically in the build and in a customer's message.
EMBEDDING_SIDE = 896


def _pillow_open():
    """Pillow's own Image.open.

    Importing ultralytics replaces Image.open process-wide with a wrapper that, on input Pillow cannot identify,
    tries to pip-install a HEIF plugin: on an offline replica that turns a customer's bad upload into an
    ImportError. Untrusted bytes go straight to Pillow instead.
    """
    patches = sys.modules.get("ultralytics.utils.patches")
    return getattr(patches, "_image_open", None) or Image.open


def decode_image(data: bytes, *, max_pixels: int = 40_000_000) -> Image.Image:
    """Photo bytes → an RGB image, rotated as its EXIF orientation says (first frame of animated images).

    Raises:
        InvalidMedia: Empty, truncated or corrupt image.
        UnsupportedMedia: Not an image Pillow reads (JPEG, PNG, WebP, GIF, BMP, TIFF).
        MediaTooLarge: More than `max_pixels` pixels, judged from the header before any pixel is decoded.
    """
    check_bytes(data)
    Image.init()
    formats = [name for name in _IMAGE_FORMATS if name in Image.OPEN]
    try:
        image = _pillow_open()(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge(f"image is too large to decode safely: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedMedia("not an image (expected JPEG, PNG, WebP, GIF, BMP or TIFF)") from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise InvalidMedia(f"image header is corrupt: {exc}") from exc

    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidMedia(f"image is empty ({width}x{height} pixels)")
    if width * height > max_pixels:
        raise MediaTooLarge(f"image is {width}x{height} = {width * height:,} pixels; the limit is {max_pixels:,}")

    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge(f"image is too large to decode safely: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError) as exc:
        raise InvalidMedia(f"image could not be decoded (truncated or corrupt): {exc}") from exc

    try:
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, struct.error) as exc:
        # A mangled EXIF block should not cost the shopper their photo: use it unrotated.
        logger.info("ignoring unreadable EXIF orientation: %s", exc)
    return _to_rgb(image)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Pillow cannot convert high-bit-depth images to RGB directly: stretch to 8 bits first.
        array = np.asarray(image, dtype=np.float32)
        low, span = float(array.min()), float(array.max() - array.min()) or 1.0
        return Image.fromarray(((array - low) * (255.0 / span)).astype(np.uint8), "L").convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info):
        # Dropping alpha would expose whatever colour transparent pixels happen to hold; put them on white.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    try:
        return image.convert("RGB")
    except ValueError as exc:
        raise UnsupportedMedia(f"image pixel mode {image.mode!r} cannot be shown as RGB") from exc


def read_image_file(path: str | Path, *, max_pixels: int = 40_000_000) -> Image.Image:
    """A catalog photo on disk → an RGB image, decoded exactly as an uploaded one (EXIF rotation, alpha on white).

    Raises:
        OSError: The file cannot be read.
        MediaError: As `decode_image`.
    """
    return decode_image(Path(path).read_bytes(), max_pixels=max_pixels)


def for_embedding(picture: Image.Image, side: int = EMBEDDING_SIDE) -> Image.Image:
    """The picture with its shorter side at most `side` pixels (bicubic), as the embedder is given it everywhere."""
    shorter = min(picture.size)
    if shorter <= side:
        return picture
    scale = side / shorter
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
