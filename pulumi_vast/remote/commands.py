"""Run a command on an instance over SSH and collect its exit code and output."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import paramiko
from fabric import Connection
from invoke.exceptions import ThreadException

from pulumi_vast.remote._connection import connected
from pulumi_vast.remote.errors import CommandFailed, duration
from pulumi_vast.remote.target import SshTarget

__all__ = ["CommandResult", "run", "run_on"]

#: What paramiko reports when a channel closed without an exit status.
_NO_EXIT_STATUS = -1


@dataclass(frozen=True)
class CommandResult:
    """How a remote command ended."""

    exit_code: int
    """The command's exit status (-1 when it was killed by a signal)."""
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """True when the command exited 0."""
        return self.exit_code == 0


def run(target: SshTarget, command: str, *, timeout: float, check: bool = False) -> CommandResult:
    """Run ``command`` (through the login shell) on ``target``; wait at most ``timeout`` s.

    A non-zero exit is returned, not raised, unless ``check``. Raises ConnectFailed when no
    session opens and CommandFailed on timeout (the remote command is hung up on).
    """
    with connected(target) as conn:
        return run_on(conn, target, command, timeout=timeout, check=check)


def run_on(
    conn: Connection, target: SshTarget, command: str, *, timeout: float, check: bool = False
) -> CommandResult:
    """:func:`run` over an already open connection to ``target``.

    On timeout the connection is closed (the remote command is hung up on); it cannot be
    used afterwards.
    """
    # Our own timer rather than invoke's: invoke decides "timed out" by whether its timer
    # thread is still alive, which races with the channel close that timer causes.
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        conn.client.close()

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        # in_stream=False: never forward our own stdin (the Pulumi engine's pipe) to the remote
        outcome = conn.run(command, hide=True, warn=True, in_stream=False, encoding="utf-8")
    except (OSError, EOFError, paramiko.SSHException, ThreadException) as exc:
        if expired.is_set():
            raise _timed_out(target, command, timeout) from None
        raise CommandFailed(
            endpoint=target.endpoint, command=command, reason=f"lost its connection ({exc})"
        ) from exc
    finally:
        timer.cancel()
    if expired.is_set() and outcome.exited == _NO_EXIT_STATUS:
        raise _timed_out(target, command, timeout, outcome.stdout, outcome.stderr)
    result = CommandResult(exit_code=outcome.exited, stdout=outcome.stdout, stderr=outcome.stderr)
    if check and not result.ok:
        raise CommandFailed(
            endpoint=target.endpoint,
            command=command,
            reason=f"exited {result.exit_code}",
            exit_code=result.exit_code,
            stdout=result.stdout,
            stderr=result.stderr,
        )
    return result


def _timed_out(
    target: SshTarget, command: str, timeout: float, stdout: str = "", stderr: str = ""
) -> CommandFailed:
    return CommandFailed(
        endpoint=target.endpoint,
        command=command,
        reason=f"did not finish within {duration(timeout)}",
        stdout=stdout,
        stderr=stderr,
    )
