"""Decode user media safely: images with Pillow, audio and video with PyAV, every failure a MediaError."""

from __future__ import annotations

import io
import logging
import struct
import sys
from dataclasses import dataclass

import av
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import InvalidMedia, MediaTooLarge, UnsupportedMedia

logger = logging.getLogger("kefu.models")

# Formats a shopper's phone or browser sends. Naming them keeps Pillow's rarer (and less hardened) decoders away
# from untrusted bytes.
_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO", "AVIF", "HEIF")
# Headers round durations and codecs pad the last frame: allow this much past a limit before calling it too long.
_DURATION_SLACK_S = 1.0


def _pillow_open():
    """Pillow's own Image.open.

    Importing ultralytics replaces Image.open process-wide with a wrapper that, on input Pillow cannot identify,
    tries to pip-install a HEIF plugin: on an offline replica that turns a customer's bad upload into an
    ImportError. Untrusted bytes go straight to Pillow instead.
    """
    patches = sys.modules.get("ultralytics.utils.patches")
    return getattr(patches, "_image_open", None) or Image.open


def _check_bytes(data: bytes) -> None:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"media must be bytes, not {type(data).__name__}")
    if len(data) == 0:
        raise InvalidMedia("empty file")


# ---------------------------------------------------------------------------------------------------------- images


def decode_image(data: bytes, *, max_pixels: int = 40_000_000) -> Image.Image:
    """Photo bytes → an RGB image, rotated as its EXIF orientation says (first frame of animated images).

    Raises:
        InvalidMedia: Empty, truncated or corrupt image.
        UnsupportedMedia: Not an image Pillow reads (JPEG, PNG, WebP, GIF, BMP, TIFF).
        MediaTooLarge: More than `max_pixels` pixels, judged from the header before any pixel is decoded.
    """
    _check_bytes(data)
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


# ---------------------------------------------------------------------------------------------- audio and video


def _open_av(data: bytes, what: str) -> av.container.InputContainer:
    _check_bytes(data)
    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise UnsupportedMedia(f"not {what} file FFmpeg can read ({_reason(exc)})") from exc
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InvalidMedia(f"{what} file could not be opened: {exc}") from exc


def _reason(exc: av.error.FFmpegError) -> str:
    """FFmpeg's words without PyAV's errno and '<none>' file name."""
    return str(getattr(exc, "strerror", None) or exc)


def _duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float | None:
    """Seconds the container or stream header reports, or None when neither knows."""
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def decode_audio(data: bytes, *, sample_rate: int = 16_000, max_seconds: float = 120.0) -> np.ndarray:
    """Any audio FFmpeg reads (wav, mp3, m4a/aac, ogg/opus, webm, flac, amr, or a video's sound) → float32 mono.

    Raises:
        InvalidMedia: Empty, corrupt, or no samples at all.
        UnsupportedMedia: Not a media file, or it has no audio track, or this FFmpeg lacks its codec.
        MediaTooLarge: Longer than `max_seconds`; decoding stops as soon as the limit is passed.
    """
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate < 1:
        raise ValueError(f"sample_rate must be a positive integer, not {sample_rate!r}")
    if not max_seconds > 0:
        raise ValueError(f"max_seconds must be positive, not {max_seconds!r}")
    limit = int(max_seconds * sample_rate)
    pieces: list[np.ndarray] = []
    total = 0
    container = _open_av(data, "an audio")
    with container:
        if not container.streams.audio:
            raise UnsupportedMedia("the file has no audio track")
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            raise UnsupportedMedia(f"this FFmpeg build cannot decode the audio codec of this file ({stream.name})")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)

        def take(resampled: list[av.AudioFrame]) -> None:
            nonlocal total
            for out in resampled:
                samples = out.to_ndarray().reshape(-1)
                total += samples.size
                if total > limit:
                    raise MediaTooLarge(f"audio is longer than the {max_seconds:g} s limit")
                pieces.append(samples)

        try:
            for frame in container.decode(stream):
                take(resampler.resample(frame))
            # Flushing matters: without it the last few milliseconds stay inside the resampler.
            take(resampler.resample(None))
        except MediaTooLarge:
            raise
        except av.error.FFmpegError as exc:
            raise InvalidMedia(f"audio could not be decoded, truncated or corrupt ({_reason(exc)})") from exc
        except ValueError as exc:
            # PyAV's resampler refuses frames whose format changes mid-stream.
            raise InvalidMedia(f"audio could not be decoded: {exc}") from exc
    if total == 0:
        raise InvalidMedia("the audio track holds no samples")
    audio = np.concatenate(pieces).astype(np.float32, copy=False)
    # pcm_f32 input can carry NaN/inf, which would turn whisper's log-mel features into garbage.
    return np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0, copy=False)


@dataclass
class _Kept:
    index: int
    time: float
    frame: av.VideoFrame


def decode_video_frames(
    data: bytes, *, max_frames: int = 16, max_seconds: float = 120.0, max_pixels: int = 40_000_000
) -> list[tuple[float, Image.Image]]:
    """Video bytes → up to `max_frames` (seconds from the start, RGB image) pairs spread evenly over the video.

    Raises:
        InvalidMedia: Empty, corrupt, or no decodable frame.
        UnsupportedMedia: Not a media file, a still image, no video track, or a codec this FFmpeg lacks.
        MediaTooLarge: Longer than `max_seconds` (from the header when it says so, else while decoding), or frames
            bigger than `max_pixels`.
    """
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise ValueError(f"max_frames must be a positive integer, not {max_frames!r}")
    container = _open_av(data, "a video")
    with container:
        if container.format.name == "image2" or container.format.name.endswith("_pipe"):
            raise UnsupportedMedia("this is a still image, not a video; send it as an image")
        if not container.streams.video:
            raise UnsupportedMedia("the file has no video track")
        stream = container.streams.video[0]
        if stream.codec_context is None:
            raise UnsupportedMedia(f"this FFmpeg build cannot decode the video codec of this file ({stream.name})")
        if stream.width * stream.height > max_pixels:
            raise MediaTooLarge(f"video frames are {stream.width}x{stream.height}; the limit is {max_pixels:,} pixels")
        duration = _duration(container, stream)
        if duration is not None and duration > max_seconds + _DURATION_SLACK_S:
            raise MediaTooLarge(f"video is {duration:.1f} s long; the limit is {max_seconds:g} s")
        stream.thread_type = "AUTO"
        try:
            if duration is not None:
                kept = _sample_by_time(container, stream, duration, max_frames, max_seconds)
            else:
                kept = _sample_by_count(container, stream, max_frames, max_seconds)
            frames = [(round(k.time, 3), k.frame.to_image().convert("RGB")) for k in kept]
        except av.error.FFmpegError as exc:
            raise InvalidMedia(f"video could not be decoded, truncated or corrupt ({_reason(exc)})") from exc
    if not frames:
        raise InvalidMedia("the video track holds no decodable frame")
    return frames


def _frame_times(container, stream):
    """(index, seconds from the stream's start, frame), with strictly increasing times (broken pts are dropped)."""
    start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    rate = float(stream.average_rate) if stream.average_rate else 25.0
    last = -1.0
    for index, frame in enumerate(container.decode(stream)):
        time = frame.time - start if frame.time is not None else index / rate
        if time <= last:
            continue
        last = time
        yield index, max(time, 0.0), frame


def _sample_by_time(container, stream, duration: float, max_frames: int, max_seconds: float) -> list[_Kept]:
    """The first frame at or after the middle of each of `max_frames` equal slices of the duration."""
    targets = [duration * (i + 0.5) / max_frames for i in range(max_frames)]
    kept: list[_Kept] = []
    last: _Kept | None = None
    for index, time, frame in _frame_times(container, stream):
        if time > max_seconds + _DURATION_SLACK_S:
            raise MediaTooLarge(f"video is longer than the {max_seconds:g} s limit")
        last = _Kept(index, time, frame)
        if targets and time >= targets[0]:
            kept.append(last)
            while targets and targets[0] <= time:
                targets.pop(0)
        if not targets:
            break  # every slice has its frame: no need to decode the rest
    if targets and last is not None and (not kept or kept[-1].index != last.index):
        # The header overstated the duration: the last frame stands in for the slices past the end.
        kept.append(last)
    return kept


def _sample_by_count(container, stream, max_frames: int, max_seconds: float) -> list[_Kept]:
    """Evenly spaced frames when the length is unknown: keep every `stride`-th, doubling the stride as needed."""
    stride = 1
    kept: list[_Kept] = []
    for index, time, frame in _frame_times(container, stream):
        if time > max_seconds + _DURATION_SLACK_S:
            raise MediaTooLarge(f"video is longer than the {max_seconds:g} s limit")
        if index % stride:
            continue
        kept.append(_Kept(index, time, frame))
        if len(kept) > 2 * max_frames:
            # Bounded memory whatever the length: at most 2 * max_frames decoded frames are held at once.
            stride *= 2
            kept = [k for k in kept if k.index % stride == 0]
    if len(kept) <= max_frames:
        return kept
    picks = sorted({int(round(i)) for i in np.linspace(0, len(kept) - 1, max_frames)})
    return [kept[i] for i in picks]
