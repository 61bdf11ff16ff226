"""Progress messages from inside a dynamic provider, shown on the resource's row.

    from pulumi_vast.engine.progress import report

    def create(self, props):
        report("waiting for SSH on 1.2.3.4:22")   # shows next to the resource in `pulumi up`

Our provider host (`provider_host.py`) connects to the engine and runs every provider call
inside `operation(urn)`, so `report` sends the engine a `Log` request carrying that
resource's URN. Ephemeral messages (the default) show as the resource's current status
and are not repeated in the final diagnostics; `ephemeral=False` keeps them there.
Outside a provider call, or with no engine, messages go to stderr.

The URN lives in a context variable: a thread the provider starts itself sees it only if
started inside `contextvars.copy_context().run(...)`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from pulumi_vast._operation import CURRENT_URN
from pulumi_vast.engine._grpc_host import GRPC_OPTIONS

__all__ = ["attach_engine", "current_urn", "engine", "operation", "report"]

_URN = CURRENT_URN
# A hung engine must not hang the provider call reporting progress.
LOG_TIMEOUT_S = 10.0
_engine: Any = None
_engine_lock = threading.Lock()


def attach_engine(address: str | None) -> None:
    """Send messages to the engine at `address` (None: back to stderr)."""
    global _engine
    with _engine_lock:
        _engine = (
            engine_pb2_grpc.EngineStub(grpc.insecure_channel(address, options=list(GRPC_OPTIONS)))
            if address
            else None
        )


def engine() -> Any:
    """The engine stub messages go to, or None."""
    return _engine


@contextmanager
def operation(urn: str) -> Iterator[None]:
    """Attribute messages reported inside this block to the resource `urn`."""
    token = _URN.set(urn)
    try:
        yield
    finally:
        _URN.reset(token)


def current_urn() -> str:
    """The URN of the provider call being served in this context ("" outside one)."""
    return _URN.get()


def report(message: str, *, ephemeral: bool = True) -> None:
    """Show `message` on the current resource's row of the `pulumi` display."""
    stub = _engine
    if stub is not None:
        request = engine_pb2.LogRequest(
            severity=engine_pb2.INFO, message=message, urn=_URN.get(), ephemeral=ephemeral
        )
        try:
            stub.Log(request, timeout=LOG_TIMEOUT_S)
            return
        except grpc.RpcError:
            pass  # the engine is going away: stderr still reaches the user's terminal
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
