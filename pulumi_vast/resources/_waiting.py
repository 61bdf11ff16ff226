"""Waiting until an instance is ready: running, then (if asked) SSH and a probe.

Used by a create (boot) and by an update that starts a stopped instance. Status comes
from the `InstanceWatcher` (listings shared by every waiter of the process, or a GET of
the instance while few are awaited), paced under Vast's limits; a waiter only asks for a
look newer than the last it had.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from pulumi_vast import _stopping as stopping
from pulumi_vast import remote
from pulumi_vast.api import Instance
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._fields import known
from pulumi_vast.resources._watch import InstanceWatcher

__all__ = [
    "DEFAULT_READY_TIMEOUT",
    "PATIENT_AFTER",
    "POLL_INTERVAL",
    "InstanceFailed",
    "InstanceOutbid",
    "NotRunningInTime",
    "Readiness",
    "wait_until_ready",
    "wait_until_running",
]

DEFAULT_READY_TIMEOUT = 600.0
"""Seconds an instance gets to run (and pass its readiness checks) unless told otherwise:
a boot takes 1-5 minutes, a fresh image pull can take longer."""
POLL_INTERVAL = 0.5
"""Seconds between looks while an instance boots. Cheap: one listing serves every waiting
instance, or a GET each while there are one or two, all paced under Vast's limits."""
PATIENT_AFTER = 30.0
SLOW_POLL_INTERVAL = 5.0
"""After `PATIENT_AFTER` seconds (an image pull takes minutes), look less often."""
VANISHED_AFTER = 3
"""Looks in a row that must miss an instance before it counts as gone (a listing may lag
behind a create); after a miss, the next looks are listings."""


class InstanceFailed(Exception):
    """The instance will not run: its host failed, its container did not start, or it is
    gone. Another offer may do."""


class InstanceOutbid(InstanceFailed):
    """An interruptible instance that Vast stopped because someone bid more (NOTES: every
    state field says stopped). It will not run at this bid."""

    @classmethod
    def of(cls, live: Instance) -> InstanceOutbid:
        bid = f"${live.dph_base:.4g}/h" if live.dph_base is not None else "the bid"
        minimum = f"${live.min_bid:.4g}/h" if live.min_bid is not None else "unknown"
        return cls(
            f"instance {live.id} was outbid: its bid ({bid}) is below the current minimum "
            f"({minimum}), and Vast stopped it ({live.status_msg or 'no message'})"
        )


class NotRunningInTime(Exception):
    def __init__(self, instance_id: int, elapsed: float, status: str) -> None:
        super().__init__(f"instance {instance_id} was not running after {elapsed:.0f}s ({status})")
        self.instance_id = instance_id
        self.elapsed = elapsed
        self.status = status


@dataclass(frozen=True)
class Readiness:
    """What "ready" means for one instance, resolved from `ReadyArgs` and the provider."""

    timeout: float = DEFAULT_READY_TIMEOUT
    ssh: bool = False
    probe: str | None = None
    private_key: Path | SecretStr | None = None

    @classmethod
    def of(cls, ready: Any | None, private_key: Path | SecretStr | None) -> Readiness:
        if ready is None:
            return cls(private_key=private_key)
        probe = known(ready.probe)
        return cls(
            timeout=float(known(ready.timeout)),
            ssh=bool(known(ready.ssh)) or probe is not None,
            probe=probe,
            private_key=private_key,
        )


def wait_until_ready(
    watcher: InstanceWatcher,
    instance_id: int,
    readiness: Readiness,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = stopping.sleep,
) -> Instance:
    """The instance once it runs and its SSH checks pass.

    Raises InstanceFailed (it will not run), NotRunningInTime, or remote.ReadinessTimeout
    (running, but SSH or the probe did not come good in time).
    """
    deadline = clock() + readiness.timeout
    live = wait_until_running(watcher, instance_id, deadline=deadline, clock=clock, sleep=sleep)
    if not readiness.ssh:
        return live
    targets = [
        remote.SshTarget(
            host=endpoint.host,
            port=endpoint.port,
            private_key=readiness.private_key,
            label=endpoint.kind,
        )
        for endpoint in live.ssh_endpoints()
    ]
    if not targets:
        raise InstanceFailed("it is running but offers no SSH endpoint")
    remote.wait_for_ssh(
        targets,
        timeout=max(deadline - clock(), 1.0),
        probe=readiness.probe,
        on_progress=lambda line: progress.status(f"instance {instance_id}: {line}"),
    )
    return live


def wait_until_running(
    watcher: InstanceWatcher,
    instance_id: int,
    *,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = stopping.sleep,
) -> Instance:
    started = seen = clock()
    interval = POLL_INTERVAL
    unseen = 0
    with watcher.awaiting(instance_id):
        while True:
            look = watcher.look(instance_id, after=seen, listing=unseen > 0)
            seen = look.started
            live = look.value
            elapsed = clock() - started
            if live is None:
                unseen += 1
                if unseen >= VANISHED_AFTER:
                    raise InstanceFailed("it vanished from the account")
            else:
                unseen = 0
                if live.is_running:
                    return live
                if live.looks_outbid:
                    raise InstanceOutbid.of(live)
                if live.is_failed:
                    message = live.status_msg or "no message"
                    raise InstanceFailed(f"status {live.actual_status}: {message}")
                status = live.actual_status or "scheduling"
                progress.status(f"instance {instance_id}: {status} ({elapsed:.0f}s)")
            if clock() >= deadline:
                status = (live.actual_status if live else None) or "unknown"
                raise NotRunningInTime(instance_id, elapsed, f"status {status}")
            sleep(interval)
            if elapsed > PATIENT_AFTER:
                interval = min(interval * 1.25, SLOW_POLL_INTERVAL)
