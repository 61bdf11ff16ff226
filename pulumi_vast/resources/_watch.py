"""Watch many instances with as few calls as Vast's rate limits want.

Vast rate-limits per endpoint and identity, and a stack may wait on dozens of booting
instances at once. Waiters and refresh reads share listings of `GET /api/v1/instances/`,
so N parallel waits or reads cost one listing per interval, not N GETs.

While only one or two instances are awaited (one instance in a stack, or the last ones
of a large stack), each is looked at with its own `GET /api/v0/instances/{id}/` instead:
that endpoint allows two calls for each listing Vast allows, so they are seen running
sooner.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pulumi_vast.api import Instance
from pulumi_vast.resources._shared import Fetched, SharedFetch

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["OWN_LOOKS_UP_TO", "InstanceWatcher", "Look", "Snapshot"]

Snapshot = Fetched[dict[int, Instance]]
Look = Fetched["Instance | None"]
"""One instance as a look begun at `started` saw it (None: not there)."""

OWN_LOOKS_UP_TO = 2
"""Awaited instances looked at one by one, at most: Vast allows 2 GETs of one instance per
second and 1 listing (openapi.yaml's thresholds), so up to two waiters see more by GETs."""


class InstanceWatcher:
    def __init__(self, client: VastClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._listing = SharedFetch(
            lambda: {inst.id: inst for inst in client.instances.list()}, clock=clock
        )
        self._lock = threading.Lock()
        self._awaited: Counter[int] = Counter()
        self._destroyed_at = -math.inf
        self._since_destroyed: Snapshot | None = None

    def snapshot(self, *, max_age: float = math.inf, after: float | None = None) -> Snapshot:
        """The account's instances, listed at most ``max_age`` s ago and begun strictly
        after ``after`` (a waiter passes the start of the listing it saw last, or the time
        it created an instance, and so always sees news)."""
        return self._listing.get(max_age=max_age, after=after)

    def since_destroyed(self) -> Snapshot:
        """A listing begun after this process last destroyed an instance: it shows every
        instance an earlier run left, and none we destroyed since. Creates and other writes
        of ours leave it good (they make no instance an earlier run left), so the creates
        of a stack share one, where `snapshot` is taken anew after each write."""
        with self._lock:
            kept, destroyed_at = self._since_destroyed, self._destroyed_at
        if kept is not None and kept.started > destroyed_at:
            return kept
        listing = self._listing.get(after=destroyed_at)
        with self._lock:
            if self._since_destroyed is None or self._since_destroyed.started < listing.started:
                self._since_destroyed = listing
        return listing

    def destroyed(self) -> None:
        """This process destroyed an instance (its answer has come)."""
        with self._lock:
            self._destroyed_at = self._clock()

    @contextmanager
    def awaiting(self, instance_id: int) -> Iterator[None]:
        """Count ``instance_id`` as awaited (by `look`) while the block runs."""
        with self._lock:
            self._awaited[instance_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._awaited[instance_id] -= 1
                if self._awaited[instance_id] <= 0:
                    del self._awaited[instance_id]

    def look(self, instance_id: int, *, after: float, listing: bool = False) -> Look:
        """The instance, from a look begun after ``after``: its own GET while few are
        awaited, else the shared listing (or the listing when ``listing`` is asked for: a
        GET that misses a fresh instance is confirmed by a listing)."""
        with self._lock:
            own = not listing and len(self._awaited) <= OWN_LOOKS_UP_TO
        if own:
            started = self._clock()
            return Fetched(self._client.instances.get(instance_id), started)
        snapshot = self.snapshot(after=after)
        return Fetched(snapshot.value.get(instance_id), snapshot.started)

    def forget(self) -> None:
        self._listing.forget()
