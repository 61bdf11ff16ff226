"""Errors of the remote layer: what went wrong reaching an instance over SSH.

    RemoteError                  root: anything between us and an instance's SSH server
    ├── InvalidPrivateKey        the configured private key cannot be used (not retried)
    ├── ConnectFailed            could not connect or log in (run, upload, download)
    ├── ReadinessTimeout         SSH never became usable before the deadline
    │   └── ProbeFailed          SSH worked, but the readiness probe never passed
    ├── CommandFailed            a command exited non-zero (when checked) or timed out
    └── TransferFailed           an upload or download failed

Messages are plain words meant for the person running ``pulumi up``; they name the endpoint
(``root@host:port``), never the key.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CommandFailed",
    "ConnectFailed",
    "InvalidPrivateKey",
    "ProbeFailed",
    "ReadinessTimeout",
    "RemoteError",
    "TransferFailed",
    "duration",
    "tail",
]

_TAIL_LINES = 20
_TAIL_CHARS = 2000


def duration(seconds: float) -> str:
    """Seconds for a message: "0.5s", "12s", "3m05s"."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


def tail(text: str, lines: int = _TAIL_LINES, chars: int = _TAIL_CHARS) -> str:
    """The end of a command's output, short enough for an error message."""
    kept = "\n".join(text.rstrip().splitlines()[-lines:])
    return kept if len(kept) <= chars else "..." + kept[-chars:]


class RemoteError(Exception):
    """Root of the remote layer's errors."""


class InvalidPrivateKey(RemoteError):
    """The SSH private key given for a target cannot be read or parsed."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"the SSH private key {source} cannot be used: {reason}")


class ConnectFailed(RemoteError):
    """No SSH session could be opened to an endpoint."""

    def __init__(self, endpoint: str, reason: str) -> None:
        self.endpoint = endpoint
        self.reason = reason
        super().__init__(f"cannot open SSH to {endpoint}: {reason}")


class ReadinessTimeout(RemoteError):
    """SSH did not become ready before the deadline."""

    def __init__(
        self,
        *,
        endpoints: Sequence[str],
        waited: float,
        attempts: int,
        last_error: str | None,
        probe: str | None = None,
        probe_outcome: str | None = None,
        probe_exit_code: int | None = None,
        probe_stderr: str = "",
    ) -> None:
        self.endpoints = tuple(endpoints)
        self.waited = waited
        self.attempts = attempts
        self.last_error = last_error
        self.probe = probe
        self.probe_outcome = probe_outcome
        """How the probe last ended, in words ("exited 1", "did not finish within 5s")."""
        self.probe_exit_code = probe_exit_code
        self.probe_stderr = probe_stderr
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [
            f"SSH was not ready after {duration(self.waited)} ({_attempts(self.attempts)}); "
            f"tried {', '.join(self.endpoints)}."
        ]
        if self.last_error:
            parts.append(f"Last error: {self.last_error}.")
        parts.append(self._probe_report())
        return " ".join(part for part in parts if part)

    def _probe_report(self) -> str:
        if self.probe is None or self.probe_outcome is None:
            return ""
        report = f"The probe `{self.probe}` last {self.probe_outcome}"
        if self.probe_stderr.strip():
            return f"{report}, with stderr:\n{tail(self.probe_stderr)}"
        return f"{report}."


class ProbeFailed(ReadinessTimeout):
    """SSH logins worked, but the readiness probe kept failing until the deadline."""

    def _describe(self) -> str:
        parts = [
            f"SSH worked but the readiness probe never passed in {duration(self.waited)} "
            f"({_attempts(self.attempts)}; tried {', '.join(self.endpoints)}).",
            self._probe_report(),
        ]
        if self.last_error:
            parts.append(f"Last connection error: {self.last_error}.")
        return " ".join(part for part in parts if part)


class CommandFailed(RemoteError):
    """A remote command failed: non-zero exit (when checked), timeout, or a dropped session."""

    def __init__(
        self,
        *,
        endpoint: str,
        command: str,
        reason: str,
        exit_code: int | None = None,
        stdout: str = "",
        stderr: str = "",
    ) -> None:
        self.endpoint = endpoint
        self.command = command
        self.reason = reason
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        message = f"`{command}` on {endpoint} {reason}"
        super().__init__(f"{message}; stderr:\n{tail(stderr)}" if stderr.strip() else message)


class TransferFailed(RemoteError):
    """A file or directory could not be copied to or from an instance."""

    def __init__(self, *, endpoint: str, source: str, destination: str, reason: str) -> None:
        self.endpoint = endpoint
        self.source = source
        self.destination = destination
        self.reason = reason
        super().__init__(f"copying {source} to {destination} ({endpoint}) failed: {reason}")
