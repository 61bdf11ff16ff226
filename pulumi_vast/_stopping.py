"""The process is being stopped while operations are still in flight.

The engine closes the provider plugin with operations in flight only when it is going
away without them: a second Ctrl-C, or a crash. It will not record what they return, so
an instance a create rented would bill outside any state. The plugin host calls
`request()` then; long waits sleep with `sleep` (or call `check`) and raise `Stopping`,
and a create that sees it destroys what it rented before giving up.

Our provider host does that itself (`mark_hosted`). The SDK's stock host, `python -m
pulumi.dynamic`, which users of Pulumi's own CLI run, knows nothing of it: `guard_unhosted`
makes up for it there (see its docstring).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

__all__ = [
    "Stopping",
    "check",
    "engine_reachable",
    "guard_unhosted",
    "in_flight",
    "mark_hosted",
    "request",
    "sleep",
    "wait_idle",
]

STOCK_HOST_MODULE = "pulumi.dynamic.__main__"
ENGINE_POLL_S = 2.0
ENGINE_FAILURES_BEFORE_GONE = 2
"""A single refused connection could be a hiccup; two in a row mean the engine is gone."""
ROLLBACK_PATIENCE_S = 120.0
"""How long an orphaned stock host waits for its operations to give back what they rented."""

_stopping = threading.Event()
_idle = threading.Condition()
_operations = 0
_hosted = False
_guarded = False


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


@contextmanager
def in_flight() -> Iterator[None]:
    """Count an operation that must finish (or roll back) before the process exits."""
    global _operations
    with _idle:
        _operations += 1
    try:
        yield
    finally:
        with _idle:
            _operations -= 1
            if not _operations:
                _idle.notify_all()


def wait_idle(timeout: float) -> bool:
    """True once no operation is `in_flight`; False if `timeout` passed first."""
    with _idle:
        return _idle.wait_for(lambda: not _operations, timeout)


def mark_hosted() -> None:
    """Called by our provider host, which stops its calls itself: no guard needed."""
    global _hosted
    _hosted = True


def engine_reachable(address: str) -> bool:
    """Whether the engine at ``host:port`` accepts connections."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=5):
            return True
    except (OSError, ValueError):
        return False


def guard_unhosted(argv: Sequence[str]) -> None:
    """Under the SDK's stock host (``argv`` its command line), stop operations in flight
    when the engine goes away, as our host does; elsewhere, and after the first call, nothing.

    The stock host stops only on the engine's SIGINT: its main thread leaves its wait and
    the interpreter exits, joining the workers whose calls are in flight (a create would
    finish renting for an engine that no longer listens). `threading._register_atexit`
    callbacks run before those joins (atexit ones only after them), in reverse order of
    registration: so a stop is requested there. A killed engine sends nothing, and the
    stock host would serve forever: a watcher notices that the engine is gone (our parent
    changed, or its address refuses connections), requests a stop, waits for the
    operations in flight to roll back, and ends the process.
    """
    global _guarded
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if _hosted or _guarded or getattr(spec, "name", None) != STOCK_HOST_MODULE:
        return
    _guarded = True
    # Its exit hook (joining the workers) must be registered before ours, to run after it.
    import concurrent.futures.thread  # noqa: F401

    threading._register_atexit(request)  # type: ignore[attr-defined]
    address = argv[-1] if len(argv) > 1 and ":" in argv[-1] else None
    threading.Thread(
        target=_watch_engine,
        args=(os.getppid(), address),
        name="pulumi-vast-engine-watch",
        daemon=True,
    ).start()


def _watch_engine(parent: int, address: str | None) -> None:
    failures = 0
    while failures < ENGINE_FAILURES_BEFORE_GONE and os.getppid() == parent:
        time.sleep(ENGINE_POLL_S)
        if address is not None:
            failures = 0 if engine_reachable(address) else failures + 1
    request()
    rolled_back = wait_idle(ROLLBACK_PATIENCE_S)
    _note(
        "pulumi-vast: the engine is gone; "
        + ("operations in flight rolled back" if rolled_back else "abandoning operations")
        + ", exiting"
    )
    os._exit(0 if rolled_back else 1)


def _note(message: str) -> None:
    # Nobody may read stderr any more: a closed pipe must not keep the process alive.
    with suppress(OSError, ValueError):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
