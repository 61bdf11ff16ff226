"""Start, and later find and end, every process one simulated instance runs.

Each process is started in its own session and carries a per-instance marker variable in its
environment. Descendants inherit the marker even when they leave the session (``nohup``,
``setsid``, job control in an interactive shell), so ending the instance finds them all by
reading ``/proc/*/environ``; the random token never matches another program's processes.
Without ``/proc`` (not Linux) only the process groups of direct children are signalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import signal
import termios
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["BASH", "MARKER_VARIABLE", "ProcessTracker"]

#: bash, found once on the simulator's PATH: an instance's env may set its own PATH.
BASH = shutil.which("bash") or "/bin/bash"
#: Environment variable naming the instance a process belongs to (a random token).
MARKER_VARIABLE = "PULUMI_VAST_SIM_INSTANCE"
#: How long SIGTERM gets before SIGKILL when an instance stops (like ``docker stop -t``).
TERMINATE_GRACE_SECONDS = 1.0
_POLL_SECONDS = 0.02
_PROC = Path("/proc")

_Stream = int | IO[Any] | None


def _take_controlling_tty() -> None:
    # Runs in the child after setsid(): make the pty on stdin its controlling terminal, so
    # job control, Ctrl-C and hangup behave as in a real login.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class ProcessTracker:
    """Spawns the processes of one instance and ends them all on demand."""

    def __init__(self) -> None:
        self._token = uuid.uuid4().hex
        self._children: set[asyncio.subprocess.Process] = set()
        self._reapers: set[asyncio.Task[int]] = set()

    async def spawn(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        stdin: _Stream,
        stdout: _Stream,
        stderr: _Stream,
        controlling_tty: bool = False,
    ) -> asyncio.subprocess.Process:
        """Start ``argv`` as the leader of a new session, marked as this instance's."""
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env={**env, MARKER_VARIABLE: self._token},
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=_take_controlling_tty if controlling_tty else None,
        )
        self._children.add(proc)
        reaper = asyncio.get_running_loop().create_task(proc.wait())
        self._reapers.add(reaper)
        reaper.add_done_callback(lambda _: self._forget(proc, reaper))
        return proc

    def _forget(self, proc: asyncio.subprocess.Process, reaper: asyncio.Task[int]) -> None:
        self._children.discard(proc)
        self._reapers.discard(reaper)

    @staticmethod
    def signal_group(proc: asyncio.subprocess.Process, signum: int) -> None:
        """Send ``signum`` to the process group ``proc`` leads (its session's first group)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signum)

    def live_pids(self) -> set[int]:
        """Processes of this instance still running (zombies excluded)."""
        if not _PROC.is_dir():
            return {proc.pid for proc in self._children if proc.returncode is None}
        marker = f"{MARKER_VARIABLE}={self._token}".encode()
        own = os.getpid()
        found: set[int] = set()
        for entry in os.scandir(_PROC):
            if not entry.name.isdigit() or int(entry.name) == own:
                continue
            try:
                environ = (_PROC / entry.name / "environ").read_bytes()
                if marker not in environ.split(b"\0"):
                    continue
                stat = (_PROC / entry.name / "stat").read_text()
            except OSError:  # exited meanwhile, or not ours to read
                continue
            state = stat.rpartition(")")[2].split()[0]
            if state not in ("Z", "X"):
                found.add(int(entry.name))
        return found

    async def terminate_all(self, grace: float = TERMINATE_GRACE_SECONDS) -> None:
        """End every process of this instance: SIGTERM, then SIGKILL after ``grace`` seconds."""
        for proc in list(self._children):
            self.signal_group(proc, signal.SIGTERM)
        self._signal_pids(self.live_pids(), signal.SIGTERM)
        if await self._wait_until_none_alive(grace):
            return
        for proc in list(self._children):
            self.signal_group(proc, signal.SIGKILL)
        self._signal_pids(self.live_pids(), signal.SIGKILL)
        await self._wait_until_none_alive(grace)

    async def wait_reaped(self, timeout: float = TERMINATE_GRACE_SECONDS) -> None:
        """Wait (at most ``timeout`` s) until every direct child has been reaped."""
        if self._reapers:
            await asyncio.wait(set(self._reapers), timeout=timeout)

    async def _wait_until_none_alive(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while True:
            if not self.live_pids():
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_POLL_SECONDS)

    @staticmethod
    def _signal_pids(pids: set[int], signum: int) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)
