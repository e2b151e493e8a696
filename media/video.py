"""Video frames from untrusted bytes: frames spread over the clip plus the first of each scene, in time order."""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
from PIL import Image

from media import av_open
from media.av_open import DURATION_SLACK_S
from media.errors import InvalidMedia, MediaTooLarge, UnsupportedMedia

# A cut is judged on a 16x16 colour thumbnail: big enough to see a new scene, small enough to cost nothing per frame.
_SIGNATURE_SIZE = 16
# The thumbnail's mean absolute change is divided by this many grey levels, so a score of 1.0 means a quarter of the
# full 0-255 range; camera pans and zooms stay well below 0.2 while a cut to another product is typically above 0.3.
_SCENE_SCALE = 64.0


@dataclass
class _Kept:
    index: int
    time: float
    frame: av.VideoFrame
    cut_score: float = 0.0


def decode_video_frames(
    data: bytes,
    *,
    max_frames: int = 16,
    max_seconds: float = 120.0,
    max_pixels: int = 40_000_000,
    scene_threshold: float | None = 0.3,
) -> list[tuple[float, Image.Image]]:
    """Video bytes → up to `max_frames` (seconds from the start, RGB image) pairs in time order: frames spread
    evenly over the video plus the first frame of every scene change, so a product shown briefly after a cut is seen.

    A scene change is a frame whose 16x16 colour thumbnail differs from the previous decoded frame's by at least
    `scene_threshold` (mean absolute change over a quarter of the 0-255 range, capped at 1; None disables it). When
    there are more frames than `max_frames`, the strongest scene changes are kept first and the even samples thinned.

    Raises:
        InvalidMedia: Empty, corrupt, or no decodable frame.
        UnsupportedMedia: Not a media file, a still image, no video track, or a codec this FFmpeg lacks.
        MediaTooLarge: Longer than `max_seconds` (from the header when it says so, else while decoding), or frames
            bigger than `max_pixels`.
    """
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise ValueError(f"max_frames must be a positive integer, not {max_frames!r}")
    if scene_threshold is not None and not 0.0 < scene_threshold <= 1.0:
        raise ValueError(f"scene_threshold must be within (0, 1] or None, not {scene_threshold!r}")
    container = av_open.open_av(data, "a video")
    with container:
        if container.format.name == "image2" or container.format.name.endswith("_pipe"):
            raise UnsupportedMedia("this is a still image, not a video; send it as an image")
        if not container.streams.video:
            raise UnsupportedMedia("the file has no video track")
        stream = container.streams.video[0]
        if stream.codec_context is None:
            raise UnsupportedMedia("this FFmpeg build cannot decode the video codec of this file")
        if stream.width * stream.height > max_pixels:
            raise MediaTooLarge(f"video frames are {stream.width}x{stream.height}; the limit is {max_pixels:,} pixels")
        duration = av_open.duration(container, stream)
        if duration is not None and duration > max_seconds + DURATION_SLACK_S:
            raise MediaTooLarge(f"video is {duration:.1f} s long; the limit is {max_seconds:g} s")
        stream.thread_type = "AUTO"
        even = _EvenByTime(duration, max_frames) if duration is not None else _EvenByCount(max_frames)
        cuts = _SceneCuts(scene_threshold, max_frames)
        try:
            for index, time, frame in _frame_times(container, stream):
                if time > max_seconds + DURATION_SLACK_S:
                    raise MediaTooLarge(f"video is longer than the {max_seconds:g} s limit")
                kept = _Kept(index, time, frame)
                even.offer(kept)
                cuts.offer(kept)
            chosen = _merge(even.result(), cuts.result(), max_frames)
            frames = [(round(k.time, 3), k.frame.to_image().convert("RGB")) for k in chosen]
        except av.error.FFmpegError as exc:
            raise InvalidMedia(f"video could not be decoded, truncated or corrupt ({av_open.reason(exc)})") from exc
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


class _EvenByTime:
    """The first frame at or after the middle of each of `max_frames` equal slices of the duration."""

    def __init__(self, duration: float, max_frames: int):
        self.targets = [duration * (i + 0.5) / max_frames for i in range(max_frames)]
        self.kept: list[_Kept] = []
        self.last: _Kept | None = None

    def offer(self, frame: _Kept) -> None:
        self.last = frame
        if self.targets and frame.time >= self.targets[0]:
            self.kept.append(frame)
            while self.targets and self.targets[0] <= frame.time:
                self.targets.pop(0)

    def result(self) -> list[_Kept]:
        last = self.last
        if self.targets and last is not None and (not self.kept or self.kept[-1].index != last.index):
            # The header overstated the duration: the last frame stands in for the slices past the end.
            return [*self.kept, last]
        return self.kept


class _EvenByCount:
    """Evenly spaced frames when the length is unknown: keep every `stride`-th, doubling the stride as needed."""

    def __init__(self, max_frames: int):
        self.max_frames = max_frames
        self.stride = 1
        self.kept: list[_Kept] = []

    def offer(self, frame: _Kept) -> None:
        if frame.index % self.stride:
            return
        self.kept.append(frame)
        if len(self.kept) > 2 * self.max_frames:
            # Bounded memory whatever the length: at most 2 * max_frames decoded frames are held at once.
            self.stride *= 2
            self.kept = [k for k in self.kept if k.index % self.stride == 0]

    def result(self) -> list[_Kept]:
        if len(self.kept) <= self.max_frames:
            return self.kept
        picks = sorted({int(round(i)) for i in np.linspace(0, len(self.kept) - 1, self.max_frames)})
        return [self.kept[i] for i in picks]


class _SceneCuts:
    """The first frames of new scenes, at most `max_frames` of them (the strongest changes win)."""

    def __init__(self, threshold: float | None, max_frames: int):
        self.threshold = threshold
        self.max_frames = max_frames
        self.previous: np.ndarray | None = None
        self.kept: list[_Kept] = []

    def offer(self, frame: _Kept) -> None:
        if self.threshold is None:
            return
        signature = frame.frame.reformat(
            width=_SIGNATURE_SIZE, height=_SIGNATURE_SIZE, format="rgb24", interpolation="AREA"
        ).to_ndarray().astype(np.float32)
        previous, self.previous = self.previous, signature
        if previous is None:
            return  # the first frame starts a scene but the even samples already cover the start
        score = min(1.0, float(np.abs(signature - previous).mean()) / _SCENE_SCALE)
        if score < self.threshold:
            return
        frame.cut_score = score
        self.kept.append(frame)
        if len(self.kept) > self.max_frames:
            # Bounded memory on flashing or strobing clips: forget the weakest change.
            self.kept.remove(min(self.kept, key=lambda k: k.cut_score))

    def result(self) -> list[_Kept]:
        return self.kept


def _merge(even: list[_Kept], cuts: list[_Kept], max_frames: int) -> list[_Kept]:
    """Scene-change frames first, then as many evenly spread samples as fit, in time order without repeats."""
    chosen = sorted(cuts, key=lambda k: -k.cut_score)[:max_frames]
    taken = {k.index for k in chosen}
    rest = [k for k in even if k.index not in taken]
    room = max_frames - len(chosen)
    if len(rest) > room:
        rest = [rest[int(round(i))] for i in np.linspace(0, len(rest) - 1, room)] if room > 0 else []
    return sorted([*chosen, *rest], key=lambda k: k.index)
