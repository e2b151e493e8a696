"""The real whisper-base on synthetic speech: English words come back, Mandarin is recognised as Chinese."""

from __future__ import annotations

import pytest

from models import registry
from models.media import decode_audio
from models.whisper import WhisperConfig, WhisperTranscriber
from tests.media import espeak_wav

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def whisper() -> WhisperTranscriber:
    # Into the default models folder and without force: a prepared copy is reused, so this is instant after once.
    registry.prepare(["whisper-base"])
    return WhisperTranscriber(WhisperConfig(model="whisper-base"))


def test_english_voice_note(whisper):
    audio = decode_audio(espeak_wav("I bought a sweater last week and it has a snag.", voice="en-us", speed=140))
    (result,) = whisper.transcribe([audio])
    assert result.language == "en", result
    assert result.language_probability > 0.5
    words = result.text.lower()
    assert "sweater" in words and "snag" in words, result.text
    assert result.segments and result.segments[-1].end <= result.duration + 1e-6


def test_prompt_and_forced_language_on_real_speech(whisper):
    audio = decode_audio(espeak_wav("The zipper on my jacket is broken.", voice="en-us", speed=140))
    (result,) = whisper.transcribe([audio], language="en", prompt="jacket, zipper, refund")
    assert result.language == "en" and result.language_probability == 1.0
    assert "zipper" in result.text.lower(), result.text


def test_mandarin_voice_note(whisper):
    # espeak's Mandarin is robotic: whisper-base takes a lone short phrase of it for English, a full sentence not.
    sentence = "ni3 hao3, wo3 shang4 ge4 xing1 qi1 mai3 de5 mao2 yi1 gou1 si1 le5, wo3 xiang3 tui4 huo4."
    audio = decode_audio(espeak_wav(sentence, voice="cmn-latn-pinyin", speed=120))
    (result,) = whisper.transcribe([audio])
    assert result.language == "zh", result
    assert result.text.strip(), result
