"""Opening audio and video containers from untrusted bytes with PyAV, and what their headers say."""

from __future__ import annotations

import io

import av

from media.errors import InvalidMedia, UnsupportedMedia, check_bytes

# Headers round durations and codecs pad the last frame: allow this much past a limit before calling it too long.
DURATION_SLACK_S = 1.0


def open_av(data: bytes, what: str) -> av.container.InputContainer:
    check_bytes(data)
    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise UnsupportedMedia(f"not {what} file FFmpeg can read ({reason(exc)})") from exc
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InvalidMedia(f"{what} file could not be opened: {exc}") from exc


def reason(exc: av.error.FFmpegError) -> str:
    """FFmpeg's words without PyAV's errno and '<none>' file name."""
    return str(getattr(exc, "strerror", None) or exc)


def duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float | None:
    """Seconds the container or stream header reports, or None when neither knows."""
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None
