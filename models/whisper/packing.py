"""Packing many short voice notes into shared 30-s Whisper windows, and mapping decoded segments back to each note.

Whisper encodes every window as 30 s of audio whatever it holds, so a 5-s note alone wastes five sixths of the
encoder. Here the speech of several notes (silence already cut by VAD) is laid end to end in one window, separated
by a gap of silence that Whisper reliably ends a segment on; the decoded, timestamped segments are then handed back
to the note whose stretch of the window they overlap, and their times restored to that note's own clock.
Pure numpy: no model, so it is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

SAMPLE_RATE = 16_000
WINDOW_S = 30.0

Span = tuple[int, int]  # [start, end) in samples of the note


@dataclass(frozen=True)
class Part:
    """A stretch of one note's speech that fits a window: some of its VAD spans, laid end to end.

    Attributes:
        clip: Index of the note in the caller's list.
        spans: The note's speech spans (samples) this part holds, in order.
    """

    clip: int
    spans: tuple[Span, ...]

    @property
    def samples(self) -> int:
        return sum(end - start for start, end in self.spans)

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    def audio(self, waveform: np.ndarray) -> np.ndarray:
        return np.concatenate([waveform[start:end] for start, end in self.spans])

    def tail(self, local: float) -> Part:
        """What is left of this part from `local` seconds (on its own clock) on."""
        skip = int(round(max(local, 0.0) * SAMPLE_RATE))
        spans: list[Span] = []
        for start, end in self.spans:
            if skip >= end - start:
                skip -= end - start
                continue
            spans.append((start + skip, end))
            skip = 0
        return Part(self.clip, tuple(spans))

    def clip_time(self, local: float) -> float:
        """A time on this part's own clock (its spans end to end) → the time in the original note."""
        remaining = max(local, 0.0) * SAMPLE_RATE
        for start, end in self.spans:
            if remaining <= end - start:
                return (start + remaining) / SAMPLE_RATE
            remaining -= end - start
        return self.spans[-1][1] / SAMPLE_RATE


@dataclass
class Window:
    """Parts laid out in one 30-s window: part i starts at `offsets[i]` seconds, with silence between parts."""

    parts: list[Part] = field(default_factory=list)
    offsets: list[float] = field(default_factory=list)

    @property
    def end(self) -> float:
        return self.offsets[-1] + self.parts[-1].seconds if self.parts else 0.0

    def audio(self, waveforms: Mapping[int, np.ndarray] | Sequence[np.ndarray]) -> np.ndarray:
        out = np.zeros(int(round(self.end * SAMPLE_RATE)) + 1, dtype=np.float32)
        for part, offset in zip(self.parts, self.offsets):
            piece = part.audio(waveforms[part.clip])
            start = int(round(offset * SAMPLE_RATE))
            out[start : start + piece.size] = piece
        return out


def split_into_parts(clip: int, spans: Sequence[Span], max_seconds: float) -> list[Part]:
    """A note's VAD spans → parts of at most `max_seconds` of speech each, cut only between spans.

    A single span longer than the limit is cut at the limit (VAD is normally told to cap spans, so this is rare).
    """
    limit = int(max_seconds * SAMPLE_RATE)
    pieces: list[Span] = []
    for start, end in spans:
        while end - start > limit:
            pieces.append((start, start + limit))
            start += limit
        if end > start:
            pieces.append((start, end))
    parts: list[Part] = []
    current: list[Span] = []
    used = 0
    for start, end in pieces:
        if current and used + (end - start) > limit:
            parts.append(Part(clip, tuple(current)))
            current, used = [], 0
        current.append((start, end))
        used += end - start
    if current:
        parts.append(Part(clip, tuple(current)))
    return parts


def pack(parts: Sequence[Part], *, gap_s: float, max_seconds: float, pack_notes: bool = True) -> list[Window]:
    """Parts → windows, in order, each holding as many parts as fit in `max_seconds` with `gap_s` between them.

    With `pack_notes` False every part gets a window of its own (Whisper's usual one-note-per-window layout).
    """
    windows: list[Window] = []
    current = Window()
    for part in parts:
        start = current.end + gap_s if current.parts else 0.0
        if current.parts and (not pack_notes or start + part.seconds > max_seconds):
            windows.append(current)
            current, start = Window(), 0.0
        current.parts.append(part)
        current.offsets.append(start)
    if current.parts:
        windows.append(current)
    return windows


@dataclass(frozen=True)
class Placed:
    """A decoded segment handed back to a part: `start`/`end` on the original note's clock, `window_start`/
    `window_end` where it lies in the window."""

    part: int
    start: float
    end: float
    text: str
    window_start: float
    window_end: float


def assign(window: Window, segments: Sequence[tuple[float, float, str]], *, tangle_s: float) -> list[Placed] | None:
    """Hand each (start, end, text) segment of a window to the part it overlaps most.

    Returns None when a segment overlaps two parts by more than `tangle_s` seconds each: Whisper ran two notes
    together, their words cannot be told apart by time, and the caller decodes those notes on their own instead.
    """
    placed: list[Placed] = []
    for start, end, text in segments:
        if not text.strip():
            continue
        overlaps = [
            min(end, offset + part.seconds) - max(start, offset) for part, offset in zip(window.parts, window.offsets)
        ]
        order = np.argsort(overlaps)[::-1]
        best = int(order[0])
        if len(order) > 1 and overlaps[int(order[1])] > tangle_s and overlaps[best] > tangle_s:
            return None
        if overlaps[best] <= 0:
            # A segment timed in a gap (Whisper's timestamps are coarse): it belongs to the nearest part.
            middle = (start + end) / 2
            best = min(
                range(len(window.parts)),
                key=lambda i: abs(middle - (window.offsets[i] + window.parts[i].seconds / 2)),
            )
        part, offset = window.parts[best], window.offsets[best]
        local_start = min(max(start - offset, 0.0), part.seconds)
        local_end = min(max(end - offset, local_start), part.seconds)
        placed.append(
            Placed(best, part.clip_time(local_start), part.clip_time(local_end), text.strip(), start, end)
        )
    return placed


@dataclass
class Settled:
    """What a decoded window leaves: segments to keep, and speech to decode again.

    Attributes:
        kept: Segments of parts Whisper's timestamps reached.
        resume: Speech Whisper never reached (it stopped the window early): decoded again, packed with other leftovers,
            as faster-whisper seeks on from the last timestamp.
        alone: Parts Whisper passed over without a word although it went on past them: decoded again on their own.
    """

    kept: list[Placed] = field(default_factory=list)
    resume: list[Part] = field(default_factory=list)
    alone: list[Part] = field(default_factory=list)


def settle(window: Window, placed: Sequence[Placed], slack_s: float) -> Settled:
    """Split a decoded window into what is done and what must be decoded again (see `Settled`).

    A part counts as reached when the window's last timestamp comes within `slack_s` of its end (VAD pads speech,
    and Whisper times the end of speech a little early).
    """
    settled = Settled()
    if not placed:
        # Not a word in the whole window: a lone part is silence after all; packed parts get a window each.
        settled.alone.extend(window.parts if len(window.parts) > 1 else [])
        return settled
    last = max(p.window_end for p in placed)
    for index, (part, offset) in enumerate(zip(window.parts, window.offsets)):
        mine = [p for p in placed if p.part == index]
        if offset + part.seconds - last <= slack_s:
            if mine or len(window.parts) == 1:
                settled.kept.extend(mine)
            else:
                settled.alone.append(part)
        elif last - offset > slack_s:
            settled.kept.extend(mine)
            settled.resume.append(part.tail(last - offset))
        else:
            settled.resume.append(part)
    return settled
