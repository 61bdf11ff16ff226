"""The simulator's clock: wall time plus an offset that tests move forward instantly.

Vast's timestamps are epoch seconds, so the clock is wall time (not monotonic); the
offset lets a test make a ten-minute boot pass in no time. The offset is persisted by the
backend so a restarted simulator keeps its notion of "now".
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["MAX_ADVANCE", "MAX_OFFSET", "Clock"]

_YEAR = 365 * 86400.0
MAX_ADVANCE = 5 * _YEAR
"""The most one advance moves the clock: five years, plenty for any billing test."""
MAX_OFFSET = 50 * _YEAR
"""How far ahead of the wall the clock may get in all, so dates stay printable."""


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
        """Move time forward (never back, at most `MAX_ADVANCE` at once and `MAX_OFFSET` in
        all) and return the new now."""
        if not 0 <= seconds <= MAX_ADVANCE:
            raise ValueError(f"the clock moves forward 0 to {MAX_ADVANCE:g} s; got {seconds}")
        if self._offset + seconds > MAX_OFFSET:
            raise ValueError(
                f"the clock may run at most {MAX_OFFSET:g} s ahead of the wall; "
                f"it is {self._offset:g} s ahead now"
            )
        self._offset += seconds
        return self.now()

    def reset(self) -> None:
        self._offset = 0.0
