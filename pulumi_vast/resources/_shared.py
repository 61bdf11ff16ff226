"""One fetch serving many threads: results shared while young enough, fetches never doubled.

The provider serves each resource's operation on its own thread; a stack of N instances
asks the same questions N times at once (list my instances, search this query). A
`SharedFetch` answers them all from one request: a caller reuses a result young enough for
it, joins a fetch already in flight, or starts one.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Fetched", "SharedFetch"]

T = TypeVar("T")


@dataclass(frozen=True)
class Fetched(Generic[T]):
    value: T
    started: float
    """Monotonic time the fetch began: the result shows nothing that happened after."""


class SharedFetch(Generic[T]):
    def __init__(
        self, fetch: Callable[[], T], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._cond = threading.Condition()
        self._latest: Fetched[T] | None = None
        self._fetching = False

    def get(self, *, max_age: float = math.inf, after: float | None = None) -> Fetched[T]:
        """A result begun at most ``max_age`` seconds ago, and strictly after ``after``."""
        with self._cond:
            while True:
                latest = self._latest
                if (
                    latest is not None
                    and self._clock() - latest.started <= max_age
                    and (after is None or latest.started > after)
                ):
                    return latest
                if not self._fetching:
                    self._fetching = True
                    break
                self._cond.wait()
        started = self._clock()
        try:
            result = Fetched(self._fetch(), started)
        finally:
            with self._cond:
                self._fetching = False
                self._cond.notify_all()
        with self._cond:
            if self._latest is None or self._latest.started <= started:
                self._latest = result
        return result

    def forget(self) -> None:
        """Drop the kept result (after a change this process made itself)."""
        with self._cond:
            self._latest = None
