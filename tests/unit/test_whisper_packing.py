"""Packing notes into shared windows and handing decoded segments back: pure arithmetic on samples and seconds."""

from __future__ import annotations

import numpy as np
import pytest

from models.whisper.packing import SAMPLE_RATE, Part, Settled, Window, assign, pack, settle, split_into_parts

R = SAMPLE_RATE


def part(clip: int, *spans_s: tuple[float, float]) -> Part:
    return Part(clip, tuple((int(a * R), int(b * R)) for a, b in spans_s))


def test_parts_cut_only_between_spans_and_respect_the_limit():
    spans = [(0, 8 * R), (10 * R, 20 * R), (22 * R, 30 * R)]  # 8 + 10 + 8 s of speech
    parts = split_into_parts(3, spans, max_seconds=20.0)
    assert [p.clip for p in parts] == [3, 3]
    assert [p.spans for p in parts] == [((0, 8 * R), (10 * R, 20 * R)), ((22 * R, 30 * R),)]
    assert all(p.seconds <= 20.0 for p in parts)


def test_a_span_longer_than_the_limit_is_cut_at_the_limit():
    parts = split_into_parts(0, [(0, 45 * R)], max_seconds=20.0)
    assert [p.seconds for p in parts] == pytest.approx([20.0, 20.0, 5.0])
    assert parts[1].spans == ((20 * R, 40 * R),)


def test_pack_fills_windows_in_order_with_gaps():
    parts = [part(i, (0.0, 8.0)) for i in range(4)]  # four 8-s notes
    windows = pack(parts, gap_s=1.0, max_seconds=29.0)
    assert [[p.clip for p in w.parts] for w in windows] == [[0, 1, 2], [3]]
    assert windows[0].offsets == pytest.approx([0.0, 9.0, 18.0])
    assert windows[0].end == pytest.approx(26.0)


def test_pack_without_packing_gives_each_part_its_window():
    windows = pack([part(i, (0.0, 2.0)) for i in range(3)], gap_s=1.0, max_seconds=29.0, pack_notes=False)
    assert [len(w.parts) for w in windows] == [1, 1, 1]
    assert all(w.offsets == [0.0] for w in windows)


def test_window_audio_lays_speech_at_offsets_with_silence_between():
    a = np.full(3 * R, 0.5, dtype=np.float32)
    b = np.full(2 * R, -0.25, dtype=np.float32)
    window = Window([part(0, (1.0, 2.0)), part(1, (0.0, 2.0))], [0.0, 2.0])
    audio = window.audio({0: a, 1: b})
    assert audio[: R].tolist() == [0.5] * R
    assert not audio[R + 10 : 2 * R - 10].any()  # the gap is silence
    assert np.all(audio[2 * R + 10 : 4 * R - 10] == -0.25)


def test_clip_time_skips_the_silence_vad_cut():
    p = part(0, (1.0, 3.0), (10.0, 12.0))  # 4 s of speech from a 12-s note
    assert p.clip_time(0.0) == pytest.approx(1.0)
    assert p.clip_time(1.5) == pytest.approx(2.5)
    assert p.clip_time(2.5) == pytest.approx(10.5)
    assert p.clip_time(99.0) == pytest.approx(12.0)


def test_segments_go_to_the_note_they_overlap_on_its_own_clock():
    window = Window([part(0, (0.0, 5.0)), part(1, (2.0, 6.0))], [0.0, 6.0])
    placed = assign(window, [(0.0, 4.8, " first note"), (6.1, 9.9, " second note")], tangle_s=0.3)
    assert [(p.part, p.text) for p in placed] == [(0, "first note"), (1, "second note")]
    # The second note's speech started 2 s into it, and its part started 6 s into the window.
    assert placed[1].start == pytest.approx(2.1)
    assert placed[1].end == pytest.approx(5.9)


def test_a_segment_timed_into_a_gap_goes_to_the_nearest_note():
    window = Window([part(0, (0.0, 4.0)), part(1, (0.0, 4.0))], [0.0, 5.0])
    placed = assign(window, [(4.2, 4.8, "tail")], tangle_s=0.3)
    assert [p.part for p in placed] == [0]


def test_a_segment_spanning_two_notes_is_reported_as_tangled():
    window = Window([part(0, (0.0, 4.0)), part(1, (0.0, 4.0))], [0.0, 5.0])
    assert assign(window, [(1.0, 8.0, "two notes run together")], tangle_s=0.3) is None
    # A small overreach into the next note is only coarse timing, not a tangle.
    assert assign(window, [(1.0, 5.2, "one note")], tangle_s=0.3) is not None


def test_blank_segments_are_skipped():
    window = Window([part(0, (0.0, 4.0))], [0.0])
    assert assign(window, [(0.0, 1.0, "  ")], tangle_s=0.3) == []


def test_tail_keeps_the_speech_after_a_point_on_the_parts_clock():
    p = part(4, (1.0, 3.0), (10.0, 12.0))
    assert p.tail(0.5).spans == ((int(1.5 * R), 3 * R), (10 * R, 12 * R))
    assert p.tail(2.5).spans == ((int(10.5 * R), 12 * R),)
    assert p.tail(2.5).clip == 4 and p.tail(2.5).clip_time(0.0) == pytest.approx(10.5)


def test_settle_keeps_what_was_reached_and_resumes_where_whisper_stopped():
    window = Window([part(0, (0.0, 6.0)), part(1, (0.0, 6.0)), part(2, (0.0, 4.0))], [0.0, 7.0, 14.0])
    # Whisper wrote the first note and half the second, then ended the window.
    settled = settle(window, assign(window, [(0.0, 5.6, "first"), (7.2, 10.0, "second, half")], tangle_s=0.3), 1.5)
    assert [(p.part, p.text) for p in settled.kept] == [(0, "first"), (1, "second, half")]
    assert settled.resume[0].clip == 1 and settled.resume[0].seconds == pytest.approx(3.0)
    assert settled.resume[1] == window.parts[2]
    assert settled.alone == []


def test_settle_accepts_a_window_whisper_finished():
    window = Window([part(0, (0.0, 6.0)), part(1, (0.0, 6.0))], [0.0, 7.0])
    settled = settle(window, assign(window, [(0.0, 5.6, "first"), (7.2, 12.5, "second")], tangle_s=0.3), 1.5)
    assert len(settled.kept) == 2 and settled.resume == [] and settled.alone == []


def test_settle_sends_a_skipped_note_alone_and_reads_an_empty_lone_window_as_silence():
    window = Window([part(0, (0.0, 6.0)), part(1, (0.0, 4.0)), part(2, (0.0, 4.0))], [0.0, 7.0, 12.0])
    # Whisper went past the second note without a word for it.
    settled = settle(window, assign(window, [(0.0, 5.6, "first"), (12.1, 15.8, "third")], tangle_s=0.3), 1.5)
    assert settled.alone == [window.parts[1]] and settled.resume == []
    lone = Window([part(0, (0.0, 6.0))], [0.0])
    assert settle(lone, [], 1.5) == Settled()
    packed = settle(window, [], 1.5)
    assert packed.alone == window.parts and packed.kept == []
