"""Video frame vote and near-duplicate frame removal."""

from __future__ import annotations

import numpy as np
import pytest

from catalog_index.errors import CatalogError
from catalog_index.index import Match
from catalog_index.video import dedupe_frames, vote


def frame(*scored: tuple[str, float]) -> list[Match]:
    return [Match(sku, f"title {sku}", score) for sku, score in scored]


def test_the_sku_on_most_frames_wins_with_its_timestamps():
    frames = [
        (0.0, frame(("A", 0.70), ("B", 0.60))),
        (0.5, frame(("B", 0.95), ("A", 0.50))),  # one confident frame of B
        (1.0, frame(("A", 0.72), ("B", 0.65))),
        (1.5, frame(("A", 0.69), ("C", 0.40))),
    ]
    voted = vote(frames, top_k=5)
    assert [m.sku for m in voted] == ["A", "B", "C"]
    winner = voted[0]
    assert winner.votes == 3 and winner.timestamps == (0.0, 1.0, 1.5)
    assert winner.score == pytest.approx(np.mean([0.70, 0.50, 0.72, 0.69]))
    assert winner.vote_weight == pytest.approx(0.70 + 0.72 + 0.69)
    assert voted[1].votes == 1 and voted[1].timestamps == (0.5,)
    assert voted[2].votes == 0 and voted[2].timestamps == ()
    assert winner.to_dict()["timestamps"] == [0.0, 1.0, 1.5]
    assert [m.sku for m in vote(frames, top_k=1)] == ["A"]


def test_equal_votes_go_to_the_more_confident_product():
    frames = [(0.0, frame(("A", 0.6))), (1.0, frame(("B", 0.9))), (2.0, frame(("A", 0.6))), (3.0, frame(("B", 0.9)))]
    assert vote(frames, 2)[0].sku == "B"


def test_top_match_is_taken_by_score_not_list_order_and_empty_frames_are_ignored():
    frames = [(0.0, frame(("A", 0.2), ("B", 0.8))), (0.4, []), (0.8, frame(("B", 0.7)))]
    voted = vote(frames, 3)
    assert voted[0].sku == "B" and voted[0].votes == 2
    assert vote([], 3) == []


def test_bad_vote_input():
    with pytest.raises(CatalogError):
        vote([(0.0, frame(("A", 1.0)))], 0)
    with pytest.raises(CatalogError, match="timestamp"):
        vote([(float("nan"), frame(("A", 1.0)))], 3)


def test_dedupe_drops_near_duplicate_consecutive_frames():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 32))
    vectors = np.stack([a, a + 0.01 * rng.standard_normal(32), a * 3.0, b, b, a])
    assert dedupe_frames(vectors) == [0, 3, 5]
    assert dedupe_frames(vectors, threshold=-1.0) == [0]  # everything is "similar enough"
    assert dedupe_frames(np.zeros((0, 32))) == []
    with pytest.raises(CatalogError):
        dedupe_frames(np.zeros(32))
    with pytest.raises(CatalogError):
        dedupe_frames(vectors, threshold=2.0)


def test_identify_video_dedupes_a_still_camera_before_the_vote():
    from catalog_index.video import identify_video

    # Catalog: A and B are orthogonal directions. The clip holds B still for five frames, then shows A from three
    # different angles: by raw frame count B would win 5-3; after dedupe B is one frame and A wins 3-1.
    rng = np.random.default_rng(1)
    a, b = np.eye(16, dtype=np.float32)[:2]
    angles = [a + 0.4 * rng.standard_normal(16).astype(np.float32) for _ in range(3)]
    still = [b + 0.01 * rng.standard_normal(16).astype(np.float32) for _ in range(5)]  # sensor noise only
    vectors = np.stack(still + angles)
    times = [0.1 * i for i in range(len(vectors))]
    searched: list[np.ndarray] = []

    def search(queries: np.ndarray, top_k: int) -> list[list[Match]]:
        searched.append(queries)
        return [frame(*sorted([("A", float(q @ a / np.linalg.norm(q))), ("B", float(q @ b / np.linalg.norm(q)))],
                              key=lambda x: -x[1])) for q in queries]

    voted = identify_video(times, vectors, search, top_k=2)
    assert len(searched[0]) == 4, "the still frames should be searched once"
    assert voted[0].sku == "A" and voted[0].votes == 3
    assert voted[0].timestamps == pytest.approx((0.5, 0.6, 0.7))
    assert voted[1].sku == "B" and voted[1].votes == 1 and voted[1].timestamps == (0.0,)
    # Without dedupe the still camera would have carried it: the dedupe is what decides.
    assert identify_video(times, vectors, search, top_k=2, dedupe_threshold=1.0)[0].sku == "B"


def test_identify_video_refuses_mismatched_input_and_accepts_no_frames():
    from catalog_index.video import identify_video

    with pytest.raises(CatalogError, match="frame times"):
        identify_video([0.0], np.zeros((2, 4)), lambda q, k: [[] for _ in q], 3)
    assert identify_video([], np.zeros((0, 4)), lambda q, k: [[] for _ in q], 3) == []
