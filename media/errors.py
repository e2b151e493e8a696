"""What goes wrong with media a user sends: each error a ValueError with a stable `code` for API clients."""

from __future__ import annotations


class MediaError(ValueError):
    """Media a user sent cannot be used. `code` is a stable machine-readable reason for API clients."""

    code: str = "invalid_media"


class InvalidMedia(MediaError):
    """The file is of a known kind but undecodable, truncated or empty."""

    code = "invalid_media"


class UnsupportedMedia(MediaError):
    """The file is not audio, not an image or not a video at all (or a codec this FFmpeg build lacks)."""

    code = "unsupported_media"


class MediaTooLarge(MediaError):
    """The file is over a byte, pixel or duration limit."""

    code = "media_too_large"


def check_bytes(data: bytes) -> None:
    """The first check of every decoder: bytes, and not none of them."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"media must be bytes, not {type(data).__name__}")
    if len(data) == 0:
        raise InvalidMedia("empty file")
