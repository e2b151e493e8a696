"""decode_audio on every format a shop receives: what survives decoding, and how each kind of bad upload is refused."""

from __future__ import annotations

import io
import struct
import time

import av
import numpy as np
import pytest

from models.errors import InvalidMedia, MediaError, MediaTooLarge, UnsupportedMedia
from media.audio import decode_audio
from tests.audio_media import AUDIO_FORMATS, AUDIO_MIME, DURATION_TOLERANCE_S, encode_audio, speech_samples, tone
from tests.media import espeak_wav

# An odd source rate, so every format is resampled on its way to 16 kHz.
SOURCE_RATE = 22_050
SPEECH = "hello, my order has not arrived"


def seconds(audio: np.ndarray) -> float:
    return len(audio) / 16_000


def envelope(samples: np.ndarray, rate: int, frame_s: float = 0.02) -> np.ndarray:
    """RMS energy of consecutive 20 ms frames: comparable across sample rates."""
    size = int(rate * frame_s)
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    return np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))


def best_correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 5) -> float:
    """Highest Pearson correlation of two envelopes shifted by up to `max_lag` frames (codec delay)."""
    best = -1.0
    for lag in range(-max_lag, max_lag + 1):
        x, y = (a[lag:], b) if lag >= 0 else (a, b[-lag:])
        n = min(len(x), len(y))
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


def wav_with(samples: bytes, *, data_size: int | None = None, format_tag: int = 1, bits: int = 16) -> bytes:
    """A mono 16 kHz WAV whose header says what the arguments say, whatever the samples behind it."""
    align = bits // 8
    fmt = struct.pack("<HHIIHH", format_tag, 1, 16_000, 16_000 * align, align, bits)
    size = len(samples) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


def pcm16(samples: np.ndarray) -> bytes:
    return (samples * 32767).astype("<i2").tobytes()


def silent_mp4(seconds: float = 1.0, fps: int = 10) -> bytes:
    """A video with a picture track and no sound at all, as a screen recording without a microphone is."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(int(seconds * fps)):
            pixels = np.full((32, 32, 3), 10 * i, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


@pytest.fixture(scope="module")
def tone_files() -> dict[str, bytes]:
    """Three seconds of 440 Hz in every format."""
    samples = tone(3.0, SOURCE_RATE)
    return {fmt: encode_audio(samples, SOURCE_RATE, fmt) for fmt in AUDIO_FORMATS}


# --------------------------------------------------------------------------------------------- what survives


def test_every_format_has_a_duration_tolerance_and_a_mime_type():
    assert set(DURATION_TOLERANCE_S) == set(AUDIO_FORMATS) == set(AUDIO_MIME)


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_a_tone_keeps_its_length_pitch_and_loudness(fmt, tone_files):
    audio = decode_audio(tone_files[fmt])
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert seconds(audio) == pytest.approx(3.0, abs=DURATION_TOLERANCE_S[fmt])
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) * 16_000 / len(audio) == pytest.approx(440.0, abs=3.0)
    # 0.3 amplitude → RMS 0.212. AMR, a speech codec, damps a steady tone by ~20%; none may lose or inflate it.
    assert 0.6 < float(np.sqrt(np.mean(audio**2))) / (0.3 / np.sqrt(2)) < 1.2
    assert float(np.abs(audio).max()) <= 1.0


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_speech_keeps_its_length_and_rhythm(fmt):
    source, rate = speech_samples(SPEECH)
    audio = decode_audio(encode_audio(source, rate, fmt))
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert seconds(audio) == pytest.approx(len(source) / rate, abs=DURATION_TOLERANCE_S[fmt])
    # Syllables and pauses land where the source has them: the energy envelopes rise and fall together.
    assert best_correlation(envelope(audio, 16_000), envelope(source, rate)) > 0.9


def test_speech_is_not_mistaken_for_noise():
    """The envelope check can fail: a different sentence, or noise, does not correlate with the source."""
    source, rate = speech_samples(SPEECH)
    other, other_rate = speech_samples("please refund the blue jacket today")
    noise = np.random.default_rng(0).normal(0, 0.1, len(source)).astype(np.float32)
    reference = envelope(source, rate)
    assert best_correlation(envelope(decode_audio(encode_audio(other, other_rate, "ogg")), 16_000), reference) < 0.8
    assert best_correlation(envelope(noise, rate), reference) < 0.5


# ------------------------------------------------------------------------------------------------- bad input


def test_empty_bytes_are_invalid():
    with pytest.raises(InvalidMedia, match="empty"):
        decode_audio(b"")


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_are_not_audio(seed):
    with pytest.raises(UnsupportedMedia, match="not an audio file"):
        decode_audio(np.random.default_rng(seed).bytes(4096))


@pytest.mark.parametrize("cut", ["half", "first-200-bytes"])
@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_a_cut_off_upload_is_invalid_not_half_transcribed(fmt, cut, tone_files):
    data = tone_files[fmt]
    with pytest.raises(InvalidMedia, match="truncated"):
        decode_audio(data[: len(data) // 2] if cut == "half" else data[:200])


def test_a_video_without_sound_has_no_audio_track():
    with pytest.raises(UnsupportedMedia, match="no audio track"):
        decode_audio(silent_mp4())


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_audio_over_the_limit_is_too_large(fmt):
    data = encode_audio(tone(8.0, SOURCE_RATE), SOURCE_RATE, fmt)
    assert seconds(decode_audio(data, max_seconds=9.0)) == pytest.approx(8.0, abs=DURATION_TOLERANCE_S[fmt])
    with pytest.raises(MediaTooLarge, match="5 s limit"):
        decode_audio(data, max_seconds=5.0)


def test_decoding_stops_at_the_limit():
    """Past the limit nothing more is read: a long file with a damaged end is too large, not corrupt."""
    clip = encode_audio(tone(10.0, 16_000), 16_000, "aac")  # ADTS: frames simply follow one another
    damaged = clip + clip[: len(clip) // 2]
    with pytest.raises(InvalidMedia):
        decode_audio(damaged, max_seconds=60.0)
    with pytest.raises(MediaTooLarge):
        decode_audio(damaged, max_seconds=5.0)


def test_hours_of_amr_inside_the_byte_limit_are_refused_at_once():
    """AMR packs an hour into ~5.5 MB, so the upload limit alone does not bound the work; the duration limit does."""
    clip = encode_audio(tone(2.0, 8_000), 8_000, "amr")
    three_hours = clip[:6] + clip[6:] * 5_400  # "#!AMR\n" and then 20 ms frames back to back
    started = time.monotonic()
    with pytest.raises(MediaTooLarge):
        decode_audio(three_hours, max_seconds=10.0)
    assert time.monotonic() - started < 2.0  # decoding all three hours takes ~40 s on one core


def test_a_wav_header_claiming_an_hour_over_half_a_second_is_truncated():
    data = wav_with(pcm16(tone(0.5)), data_size=3_600 * 32_000)
    started = time.monotonic()
    with pytest.raises(InvalidMedia, match="truncated") as caught:
        decode_audio(data)
    assert time.monotonic() - started < 1.0
    assert "115,200,000" in str(caught.value)  # the message says what the header claimed


@pytest.mark.parametrize("placeholder", [0, 0x7FFF_F000, 0x7FFF_FFFF, 0xFFFF_FFFF])
def test_a_streamed_wav_with_a_placeholder_size_is_decoded(placeholder):
    """Writers that cannot seek back leave the data size at 0 or a huge placeholder; their audio is still good."""
    audio = decode_audio(wav_with(pcm16(tone(0.5)), data_size=placeholder))
    assert seconds(audio) == pytest.approx(0.5, abs=0.002)


def test_espeak_wav_straight_from_its_pipe_is_decoded():
    """espeak-ng --stdout writes data size 0x7FFFF000: a streamed WAV, not a truncated one."""
    data = espeak_wav(SPEECH)
    assert int.from_bytes(data[40:44], "little") == 0x7FFF_F000  # what this test guards: the placeholder is there
    source, rate = speech_samples(SPEECH)
    assert seconds(decode_audio(data)) == pytest.approx(len(source) / rate, abs=0.002)


def test_a_wav_in_a_codec_ffmpeg_lacks_is_unsupported():
    with pytest.raises(UnsupportedMedia, match="codec"):
        decode_audio(wav_with(b"\x00" * 8_000, format_tag=0x1234))


def test_float_wav_with_nan_inf_and_huge_values_stays_within_one():
    values = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 0.5], dtype="<f4")
    audio = decode_audio(wav_with(np.tile(values, 2_000).tobytes(), format_tag=3, bits=32))
    assert np.isfinite(audio).all() and float(np.abs(audio).max()) <= 1.0
    assert float(np.abs(audio).max()) == 1.0  # clipped, not zeroed


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_damaged_files_give_audio_or_a_media_error_never_a_crash_or_a_hang(fmt, tone_files):
    data = tone_files[fmt]
    rng = np.random.default_rng(sum(map(ord, fmt)))
    for trial in range(24):
        damaged = bytearray(data)
        if trial % 3 == 2:
            damaged = damaged[: int(rng.integers(1, len(data)))]
        else:
            # Even trials hit the header, where a flipped byte does the most harm; odd ones anywhere.
            span = min(len(data), 128) if trial % 3 == 0 else len(data)
            for _ in range(int(rng.integers(1, 8))):
                damaged[int(rng.integers(0, span))] = int(rng.integers(0, 256))
        started = time.monotonic()
        try:
            audio = decode_audio(bytes(damaged), max_seconds=10.0)
        except MediaError as exc:
            assert str(exc)
        else:
            assert audio.dtype == np.float32 and audio.ndim == 1 and audio.size > 0
            assert np.isfinite(audio).all() and float(np.abs(audio).max()) <= 1.0
        assert time.monotonic() - started < 2.0
