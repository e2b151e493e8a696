"""Wall-clock milliseconds per stage of a request, for the `timings_ms` a turn answers with."""

from __future__ import annotations

import time
from typing import Any, Awaitable


class Stopwatch:
    """How long each stage took, in milliseconds; a stage timed again (one per photo) adds up."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    async def time(self, stage: str, call: Awaitable[Any]) -> Any:
        start = time.perf_counter()
        try:
            return await call
        finally:
            self.ms[stage] = round(self.ms.get(stage, 0.0) + (time.perf_counter() - start) * 1000, 1)
