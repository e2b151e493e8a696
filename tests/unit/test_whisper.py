"""The faster-whisper wrapper, on a tiny random-init Whisper (see tests/tiny/whisper.py): shapes, not words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import Segment, Transcriber, Transcript, load_transcriber
from models.errors import InvalidMedia, UnsupportedLanguage, WeightsNotFound
from models.whisper import WhisperConfig, WhisperTranscriber

RATE = 16_000


@pytest.fixture(scope="module")
def transcriber(tiny_whisper: Path) -> WhisperTranscriber:
    # Random weights babble until the token limit, and temperature fallback would babble six times: cap both.
    config = WhisperConfig(
        model=str(tiny_whisper),
        cpu_threads=1,
        beam_size=1,
        vad_filter=False,
        temperature_fallback=False,
        max_new_tokens=24,
    )
    return WhisperTranscriber(config)


def noise(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.1, int(seconds * RATE)).astype(np.float32)


def test_it_is_a_transcriber(transcriber):
    assert isinstance(transcriber, Transcriber)
    assert transcriber.device == "cpu" and transcriber.compute_type in ("int8", "float32")


def test_one_transcript_per_waveform_with_its_duration(transcriber):
    results = transcriber.transcribe([noise(1.0, 0), noise(2.5, 1)])
    assert [type(r) for r in results] == [Transcript, Transcript]
    assert [r.duration for r in results] == pytest.approx([1.0, 2.5])
    for result in results:
        assert isinstance(result.segments, list)
        assert 0.0 <= result.language_probability <= 1.0
        assert result.language in transcriber.languages
        for segment in result.segments:
            assert isinstance(segment, Segment)
            assert 0.0 <= segment.start <= segment.end <= result.duration
        assert result.text == result.text.strip()


def test_forced_language_is_echoed_with_certainty(transcriber):
    (result,) = transcriber.transcribe([noise(1.0, 2)], language="zh")
    assert result.language == "zh"
    assert result.language_probability == 1.0
    (upper,) = transcriber.transcribe([noise(1.0, 2)], language=" EN ")
    assert upper.language == "en"


def test_prompt_is_accepted(transcriber):
    (result,) = transcriber.transcribe([noise(1.0, 3)], language="en", prompt="Merino sweater, SKU 1234")
    assert result.duration == pytest.approx(1.0)


def test_empty_batch_gives_empty_list(transcriber):
    assert transcriber.transcribe([]) == []


def test_integer_pcm_is_accepted(transcriber):
    pcm = (noise(1.0, 4) * 32767).astype(np.int16)
    (result,) = transcriber.transcribe([pcm], language="en")
    assert result.duration == pytest.approx(1.0)


def test_unknown_language_is_refused(transcriber):
    with pytest.raises(UnsupportedLanguage, match="xx"):
        transcriber.transcribe([noise(1.0, 0)], language="xx")


@pytest.mark.parametrize(
    "bad",
    [np.zeros((2, RATE), np.float32), np.zeros(0, np.float32), np.full(RATE, np.nan, np.float32), [0.0] * RATE],
    ids=["stereo", "empty", "nan", "list"],
)
def test_bad_waveforms_are_refused(transcriber, bad):
    with pytest.raises(InvalidMedia):
        transcriber.transcribe([noise(1.0, 0), bad])


def test_a_bare_array_is_refused(transcriber):
    with pytest.raises(InvalidMedia, match="list"):
        transcriber.transcribe(noise(1.0, 0))


def test_silence_is_an_empty_transcript_not_an_error(tiny_whisper):
    # With VAD on, silence leaves nothing to decode: the answer is "", not an exception.
    quiet = load_transcriber(WhisperConfig(model=str(tiny_whisper), cpu_threads=1, beam_size=1, vad_filter=True))
    (result,) = quiet.transcribe([np.zeros(2 * RATE, np.float32)], language="en")
    assert result.text == "" and result.segments == []
    assert result.duration == pytest.approx(2.0)


def test_unprepared_registry_name_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_MODELS_DIR", str(tmp_path))
    with pytest.raises(WeightsNotFound, match="python -m models prepare"):
        WhisperTranscriber(WhisperConfig(model="whisper-base"))


@pytest.mark.parametrize(
    "options",
    [{"device": "tpu"}, {"beam_size": 0}, {"cpu_threads": True}, {"model": " "}, {"max_new_tokens": 0}],
)
def test_config_is_validated(options):
    with pytest.raises(ValueError):
        WhisperConfig(**options)
