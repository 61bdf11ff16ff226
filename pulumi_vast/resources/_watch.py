"""Watch many instances with one listing call at a time.

Vast rate-limits per endpoint and identity, and a stack may wait on dozens of booting
instances at once. Waiters and refresh reads share snapshots of `GET /api/v1/instances/`:
a caller reuses a snapshot young enough for it, joins a listing already in flight, or
starts one. So N parallel waits or reads cost one listing per interval, not N GETs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pulumi_vast.api import Instance, VastClient

__all__ = ["InstanceWatcher", "Snapshot"]


@dataclass(frozen=True)
class Snapshot:
    instances: dict[int, Instance]
    started: float
    """Monotonic time the listing was requested: it shows nothing created after this."""


class InstanceWatcher:
    def __init__(self, client: VastClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._cond = threading.Condition()
        self._latest: Snapshot | None = None
        self._fetching = False
        self._error: BaseException | None = None

    def snapshot(self, *, max_age: float, not_before: float | None = None) -> Snapshot:
        """A listing started at most ``max_age`` seconds ago and not before ``not_before``."""
        with self._cond:
            while True:
                latest = self._latest
                now = self._clock()
                fresh = latest is not None and now - latest.started <= max_age
                if (
                    fresh
                    and latest is not None
                    and (not_before is None or latest.started >= not_before)
                ):
                    return latest
                if not self._fetching:
                    self._fetching = True
                    break
                self._cond.wait()
        started = self._clock()
        try:
            listing = {inst.id: inst for inst in self._client.instances.list()}
        except BaseException:
            with self._cond:
                self._fetching = False
                self._cond.notify_all()
            raise
        snap = Snapshot(instances=listing, started=started)
        with self._cond:
            if self._latest is None or self._latest.started <= started:
                self._latest = snap
            self._fetching = False
            self._cond.notify_all()
        return snap

    def forget(self) -> None:
        """Drop the cached listing (after a change this process made)."""
        with self._cond:
            self._latest = None
