"""Wait until an instance is reachable over SSH and, optionally, a probe command passes.

Vast gives two routes to an instance's port 22 (the ``ssh_host:ssh_port`` proxy and a
direct ``ip:port``), and either may be down while the other works. Each round tries the
routes in order until one logs in, and that route goes first in later rounds. Both routes
reach the same machine, so the probe runs once per round, on the route that let us in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import paramiko

from pulumi_vast import _stopping as stopping
from pulumi_vast.remote._connection import connected, load_private_key
from pulumi_vast.remote.commands import CommandResult, run_on
from pulumi_vast.remote.errors import (
    CommandFailed,
    ConnectFailed,
    ProbeFailed,
    ReadinessTimeout,
    duration,
    tail,
)
from pulumi_vast.remote.target import SshTarget

__all__ = ["DEFAULT_POLL_INTERVAL", "ReadyResult", "wait_for_ssh"]

#: Seconds between the starts of two rounds of attempts.
DEFAULT_POLL_INTERVAL = 2.0
#: The shortest attempt worth making when the deadline is (nearly) reached.
_MIN_ATTEMPT_SECONDS = 0.5


@dataclass(frozen=True)
class ReadyResult:
    """The route that became ready, and how long it took."""

    target: SshTarget
    """The endpoint that logged in and passed the probe: use it for later commands."""
    attempts: int
    """Rounds of attempts made, the successful one included."""
    elapsed: float
    """Seconds from the call to readiness."""
    probe: CommandResult | None
    """The passing probe's result (None when there was no probe)."""


@dataclass(frozen=True)
class _ProbeRun:
    problem: str | None
    """None when the probe passed, else how it failed ("exited 1", "did not finish ...")."""
    exit_code: int | None
    stdout: str
    stderr: str


class _Round:
    """What the latest attempts found out, for progress lines and the final error."""

    def __init__(self, targets: Sequence[SshTarget]) -> None:
        self.targets = list(targets)
        self.errors: dict[SshTarget, str] = {}
        self.probe: _ProbeRun | None = None

    def connection_errors(self) -> str | None:
        found = [f"{t.endpoint}: {self.errors[t]}" for t in self.targets if t in self.errors]
        return "; ".join(found) or None


def wait_for_ssh(
    targets: Sequence[SshTarget],
    *,
    timeout: float,
    probe: str | None = None,
    on_progress: Callable[[str], None] | None = None,
    interval: float = DEFAULT_POLL_INTERVAL,
) -> ReadyResult:
    """Try ``targets`` until one logs in and ``probe`` (if any) exits 0; at most ``timeout`` s.

    After each failed round (one every ``interval`` seconds unless attempts take longer),
    ``on_progress`` gets one line: the attempt, the elapsed time and the last errors.
    Raises ProbeFailed when logins worked but the probe never passed, ReadinessTimeout when
    no route let us in, and InvalidPrivateKey at once when the key is unusable.
    """
    if not targets:
        raise ValueError("wait_for_ssh needs at least one SSH target")
    keys = {target: load_private_key(target) for target in targets}
    started = time.monotonic()
    deadline = started + timeout
    order = list(targets)
    seen = _Round(targets)
    attempt = 0
    while True:
        attempt += 1
        round_started = time.monotonic()
        for position, target in enumerate(order):
            if position and time.monotonic() >= deadline:
                break
            seconds = max(deadline - time.monotonic(), _MIN_ATTEMPT_SECONDS)
            try:
                probe_run = _attempt(target, keys[target], probe, seconds)
            except ConnectFailed as exc:
                seen.errors[target] = exc.reason
                continue
            seen.errors.pop(target, None)
            if probe_run is None or probe_run.problem is None:
                return ReadyResult(
                    target=target,
                    attempts=attempt,
                    elapsed=time.monotonic() - started,
                    probe=_as_result(probe_run),
                )
            seen.probe = probe_run
            order.remove(target)
            order.insert(0, target)
            break
        now = time.monotonic()
        if on_progress is not None:
            on_progress(_progress_line(attempt, now - started, seen))
        if now >= deadline:
            raise _not_ready(seen, waited=now - started, attempts=attempt, probe=probe)
        stopping.sleep(min(deadline - now, max(0.0, interval - (now - round_started))))


def _attempt(
    target: SshTarget, key: paramiko.PKey, probe: str | None, seconds: float
) -> _ProbeRun | None:
    """Log in (ConnectFailed if that fails) and run the probe, if any."""
    with connected(target, key, timeout=min(target.connect_timeout, seconds)) as conn:
        if probe is None:
            return None
        try:
            result = run_on(conn, target, probe, timeout=seconds)
        except CommandFailed as exc:
            return _ProbeRun(exc.reason, exc.exit_code, exc.stdout, exc.stderr)
        problem = None if result.ok else f"exited {result.exit_code}"
        return _ProbeRun(problem, result.exit_code, result.stdout, result.stderr)


def _as_result(probe_run: _ProbeRun | None) -> CommandResult | None:
    if probe_run is None or probe_run.exit_code is None:
        return None
    return CommandResult(probe_run.exit_code, probe_run.stdout, probe_run.stderr)


def _progress_line(attempt: int, elapsed: float, seen: _Round) -> str:
    states = [seen.connection_errors() or ""]
    if seen.probe is not None:
        last_line = tail(seen.probe.stderr, lines=1, chars=200)
        states.append(f"probe {seen.probe.problem}" + (f": {last_line}" if last_line else ""))
    detail = "; ".join(state for state in states if state)
    return f"waiting for SSH: attempt {attempt}, {duration(elapsed)} elapsed; {detail}"


def _not_ready(
    seen: _Round, *, waited: float, attempts: int, probe: str | None
) -> ReadinessTimeout:
    endpoints = [target.endpoint for target in seen.targets]
    last_error = seen.connection_errors()
    if seen.probe is None:
        return ReadinessTimeout(
            endpoints=endpoints, waited=waited, attempts=attempts, last_error=last_error
        )
    return ProbeFailed(
        endpoints=endpoints,
        waited=waited,
        attempts=attempts,
        last_error=last_error,
        probe=probe,
        probe_outcome=seen.probe.problem,
        probe_exit_code=seen.probe.exit_code,
        probe_stderr=seen.probe.stderr,
    )
