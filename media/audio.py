"""Voice notes from untrusted bytes: every audio format shops receive → 16 kHz mono float32, or a clear MediaError."""

from __future__ import annotations

import av
import numpy as np

from media import av_open
from media.errors import InvalidMedia, MediaTooLarge, UnsupportedMedia


# Leading bytes of the audio containers shops receive. A file that starts like one yet FFmpeg cannot open is a damaged
# upload of a known kind (the customer should send it again), not a format kefu does not take.
_AUDIO_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"ID3", "MP3"),
    (0, b"OggS", "Ogg"),
    (0, b"\x1aE\xdf\xa3", "WebM"),
    (0, b"fLaC", "FLAC"),
    (0, b"#!AMR", "AMR"),
    (4, b"ftyp", "MP4/M4A"),
)
# First two bytes of the MPEG audio frames encoders write (MP3 layer III of MPEG-1/2/2.5, and ADTS AAC), with and
# without CRC. Whole bytes, not just the 11-bit frame sync, which one random upload in 2,048 starts with.
_MPEG_FRAME_STARTS = frozenset({b"\xff\xfb", b"\xff\xfa", b"\xff\xf3", b"\xff\xf2", b"\xff\xe3", b"\xff\xe2",
                                b"\xff\xf1", b"\xff\xf9"})
# Containers whose header states the exact length of the audio, rather than an estimate from the bit rate (ADTS, AMR,
# MP3 without a Xing/Info/VBRI tag), so audio ending well short of it was cut off.
_EXACT_LENGTH_FORMATS = ("flac", "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm")
_MP3_LENGTH_TAGS = (b"Xing", b"Info", b"VBRI")
# Codecs pad and trim a few milliseconds at either end; a shortfall beyond this is missing audio, not rounding.
_TRUNCATION_SLACK_S = 0.5
# WAV writers that stream (they cannot seek back to patch the header) leave the data chunk's size at 0 or at a huge
# placeholder: 0xFFFFFFFF (FFmpeg to a pipe), 0x7FFFFFFF, 0x7FFFF000 (espeak-ng --stdout). No voice note is 2 GB.
_WAV_PLACEHOLDER_SIZE = 0x7F00_0000
# Bytes a WAV data chunk may fall short of its header before the file counts as cut off (a few ms of samples).
_WAV_SHORTFALL_SLACK = 1024
# The largest Ogg page: 27-byte header, 255 lacing values, 255 segments of 255 bytes.
_OGG_MAX_PAGE = 27 + 255 + 255 * 255


def _audio_kind(data: bytes) -> str | None:
    """The audio container the first bytes announce, or None."""
    head = bytes(data[:12])
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "WAV"
    for offset, magic, kind in _AUDIO_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if head[:2] in _MPEG_FRAME_STARTS:
        return "MP3/AAC"  # a bare MPEG audio frame without an ID3 tag in front
    return None


def _open_audio(data: bytes) -> av.container.InputContainer:
    try:
        return av_open.open_av(data, "an audio")
    except UnsupportedMedia as exc:
        kind = _audio_kind(data)
        if kind is None:
            raise
        cause = exc.__cause__
        reason = av_open.reason(cause) if isinstance(cause, av.error.FFmpegError) else str(exc)
        raise InvalidMedia(f"this looks like {kind} audio but it cannot be read: truncated or corrupt ({reason})") from exc


def _cut_off(data: bytes, container: av.container.InputContainer) -> str | None:
    """Why the file visibly stops before its end (where FFmpeg quietly decodes what arrived), or None."""
    view = memoryview(data)
    if _audio_kind(data) == "WAV":
        offset = 12
        while offset + 8 <= len(view):
            size = int.from_bytes(view[offset + 4 : offset + 8], "little")
            if view[offset : offset + 4] == b"data":
                present = len(view) - offset - 8
                if 0 < size < _WAV_PLACEHOLDER_SIZE and size > present + _WAV_SHORTFALL_SLACK:
                    return f"its header announces {size:,} bytes of audio but only {present:,} arrived"
                return None
            offset += 8 + size + (size & 1)  # RIFF chunks are padded to an even length
    elif container.format.name == "ogg":
        tail = bytes(view[-_OGG_MAX_PAGE:])
        last = tail.rfind(b"OggS")
        # A finished Ogg stream ends with a page flagged end-of-stream (0x04); a cut-off upload does not.
        if last >= 0 and last + 5 < len(tail) and not tail[last + 5] & 0x04:
            return "it stops before its end-of-stream page"
    return None


def _announced_seconds(data: bytes, container: av.container.InputContainer, stream: av.stream.Stream) -> float | None:
    """The audio's length as an exact header states it, or None where the header only estimates it."""
    name = container.format.name
    if name == "mp3":
        start = 0
        if bytes(data[:3]) == b"ID3" and len(data) >= 10:  # skip the ID3v2 tag (its size is stored 7 bits a byte)
            start = 10 + (data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9])
        first_frame = bytes(data[start : start + 64])
        if not any(tag in first_frame for tag in _MP3_LENGTH_TAGS):
            return None
    elif name not in _EXACT_LENGTH_FORMATS:
        return None
    if stream.duration is None and len(container.streams) > 1:
        return None  # the container's duration is its longest track's, maybe a video's
    return av_open.duration(container, stream)


def decode_audio(data: bytes, *, sample_rate: int = 16_000, max_seconds: float = 120.0) -> np.ndarray:
    """Any audio FFmpeg reads (wav, mp3, m4a/aac, ogg/opus, webm, flac, amr, or a video's sound) → float32 mono.

    Raises:
        InvalidMedia: Empty, corrupt, no samples at all, or cut off: a known audio container FFmpeg cannot open,
            fewer samples than a header that states the exact length announces (WAV, FLAC, MP4/M4A, WebM, MP3
            with a Xing/Info tag), or an Ogg stream without its end-of-stream page.
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
    container = _open_audio(data)
    with container:
        if not container.streams.audio:
            raise UnsupportedMedia("the file has no audio track")
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            raise UnsupportedMedia("this FFmpeg build cannot decode the audio codec of this file")
        cut_off = _cut_off(data, container)
        if cut_off is not None:
            raise InvalidMedia(f"the audio file is truncated: {cut_off}")
        announced = _announced_seconds(data, container, stream)
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
            raise InvalidMedia(f"audio could not be decoded, truncated or corrupt ({av_open.reason(exc)})") from exc
        except ValueError as exc:
            # PyAV's resampler refuses frames whose format changes mid-stream.
            raise InvalidMedia(f"audio could not be decoded: {exc}") from exc
    if total == 0:
        raise InvalidMedia("the audio track holds no samples")
    decoded = total / sample_rate
    if announced is not None and announced - decoded > max(_TRUNCATION_SLACK_S, 0.05 * announced):
        raise InvalidMedia(f"the audio is truncated: its header announces {announced:.1f} s but it holds {decoded:.1f} s")
    audio = np.concatenate(pieces).astype(np.float32, copy=False)
    # Float PCM can carry NaN, inf or huge values, which would turn whisper's log-mel features into garbage.
    audio = np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0, copy=False)
    return np.clip(audio, -1.0, 1.0, out=audio)
