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
        self._round = 0
        """Number of the latest fetch begun."""
        self._failed: tuple[int, BaseException] | None = None
        """The latest fetch that failed, by round: its error is every joined caller's."""
        self._generation = 0
        """Bumped by `forget`: a fetch begun before it must not be kept."""

    def get(self, *, max_age: float = math.inf, after: float | None = None) -> Fetched[T]:
        """A result begun at most ``max_age`` seconds ago, and strictly after ``after``.

        Callers that join a fetch in flight share its result, or its error.
        """
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
                    self._round += 1
                    round_, generation = self._round, self._generation
                    break
                joined = self._round
                while self._fetching and self._round == joined:
                    self._cond.wait()
                if self._failed is not None and self._failed[0] == joined:
                    raise self._failed[1]
        started = self._clock()
        try:
            result = Fetched(self._fetch(), started)
        except BaseException as exc:
            with self._cond:
                self._failed = (round_, exc)
                self._fetching = False
                self._cond.notify_all()
            raise
        with self._cond:
            keep = generation == self._generation
            if keep and (self._latest is None or self._latest.started <= started):
                self._latest = result
            self._fetching = False
            self._cond.notify_all()
        return result

    def forget(self) -> None:
        """Drop the kept result (after a change this process made itself)."""
        with self._cond:
            self._latest = None
            self._generation += 1
