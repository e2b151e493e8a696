"""The typed messages that cross replicas during a turn: what Vision saw in each photo, and a video's frame vectors.

Ray pickles them; both sides import these classes, so nothing is rebuilt from dicts on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aftersales.defects import PhotoDetections
from models.ocr import ScreenText


@dataclass(frozen=True)
class Sight:
    """What Vision made of one photo, decoded once.

    Attributes:
        screen: The reading of a screenshot (an order page, a chat, a parcel label); None for a photo of goods.
        photo: The detector's boxes in a photo of goods with the photo's size (after its EXIF rotation), as Dialogue
            judges them; None for a screenshot.
        shown: Those boxes as the API shows them (label, display names, confidence, box, location).
        vector: The photo's catalog embedding (L2-normalised); None for a screenshot.
    """

    screen: ScreenText | None = None
    photo: PhotoDetections | None = None
    shown: tuple[dict[str, Any], ...] = ()
    vector: np.ndarray | None = None

    @property
    def screenshot(self) -> bool:
        return self.screen is not None


@dataclass(frozen=True)
class Look:
    """One message's photos as Vision saw them, in the order they were sent.

    Attributes:
        sights: One per photo.
        ms: Wall-clock milliseconds of Vision's stages ("decode", "read", "detect", "embed"), over all photos.
    """

    sights: tuple[Sight, ...]
    ms: dict[str, float] = field(default_factory=dict)

    @property
    def goods(self) -> list[int]:
        """Positions of the photos of goods (not screenshots)."""
        return [i for i, sight in enumerate(self.sights) if not sight.screenshot]

    def vectors(self) -> np.ndarray:
        """The goods photos' embeddings, one row each."""
        rows = [self.sights[i].vector for i in self.goods]
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


@dataclass(frozen=True)
class FrameVectors:
    """A video's sampled frames as embeddings.

    Attributes:
        times: Seconds from the start, one per frame, in order.
        vectors: One L2-normalised row per frame.
    """

    times: tuple[float, ...]
    vectors: np.ndarray
