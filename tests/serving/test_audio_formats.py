"""Voice notes in every format a shop receives, over HTTP on tiny models: transcribed, or refused with a clear 4xx."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from models.errors import InvalidMedia, MediaError, MediaTooLarge, UnsupportedMedia
from media.audio import decode_audio
from tests.audio_media import AUDIO_FORMATS, AUDIO_MIME, DURATION_TOLERANCE_S, encode_audio, speech_samples, tone
from tests.serving.conftest import free_port, start_kefu, stop_kefu, tiny_args
from tests.serving.test_api import assert_envelope

pytestmark = pytest.mark.serving

SPEECH = "hello, my order has not arrived"
# Small limits, so "too long" and "too big" take small uploads: a 5 s voice note and a 600 kB file.
MAX_AUDIO_SECONDS = 5
MAX_UPLOAD_BYTES = 600_000
# The HTTP status the ingress gives each MediaError class (serving/errors.py).
STATUS_OF = {MediaTooLarge: 413, UnsupportedMedia: 415, InvalidMedia: 400}


@pytest.fixture(scope="module")
def audio_app(tmp_path_factory, tiny_whisper, tiny_clip, tiny_yolo) -> str:
    """kefu on tiny models as tests/serving/conftest.py's `tiny_app` starts it, with small audio limits."""
    limits = {"max_upload_bytes": MAX_UPLOAD_BYTES, "max_audio_seconds": MAX_AUDIO_SECONDS}
    args = tiny_args(tmp_path_factory.mktemp("serving-audio"), tiny_whisper, tiny_clip, tiny_yolo, limits=limits)
    url = start_kefu(args, free_port())
    yield url
    stop_kefu()


@pytest.fixture(scope="module")
def client(audio_app):
    with httpx.Client(base_url=audio_app, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    return speech_samples(SPEECH)


def note(speech: tuple[np.ndarray, int], fmt: str) -> bytes:
    samples, rate = speech
    return encode_audio(samples, rate, fmt)


def transcribe(client: httpx.Client, data: bytes, fmt: str, **fields) -> httpx.Response:
    return client.post("/v1/audio/transcriptions", files={"file": (f"note.{fmt}", data, AUDIO_MIME[fmt])},
                       data={"model": "whisper-1", **fields})


def media_status(data: bytes) -> tuple[int, str]:
    """The status and code the ingress must answer for `data`, from the MediaError decode_audio raises on it."""
    with pytest.raises(MediaError) as caught:
        decode_audio(data, max_seconds=MAX_AUDIO_SECONDS)
    return STATUS_OF[type(caught.value)], caught.value.code


# ------------------------------------------------------------------------------------------------- every format


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_every_format_is_transcribed(client, speech, fmt):
    r = transcribe(client, note(speech, fmt), fmt, response_format="verbose_json", language="en")
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["text"], str) and body["text"].strip()
    samples, rate = speech
    assert body["duration"] == pytest.approx(len(samples) / rate, abs=DURATION_TOLERANCE_S[fmt] + 0.01)
    assert body["segments"] and all(0 <= s["start"] <= s["end"] <= body["duration"] for s in body["segments"])


@pytest.mark.parametrize("fmt", ["amr", "ogg"])
def test_a_voice_note_in_a_conversation(client, speech, fmt):
    r = client.post(f"/v1/conversations/t-note-{fmt}/messages", data={"customer_id": "C1001", "channel": "web"},
                    files={"audio": (f"note.{fmt}", note(speech, fmt), AUDIO_MIME[fmt])})
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["transcript"], str) and body["transcript"].strip()
    assert "transcribe" in body["timings_ms"]


# --------------------------------------------------------------------------------------------------- bad input


def test_an_empty_file(client):
    assert_envelope(transcribe(client, b"", "wav"), 400, "empty_file")


def test_bytes_that_are_not_audio(client):
    junk = np.random.default_rng(0).bytes(4096)
    assert_envelope(transcribe(client, junk, "mp3"), 415, "unsupported_media")


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_a_cut_off_file_is_refused_as_decode_audio_says(client, speech, fmt):
    data = note(speech, fmt)
    cut = data[: len(data) // 2]
    status, code = media_status(cut)
    assert status in (400, 415)
    error = assert_envelope(transcribe(client, cut, fmt), status, code)
    assert error["type"] == "invalid_request_error"


def test_a_cut_off_note_in_a_conversation(client, speech):
    data = note(speech, "amr")
    cut = data[:200]
    status, code = media_status(cut)
    r = client.post("/v1/conversations/t-cut/messages", data={"customer_id": "C1001"},
                    files={"audio": ("note.amr", cut, "audio/amr")})
    assert_envelope(r, status, code)


@pytest.mark.parametrize("fmt", ["ogg", "m4a", "wav"])
def test_a_note_longer_than_the_limit(client, fmt):
    long_note = encode_audio(tone(MAX_AUDIO_SECONDS + 3.0), 16_000, fmt)
    assert len(long_note) < MAX_UPLOAD_BYTES  # refused for its length, not its size
    error = assert_envelope(transcribe(client, long_note, fmt), 413, "media_too_large")
    assert f"{MAX_AUDIO_SECONDS} s" in error["message"]


def test_an_upload_over_the_byte_limit(client):
    big = encode_audio(tone(MAX_UPLOAD_BYTES / 32_000 + 1.0), 16_000, "wav")  # 16 kHz 16-bit: 32 kB a second
    assert len(big) > MAX_UPLOAD_BYTES
    error = assert_envelope(transcribe(client, big, "wav"), 413, "media_too_large")
    assert f"{MAX_UPLOAD_BYTES}" in error["message"]


def test_silence_is_no_speech(client):
    """Two seconds of digital silence decode fine but hold nothing to transcribe (the Transcriber's contract)."""
    error = assert_envelope(transcribe(client, encode_audio(np.zeros(32_000, np.float32), 16_000, "wav"), "wav"),
                            400, "no_speech")
    assert error["type"] == "invalid_request_error"


def test_a_tone_is_no_speech(client):
    """A 440 Hz beep is sound but not speech (the Transcriber's contract)."""
    assert_envelope(transcribe(client, encode_audio(tone(1.0), 16_000, "wav"), "wav"), 400, "no_speech")


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_damaged_uploads_never_get_a_server_error(client, speech, fmt):
    data = note(speech, fmt)
    rng = np.random.default_rng(sum(map(ord, fmt)))
    for trial in range(4):
        damaged = bytearray(data)
        if trial == 3:
            damaged = damaged[: int(rng.integers(1, len(data)))]
        else:
            span = 128 if trial == 0 else len(data)  # the header, where a flipped byte does the most harm
            for _ in range(4):
                damaged[int(rng.integers(0, min(span, len(data))))] = int(rng.integers(0, 256))
        r = transcribe(client, bytes(damaged), fmt)
        if r.status_code != 200:
            assert_envelope(r, r.status_code)
            assert r.status_code in (400, 413, 415), r.text
    assert client.get("/healthz").status_code == 200
