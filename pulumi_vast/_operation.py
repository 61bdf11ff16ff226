"""Which resource the provider call running in this context works on.

Our plugin host knows the URN of each call and sets it here (`pulumi_vast.engine.progress`);
the resources read it, e.g. to keep one preview's answers per resource. Under the SDK's
stock host nothing sets it and it is "". Neutral ground: the engine layer writes it, the
resources layer reads it, and neither imports the other.
"""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["CURRENT_URN", "current_urn"]

CURRENT_URN: ContextVar[str] = ContextVar("pulumi_vast_operation_urn", default="")


def current_urn() -> str:
    """The URN of the provider call being served in this context ("" outside one)."""
    return CURRENT_URN.get()
