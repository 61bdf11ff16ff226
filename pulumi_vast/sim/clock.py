"""The simulator's clock: wall time plus an offset that tests move forward instantly.

Vast's timestamps are epoch seconds, so the clock is wall time (not monotonic); the
offset lets a test make a ten-minute boot pass in no time. The offset is persisted by the
backend so a restarted simulator keeps its notion of "now".
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock"]


class Clock:
    def __init__(self, offset: float = 0.0, *, wall: Callable[[], float] = time.time) -> None:
        self._offset = offset
        self._wall = wall

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        return self._wall() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward (never back) and return the new now."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward; got {seconds} seconds")
        self._offset += seconds
        return self.now()

    def reset(self) -> None:
        self._offset = 0.0
