"""Run a command on an instance over SSH and collect its exit code and output."""

from __future__ import annotations

from dataclasses import dataclass

from fabric import Connection
from invoke.exceptions import CommandTimedOut

from pulumi_vast.remote._connection import connected
from pulumi_vast.remote.errors import CommandFailed, duration
from pulumi_vast.remote.target import SshTarget

__all__ = ["CommandResult", "run", "run_on"]


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
    """:func:`run` over an already open connection to ``target``."""
    try:
        # in_stream=False: never forward our own stdin (the Pulumi engine's pipe) to the remote
        outcome = conn.run(
            command, hide=True, warn=True, in_stream=False, timeout=timeout, encoding="utf-8"
        )
    except CommandTimedOut as exc:
        raise CommandFailed(
            endpoint=target.endpoint,
            command=command,
            reason=f"did not finish within {duration(timeout)}",
            stdout=exc.result.stdout,
            stderr=exc.result.stderr,
        ) from None
    except (OSError, EOFError) as exc:
        raise CommandFailed(
            endpoint=target.endpoint, command=command, reason=f"lost its connection ({exc})"
        ) from exc
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
