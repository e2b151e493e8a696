"""Which product a short video shows: per-frame catalog matches combined by a score-weighted vote (pure Python)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from catalog_index.errors import CatalogError
from catalog_index.index import Match


@dataclass(frozen=True)
class VideoMatch:
    """One product found in a video.

    Attributes:
        sku: The product's SKU.
        title: Its title.
        score: Mean of its scores over the frames whose matches include it.
        votes: Frames in which it was the top match.
        vote_weight: Sum of its scores in those frames: breaks ties between equal vote counts in favour of the
            product recognised more confidently.
        timestamps: Seconds into the video of the frames it won, in time order.
    """

    sku: str
    title: str
    score: float
    votes: int
    vote_weight: float
    timestamps: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "title": self.title,
            "score": self.score,
            "votes": self.votes,
            "vote_weight": self.vote_weight,
            "timestamps": list(self.timestamps),
        }


def vote(frames: Sequence[tuple[float, Sequence[Match]]], top_k: int) -> list[VideoMatch]:
    """Combine per-frame matches: each frame's top match gets a vote weighted by its score.

    Every product appearing in any frame is a candidate; ranking is by votes, then vote weight, then mean score,
    so products that never won a frame follow the winners as lower candidates.

    Raises:
        CatalogError: A bad top_k or a frame whose timestamp is not a finite number.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise CatalogError(f"top_k must be a positive integer, not {top_k!r}")
    titles: dict[str, str] = {}
    scores: dict[str, list[float]] = {}
    won: dict[str, list[tuple[float, float]]] = {}
    for timestamp, matches in frames:
        if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)) or not math.isfinite(timestamp):
            raise CatalogError(f"frame timestamp {timestamp!r} is not a finite number of seconds")
        if not matches:
            continue
        top = max(matches, key=lambda m: m.score)
        won.setdefault(top.sku, []).append((float(timestamp), top.score))
        seen: set[str] = set()
        for match in matches:
            # A frame counts once per product even if a caller passed unaggregated (per-photo) matches.
            if match.sku in seen:
                continue
            seen.add(match.sku)
            titles.setdefault(match.sku, match.title)
            scores.setdefault(match.sku, []).append(match.score)
    results = []
    for sku, values in scores.items():
        wins = sorted(won.get(sku, []))
        results.append(VideoMatch(
            sku=sku,
            title=titles[sku],
            score=float(np.mean(values)),
            votes=len(wins),
            vote_weight=float(sum(score for _, score in wins)),
            timestamps=tuple(t for t, _ in wins),
        ))
    results.sort(key=lambda m: (-m.votes, -m.vote_weight, -m.score, m.sku))
    return results[: int(top_k)]


def dedupe_frames(vectors: np.ndarray, threshold: float = 0.98) -> list[int]:
    """Indices of the frames to keep: a frame is dropped when its cosine similarity to the last kept frame is at
    least `threshold` (a still camera would otherwise outvote a product shown briefly). The first frame is kept.

    Raises:
        CatalogError: `vectors` is not a 2-D array, or the threshold is outside [-1, 1].
    """
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise CatalogError(f"frame vectors must be a 2-D array (frames, dim), got shape {array.shape}")
    if not -1.0 <= threshold <= 1.0:
        raise CatalogError(f"dedupe threshold must be a cosine similarity within [-1, 1], not {threshold}")
    if len(array) == 0:
        return []
    unit = array / np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-12)
    kept = [0]
    for i in range(1, len(unit)):
        if float(unit[i] @ unit[kept[-1]]) < threshold:
            kept.append(i)
    return kept


def identify_video(
    times: Sequence[float],
    vectors: np.ndarray,
    search: Callable[[np.ndarray, int], list[list[Match]]],
    top_k: int,
    dedupe_threshold: float = 0.98,
) -> list[VideoMatch]:
    """The serving path for one video: drop near-duplicate frames, search the rest, vote.

    Deduplicating before the vote is what stops a camera held still on one product from outvoting another shown in
    fewer, different frames. `search` is `CatalogIndex.search` (or anything with its signature).

    Raises:
        CatalogError: `times` and `vectors` disagree in length, or any error of `dedupe_frames` / `vote`.
    """
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2 or len(times) != len(array):
        raise CatalogError(f"{len(times)} frame times for frame vectors of shape {array.shape}")
    keep = dedupe_frames(array, dedupe_threshold)
    if not keep:
        return []
    per_frame = search(array[keep], top_k)
    return vote([(float(times[i]), matches) for i, matches in zip(keep, per_frame)], top_k)
