"""Watch many instances with one listing call at a time.

Vast rate-limits per endpoint and identity, and a stack may wait on dozens of booting
instances at once. Waiters and refresh reads share listings of `GET /api/v1/instances/`,
so N parallel waits or reads cost one listing per interval, not N GETs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from pulumi_vast.api import Instance, VastClient
from pulumi_vast.resources._shared import Fetched, SharedFetch

__all__ = ["InstanceWatcher", "Snapshot"]

Snapshot = Fetched[dict[int, Instance]]


class InstanceWatcher:
    def __init__(self, client: VastClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._listing = SharedFetch(
            lambda: {inst.id: inst for inst in client.instances.list()}, clock=clock
        )

    def snapshot(self, *, max_age: float = math.inf, after: float | None = None) -> Snapshot:
        """The account's instances, listed at most ``max_age`` s ago and begun strictly
        after ``after`` (a waiter passes the start of the listing it saw last, or the time
        it created an instance, and so always sees news)."""
        return self._listing.get(max_age=max_age, after=after)

    def forget(self) -> None:
        self._listing.forget()
