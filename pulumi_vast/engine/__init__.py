"""The engine layer: the pulumi CLI, our Python language host and dynamic-provider plugin.

Knows nothing about Vast. Import-light on purpose: the hosts (gRPC) are separate entry
points, so `python -m pulumi_vast.engine.setup` and the workspace helper stay quick to load.
"""

from pulumi_vast.engine.errors import (
    BuildFailed,
    CommandFailed,
    EngineError,
    GoNotFound,
    SetupError,
)

__all__ = [
    "BuildFailed",
    "CommandFailed",
    "EngineError",
    "GoNotFound",
    "SetupError",
]
