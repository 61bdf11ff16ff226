"""A create that failed after making something that still exists.

Pulumi's contract is that a failed create leaves nothing behind. When that cannot be kept
(the instance was rented, the create failed, and giving it back failed too), the honest
answer is to tell the engine what exists, so that it keeps the object in the state: the
next `pulumi up` replaces it, `pulumi refresh` reads it, `pulumi destroy` deletes it.
The engine's protocol has a "partial failure" for this (`ErrorResourceInitFailed`); our
plugin host (`pulumi_vast.engine.provider_host`) turns this exception into one. Under the
SDK's stock host it is an ordinary failure, and the object is found by its tags instead.

Neutral ground: the resources raise it, the engine layer translates it, and neither imports
the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CreatedButFailed"]


class CreatedButFailed(Exception):
    """The create failed, yet ``resource_id`` exists with these ``outputs``."""

    def __init__(self, message: str, *, resource_id: str, outputs: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.resource_id = resource_id
        self.outputs = dict(outputs)
