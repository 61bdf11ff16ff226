"""Waiting for an instance to run, on the shared listing.

Used by a create (boot) and by an update that starts a stopped instance. Listings are
shared by every waiter of the process and paced under Vast's limit; a waiter only asks for
one newer than the last it looked at.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pulumi_vast.api import Instance
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._watch import InstanceWatcher

__all__ = [
    "DEFAULT_READY_TIMEOUT",
    "PATIENT_AFTER",
    "POLL_INTERVAL",
    "InstanceFailed",
    "NotRunningInTime",
    "wait_until_running",
]

DEFAULT_READY_TIMEOUT = 600.0
"""Seconds an instance gets to run (and pass its readiness checks) unless told otherwise:
a boot takes 1-5 minutes, a fresh image pull can take longer."""
POLL_INTERVAL = 0.5
"""Seconds between looks while an instance boots. Cheap: one listing serves every waiting
instance, and listings are paced under Vast's limit (about one a second)."""
PATIENT_AFTER = 30.0
SLOW_POLL_INTERVAL = 5.0
"""After `PATIENT_AFTER` seconds (an image pull takes minutes), look less often."""
VANISHED_AFTER = 3
"""Listings in a row that must miss an instance before it counts as gone."""


class InstanceFailed(Exception):
    """The instance will not run: its host failed, its container did not start, or it is
    gone. Another offer may do."""


class NotRunningInTime(Exception):
    def __init__(self, instance_id: int, elapsed: float, status: str) -> None:
        super().__init__(f"instance {instance_id} was not running after {elapsed:.0f}s ({status})")
        self.instance_id = instance_id
        self.elapsed = elapsed
        self.status = status


def wait_until_running(
    watcher: InstanceWatcher,
    instance_id: int,
    *,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Instance:
    started = seen = clock()
    interval = POLL_INTERVAL
    unseen = 0
    while True:
        snapshot = watcher.snapshot(after=seen)
        seen = snapshot.started
        live = snapshot.value.get(instance_id)
        elapsed = clock() - started
        if live is None:
            unseen += 1
            if unseen >= VANISHED_AFTER:
                raise InstanceFailed("it vanished from the account")
        elif live.is_running:
            return live
        elif live.is_failed:
            raise InstanceFailed(f"status {live.actual_status}: {live.status_msg or 'no message'}")
        else:
            status = live.actual_status or "scheduling"
            progress.status(f"instance {instance_id}: {status} ({elapsed:.0f}s)")
        if clock() >= deadline:
            status = (live.actual_status if live else None) or "unknown"
            raise NotRunningInTime(instance_id, elapsed, f"status {status}")
        sleep(interval)
        if elapsed > PATIENT_AFTER:
            interval = min(interval * 1.25, SLOW_POLL_INTERVAL)
