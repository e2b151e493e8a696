"""The faster-whisper wrapper, on a tiny random-init Whisper (see tests/tiny/whisper.py): shapes, not words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import Segment, Transcriber, Transcript, load_transcriber
from models.errors import InvalidMedia, UnsupportedLanguage, UnsupportedOperation, WeightsNotFound
from models.whisper.engine import TranscriptionJob, WhisperConfig, WhisperTranscriber
from models.whisper.batch import detect_language

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


# --- the packing engine (random weights: counts, routes and clocks, not words) ---


def test_packing_decodes_several_notes_per_window(transcriber):
    notes = [noise(2.0, 10 + i) for i in range(6)]
    transcriber.stats.clear()
    packed = transcriber.transcribe(notes, language="en")
    assert transcriber.stats["windows"] == 1  # 6 x 2 s of speech and 5 gaps of 1 s fit one 30-s window
    transcriber.config.pack_notes = False
    try:
        transcriber.stats.clear()
        alone = transcriber.transcribe(notes, language="en")
        assert transcriber.stats["windows"] >= len(notes)
    finally:
        transcriber.config.pack_notes = True
    assert [r.duration for r in packed] == [r.duration for r in alone] == pytest.approx([2.0] * 6)
    for result in packed:
        assert all(0.0 <= s.start <= s.end <= result.duration for s in result.segments)


def test_the_same_note_sent_many_times_is_decoded_once(transcriber):
    note, other = noise(2.0, 31), noise(2.0, 32)
    transcriber.stats.clear()
    got = transcriber.transcribe([note, other, note.copy(), note], language="en")
    assert transcriber.stats["notes_deduplicated"] == 2 and transcriber.stats["notes_packed"] == 2
    assert got[0] == got[2] == got[3]
    # The same samples asked for in another language, or as a translation, are another decode.
    transcriber.stats.clear()
    transcriber.transcribe_jobs([TranscriptionJob(note, "en"), TranscriptionJob(note, "en", task="translate"),
                                 TranscriptionJob(note, "de")])
    assert transcriber.stats["notes_deduplicated"] == 0


def test_notes_of_different_languages_and_tasks_come_back_in_order(transcriber):
    jobs = [
        TranscriptionJob(noise(1.0, 20), language="zh"),
        TranscriptionJob(noise(1.5, 21), language="en", task="translate"),
        TranscriptionJob(noise(2.0, 22), language="zh"),
    ]
    results = transcriber.transcribe_jobs(jobs)
    assert [(r.language, r.task, r.duration) for r in results] == [
        ("zh", "transcribe", 1.0),
        ("en", "translate", 1.5),
        ("zh", "transcribe", 2.0),
    ]


def test_word_timestamps_go_one_by_one_and_time_words_inside_the_note(transcriber):
    transcriber.stats.clear()
    (result,) = transcriber.transcribe([noise(2.0, 30)], language="en", word_timestamps=True)
    assert transcriber.stats["notes_one_by_one"] == 1 and transcriber.stats["windows"] == 0
    for segment in result.segments:
        for word in segment.words:
            assert 0.0 <= word.start <= word.end <= result.duration
            assert 0.0 <= word.probability <= 1.0


def test_digital_silence_is_no_speech_even_without_vad(transcriber):
    (result,) = transcriber.transcribe([np.zeros(RATE, np.float32)])
    assert result.text == "" and result.segments == []
    assert result.language == "" and result.language_probability == 0.0


@pytest.mark.parametrize("job", [{"task": "summarise"}, {"temperature": 1.5}, {"language": "klingon"}])
def test_bad_job_options_are_refused(transcriber, job):
    with pytest.raises((UnsupportedOperation, ValueError)):
        transcriber.check(TranscriptionJob(noise(1.0, 0), **job))


def test_detection_keeps_to_the_shops_languages(transcriber):
    language, probability = detect_language(transcriber.model, noise(2.0, 40), allowed=["id", "th"])
    assert language in ("id", "th") and 0.5 <= probability <= 1.0
    free, _ = detect_language(transcriber.model, noise(2.0, 40))
    assert free in transcriber.languages


def test_hotwords_come_before_the_callers_prompt(tiny_whisper):
    shop = WhisperTranscriber(
        WhisperConfig(model=str(tiny_whisper), cpu_threads=1, beam_size=1, vad_filter=False,
                      temperature_fallback=False, max_new_tokens=8, hotwords=["羊绒毛衣", "KF-Merino"])
    )
    assert shop._prompt(TranscriptionJob(noise(1.0, 0), prompt="order O1001"), "zh") == "羊绒毛衣, KF-Merino order O1001"
    assert shop._prompt(TranscriptionJob(noise(1.0, 0)), "zh") == "羊绒毛衣, KF-Merino"
    # Only the hotwords written in the note's script: a Chinese title gives English speech nothing but text to copy.
    assert shop._prompt(TranscriptionJob(noise(1.0, 0)), "en") == "KF-Merino"
    assert shop._prompt(TranscriptionJob(noise(1.0, 0), hotwords=False), "zh") is None


@pytest.mark.parametrize("text, copied", [
    ("手工粗陶瓷马克杯, 手工粗陶瓷马克杯, 手工粗陶瓷马克杯", True),  # one title over and over
    ("手工粗陶瓷马克杯，纯棉白色T恤", True),  # two titles side by side as the prompt lists them
    ("我想问一下发货了吗发货了吗发货了吗", True),  # a loop
    ("我的马克杯收到就裂了", False), ("我买的手工粗陶瓷马克杯裂了", False), ("哈哈哈好的谢谢", False),
    ("the mug came cracked, the mug is the blue one", False),
])
def test_text_copied_from_the_hotwords_is_told_from_text_heard(text, copied):
    from models.whisper.engine import copied_from_prompt

    assert copied_from_prompt(text, ["手工粗陶瓷马克杯", "纯棉白色T恤", "北欧台灯 白色"]) is copied
    assert copied_from_prompt(text, []) is False  # without hotwords nothing was there to copy


def test_chinese_comes_out_simplified_and_caption_hallucinations_are_dropped(transcriber):
    job = transcriber.check(TranscriptionJob(noise(3.0, 0), language="zh"))
    segments = [Segment(0.0, 1.0, "這件毛衣勾絲了"), Segment(1.0, 2.0, "謝謝觀看!"), Segment(2.0, 3.0, "我要退貨")]
    result = transcriber._finish(job, ("zh", 1.0), segments)
    assert result.text == "这件毛衣勾丝了我要退货"
    assert [s.text for s in result.segments] == ["这件毛衣勾丝了", "我要退货"]
    english = transcriber._finish(
        transcriber.check(TranscriptionJob(noise(3.0, 0), language="en")),
        ("en", 1.0),
        [Segment(0.0, 1.0, " Thanks for watching."), Segment(1.0, 2.0, " My parcel is late.")],
    )
    assert english.text == "My parcel is late."


def test_stream_tells_language_first_then_yields_segments(transcriber):
    info, segments = transcriber.stream(TranscriptionJob(noise(2.0, 50), language="en"))
    assert (info.language, info.language_probability, info.duration) == ("en", 1.0, pytest.approx(2.0))
    assert all(isinstance(s, Segment) and 0.0 <= s.start <= s.end <= 2.0 for s in segments)
    silent, none = transcriber.stream(TranscriptionJob(np.zeros(RATE, np.float32)))
    assert silent.speech_seconds == 0.0 and list(none) == []


def test_engine_config_is_validated():
    for options in ({"gap_s": -1.0}, {"batch_windows": 0}, {"languages": ["zz"]}, {"hotwords": [1]},
                    {"busy_notes": 0}, {"busy_notes": True}, {"busy_beam_size": 0}):
        with pytest.raises(ValueError):
            WhisperConfig(**options)


def test_a_note_whose_text_copies_the_hotwords_is_decoded_again_without_them(tiny_whisper, monkeypatch):
    shop = WhisperTranscriber(
        WhisperConfig(model=str(tiny_whisper), cpu_threads=1, beam_size=1, vad_filter=False,
                      temperature_fallback=False, max_new_tokens=8, hotwords=["手工粗陶瓷马克杯", "纯棉白色T恤"])
    )
    prompts = []

    def decoder(jobs, spans, members, language, task, prompt, beam):
        # A decoder that copies whatever prompt it is given, and hears "我要改地址" without one.
        prompts.append(prompt)
        text = f"{prompt}, {prompt}" if prompt else "我要改地址"
        return {i: [Segment(0.0, 1.0, text)] for i in members}, []

    monkeypatch.setattr(shop, "_packed", decoder)
    [got] = shop.transcribe([noise(1.0, 3)], language="zh")
    assert got.text == "我要改地址" and prompts == ["手工粗陶瓷马克杯, 纯棉白色T恤", None]
    assert shop.stats["notes_without_hotwords"] == 1
    # English speech is never given the Chinese titles, so there is nothing to decode again.
    prompts.clear()
    [english] = shop.transcribe([noise(1.0, 4)], language="en")
    assert english.text == "我要改地址" and prompts == [None]


def test_a_queue_is_decoded_greedily_and_keeps_the_temperature_schedule(tiny_whisper, monkeypatch):
    import models.whisper.engine as engine

    shop = WhisperTranscriber(WhisperConfig(model=str(tiny_whisper), cpu_threads=1, beam_size=3, vad_filter=False,
                                            max_new_tokens=8, busy_notes=2, busy_beam_size=1))
    beams, alone = [], []
    decode = engine.decode_windows

    def counted(model, audios, language, task, options):
        beams.append(options.beam_size)
        return decode(model, audios, language, task, options)

    def one_by_one(audio, **options):
        alone.append((options["beam_size"], options["temperature"]))
        return iter(()), None

    monkeypatch.setattr(engine, "decode_windows", counted)
    monkeypatch.setattr(shop.model, "transcribe", one_by_one)
    note = noise(1.0, 5)
    shop.transcribe([note, note.copy()], language="en")  # one distinct note: no queue
    assert set(beams) == {3} and shop.stats["busy_batches"] == 0
    beams.clear()
    shop.transcribe([noise(1.0, 6), noise(1.0, 7)], language="en")
    assert set(beams) == {1} and shop.stats["busy_batches"] == 1
    # The one-by-one path (word timestamps take it): greedy in a queue, the whole schedule either way.
    alone.clear()
    shop.transcribe([noise(1.0, 8)], language="en", word_timestamps=True)
    shop.transcribe([noise(1.0, 8), noise(1.0, 9)], language="en", word_timestamps=True)
    schedule = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    assert alone == [(3, schedule), (1, schedule), (1, schedule)]
    # busy_notes None never lowers the quality.
    beams.clear()
    shop.config.busy_notes = None
    shop.transcribe([noise(1.0, 10), noise(1.0, 11)], language="en")
    assert set(beams) == {3}


def test_a_note_in_a_language_whisper_only_guesses_gets_one_decode_not_the_schedule(tiny_whisper, monkeypatch):
    shop = WhisperTranscriber(WhisperConfig(model=str(tiny_whisper), cpu_threads=1, beam_size=3, vad_filter=False,
                                            max_new_tokens=8))
    alone = []

    def one_by_one(audio, **options):
        alone.append((options["language"], options["beam_size"], options["temperature"]))
        return iter(()), None

    monkeypatch.setattr(shop.model, "transcribe", one_by_one)
    for guess in (("th", 0.45), ("en", 0.9)):
        monkeypatch.setattr(shop, "_detect", lambda audio, spans, guess=guess: guess)
        [got] = shop.transcribe([noise(1.0, 12)], word_timestamps=True)
        assert (got.language, got.language_probability) == guess
    assert alone == [("th", 3, 0.0), ("en", 3, (0.0, 0.2, 0.4, 0.6, 0.8, 1.0))]
    assert shop.stats["notes_unsure_language"] == 1
