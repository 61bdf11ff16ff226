"""Errors raised by the engine layer.

EngineError                     root: anything about the pulumi engine itself
├── SetupError                  the pulumi CLI could not be provided
│   ├── GoNotFound              no `go` toolchain to build it with
│   └── BuildFailed             `go mod tidy` / `go build` failed (carries the log tail)
├── CommandFailed               a `pulumi` command exited non-zero (workspace helper)
├── ToolchainError              a project's Python cannot be found or prepared (toolchain)
├── SdkTooOld                   the SDK lacks the language host's private base (language_host)
└── SdkShapeChanged             the SDK's dynamic-provider module is not the one the provider
                                host adapts: it serves with the SDK's own (provider_host)
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BuildFailed",
    "CommandFailed",
    "EngineError",
    "GoNotFound",
    "SetupError",
    "tail",
]

_TAIL_LINES = 40


def tail(text: str, lines: int = _TAIL_LINES) -> str:
    """The last `lines` lines of `text`, for error messages."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


class EngineError(Exception):
    """Root of the engine layer's errors."""


class SetupError(EngineError):
    """The pinned pulumi CLI could not be found, linked or built."""


class GoNotFound(SetupError):
    """Building the CLI needs a Go toolchain and none is on PATH."""

    def __init__(self, version: str) -> None:
        super().__init__(
            f"cannot build pulumi v{version}: `go` is not on PATH. Install Go 1.25 or newer "
            f"(or put a pulumi CLI of exactly v{version} on PATH) and run `./dev setup` again."
        )
        self.version = version


class BuildFailed(SetupError):
    """A build phase failed; `log_tail` holds the end of the build log."""

    def __init__(self, phase: str, log_path: str, log_tail: str) -> None:
        super().__init__(
            f"building the pulumi CLI failed during {phase}; full log: {log_path}\n"
            f"--- last lines of the log ---\n{log_tail}"
        )
        self.phase = phase
        self.log_path = log_path
        self.log_tail = log_tail


class CommandFailed(EngineError):
    """A `pulumi` command exited with a non-zero status (or timed out: returncode None)."""

    def __init__(
        self, args: Sequence[str], returncode: int | None, stdout: str, stderr: str
    ) -> None:
        status = "timed out" if returncode is None else f"exited with status {returncode}"
        super().__init__(
            f"`{' '.join(args)}` {status}\n"
            f"--- stdout (tail) ---\n{tail(stdout)}\n"
            f"--- stderr (tail) ---\n{tail(stderr)}"
        )
        self.command = list(args)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
