"""The process is being stopped while operations are still in flight.

The engine closes the provider plugin with operations in flight only when it is going
away without them: a second Ctrl-C, or a crash. It will not record what they return, so
an instance a create rented would bill outside any state. The plugin host calls
`request()` then; long waits sleep with `sleep` (or call `check`) and raise `Stopping`,
and a create that sees it destroys what it rented before giving up.
"""

from __future__ import annotations

import threading

__all__ = ["Stopping", "check", "request", "sleep"]

_stopping = threading.Event()


class Stopping(Exception):
    """Raised in a waiting operation when the process is being stopped."""

    def __init__(self) -> None:
        super().__init__("stopped: the engine went away while this was in flight")


def request() -> None:
    _stopping.set()


def check() -> None:
    if _stopping.is_set():
        raise Stopping()


def sleep(seconds: float) -> None:
    """`time.sleep`, except that it raises `Stopping` as soon as a stop is requested."""
    if _stopping.wait(max(seconds, 0.0)):
        raise Stopping()
