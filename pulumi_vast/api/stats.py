"""Thread-safe request counters, for benchmarks and tests that bound API traffic."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["RequestStats", "StatsSnapshot"]

Route = tuple[str, str]
"""(HTTP method, route template such as ``/api/v0/instances/{id}/``)"""


@dataclass(frozen=True)
class StatsSnapshot:
    """A consistent copy of the counters at one moment."""

    total: int = 0
    """HTTP requests sent, retries included."""
    retries: int = 0
    """Requests that repeated an earlier failed attempt."""
    by_route: dict[Route, int] = field(default_factory=dict)
    """Requests sent per (method, route template)."""
    by_status: dict[int, int] = field(default_factory=dict)
    """Answers received per HTTP status (transport failures have none)."""


class RequestStats:
    """Counters shared by every thread using one client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._retries = 0
        self._by_route: Counter[Route] = Counter()
        self._by_status: Counter[int] = Counter()

    def record_request(self, method: str, route: str, *, retry: bool) -> None:
        with self._lock:
            self._total += 1
            self._by_route[(method, route)] += 1
            if retry:
                self._retries += 1

    def record_status(self, status: int) -> None:
        with self._lock:
            self._by_status[status] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return self._total

    @property
    def retries(self) -> int:
        with self._lock:
            return self._retries

    @property
    def by_route(self) -> dict[Route, int]:
        with self._lock:
            return dict(self._by_route)

    def count(self, method: str, route: str) -> int:
        """Requests sent to one route, e.g. ``count("GET", "/api/v1/instances/")``."""
        with self._lock:
            return self._by_route[(method.upper(), route)]

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return StatsSnapshot(
                self._total, self._retries, dict(self._by_route), dict(self._by_status)
            )

    def reset(self) -> None:
        with self._lock:
            self._total = self._retries = 0
            self._by_route.clear()
            self._by_status.clear()

    def __repr__(self) -> str:
        snap = self.snapshot()
        return f"RequestStats(total={snap.total}, retries={snap.retries})"
