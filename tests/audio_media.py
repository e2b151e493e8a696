"""Test audio made on the spot: any waveform encoded in every container a shop receives, and espeak-ng speech."""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from tests.media import espeak_wav


@dataclass(frozen=True)
class AudioFormat:
    """How one upload format is written.

    Attributes:
        container: FFmpeg muxer name (the file extension a shopper's upload carries is the key of `_FORMATS`).
        codecs: Encoder names to try in order; the first this FFmpeg build has is used.
        rate: Sample rate the encoder is fed (samples are resampled to it first); None keeps the source rate.
        layout: Channel layout the encoder is fed; mono samples are copied to every channel.
        bit_rate: Encoder bit rate in bits/s, or None for the encoder's default.
        options: Extra encoder options (e.g. FFmpeg's experimental native Vorbis encoder needs `strict`).
    """

    container: str
    codecs: tuple[str, ...]
    rate: int | None = None
    layout: str = "mono"
    bit_rate: int | None = None
    options: tuple[tuple[str, str], ...] = ()


_FORMATS: dict[str, AudioFormat] = {
    "wav": AudioFormat("wav", ("pcm_s16le",)),
    "mp3": AudioFormat("mp3", ("libmp3lame", "mp3"), rate=44_100),
    "m4a": AudioFormat("ipod", ("aac",), rate=44_100),
    "aac": AudioFormat("adts", ("aac",), rate=44_100),
    "ogg": AudioFormat("ogg", ("libopus", "opus"), rate=48_000),
    # FFmpeg's own Vorbis encoder is marked experimental and only writes stereo.
    "oga": AudioFormat("ogg", ("libvorbis", "vorbis"), rate=44_100, layout="stereo",
                       options=(("strict", "experimental"),)),
    "webm": AudioFormat("webm", ("libopus", "opus"), rate=48_000),
    "flac": AudioFormat("flac", ("flac",)),
    # AMR-NB is 8 kHz mono only, at one of eight fixed bit rates; 12.2 kbit/s is what phones record voice notes at.
    "amr": AudioFormat("amr", ("libopencore_amrnb", "amr_nb"), rate=8_000, bit_rate=12_200),
}

# File extensions of every audio upload a shop receives, in the order tests list them.
AUDIO_FORMATS: tuple[str, ...] = tuple(_FORMATS)

# How far each codec may move a clip's length: PCM and FLAC are exact; lossy codecs add priming or pad their last
# frame (AAC by up to two 1024-sample frames, AMR by one 20 ms frame).
DURATION_TOLERANCE_S: dict[str, float] = {
    "wav": 0.002, "mp3": 0.03, "m4a": 0.07, "aac": 0.07, "ogg": 0.03, "oga": 0.03, "webm": 0.03, "flac": 0.002,
    "amr": 0.05,
}

# MIME types browsers and phones send with those files.
AUDIO_MIME: dict[str, str] = {
    "wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "aac": "audio/aac", "ogg": "audio/ogg",
    "oga": "audio/ogg", "webm": "audio/webm", "flac": "audio/flac", "amr": "audio/amr",
}


def _encoder(spec: AudioFormat) -> str:
    for name in spec.codecs:
        try:
            av.codec.Codec(name, "w")
        except av.codec.codec.UnknownCodecError:
            continue
        return name
    raise RuntimeError(f"this FFmpeg build has none of the encoders {spec.codecs}")


def encode_audio(samples: np.ndarray, rate: int, fmt: str) -> bytes:
    """Mono float32 `samples` at `rate` Hz → the bytes of a `fmt` file (one of AUDIO_FORMATS), written with PyAV.

    Samples are resampled to the rate, channel layout, sample format and frame size the encoder wants.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}; expected one of {AUDIO_FORMATS}")
    spec = _FORMATS[fmt]
    samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    codec_rate = spec.rate or rate
    buf = io.BytesIO()
    with av.open(buf, "w", format=spec.container) as container:
        stream = container.add_stream(_encoder(spec), rate=codec_rate, options=dict(spec.options))
        stream.layout = spec.layout
        if spec.bit_rate is not None:
            stream.bit_rate = spec.bit_rate
        ctx = stream.codec_context
        resampler = av.AudioResampler(format=ctx.format.name, layout=spec.layout, rate=codec_rate,
                                      frame_size=ctx.frame_size or 1024)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = rate
        written = 0
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            # Without timestamps the Ogg muxer cannot cut pages, and writes the whole stream as one giant page.
            chunk.pts, chunk.time_base = written, Fraction(1, codec_rate)
            written += chunk.samples
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def tone(seconds: float, rate: int = 16_000, freq: float = 440.0, amplitude: float = 0.3) -> np.ndarray:
    """A pure sine wave as float32 samples."""
    return (amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def speech_samples(text: str, voice: str = "en-us") -> tuple[np.ndarray, int]:
    """espeak-ng saying `text` as (float32 mono samples in [-1, 1], sample rate); skips where espeak-ng is missing."""
    with av.open(io.BytesIO(espeak_wav(text, voice)), "r") as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        pieces = [out.to_ndarray().reshape(-1) for frame in container.decode(stream)
                  for out in resampler.resample(frame)]
        pieces += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    return np.concatenate(pieces).astype(np.float32), rate
