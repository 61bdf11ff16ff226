"""Progress lines for the `pulumi` display, on the row of the resource being worked on.

Inside a provider call served by our provider host, `pulumi.log` reaches the engine with
that call's URN; anywhere else (tests, tools) it prints to stderr.

Reporting never fails the work it reports on: when the engine has gone (killed, crashed)
its `Log` call raises, and a rollback that logged "destroying instance N" before destroying
it must still destroy it. Such a message goes to stderr, and is dropped if that is closed too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import suppress

import pulumi

__all__ = ["note", "status", "warn"]


def status(message: str) -> None:
    """A passing status line; the next one replaces it."""
    _send(lambda: pulumi.log.info(message, ephemeral=True), message)


def note(message: str) -> None:
    """A line worth keeping in the diagnostics after the operation."""
    _send(lambda: pulumi.log.info(message), message)


def warn(message: str) -> None:
    _send(lambda: pulumi.log.warn(message), f"warning: {message}")


def _send(log: Callable[[], None], fallback: str) -> None:
    try:
        log()
    except Exception:  # the engine is gone or refused it: the work goes on
        with suppress(Exception):
            sys.stderr.write(fallback + "\n")
            sys.stderr.flush()
