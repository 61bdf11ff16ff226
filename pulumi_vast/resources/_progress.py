"""Progress lines for the `pulumi` display, on the row of the resource being worked on.

Inside a provider call served by our provider host, `pulumi.log` reaches the engine with
that call's URN; anywhere else (tests, tools) it prints to stderr.
"""

from __future__ import annotations

import pulumi

__all__ = ["note", "status", "warn"]


def status(message: str) -> None:
    """A passing status line; the next one replaces it."""
    pulumi.log.info(message, ephemeral=True)


def note(message: str) -> None:
    """A line worth keeping in the diagnostics after the operation."""
    pulumi.log.info(message)


def warn(message: str) -> None:
    pulumi.log.warn(message)
