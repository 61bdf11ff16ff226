"""The engine layer: the pulumi CLI, our Python language host and dynamic-provider plugin.

Knows nothing about Vast. Modules:

    setup          `python -m pulumi_vast.engine.setup`: the pinned CLI (cache, PATH, build),
                   and our two plugins written beside it (never installed by pip)
    language_host  `pulumi-language-python`: the executable; answers the engine's metadata
                   calls at once and serves `language_runtime` once the SDK has loaded
    language_runtime  the LanguageRuntime service: runs a Pulumi Python program with the
                   project's Python, in-process when that is its own
    toolchain      the project's Python: Pulumi.yaml's virtualenv, toolchain, typechecker
    program        running one program (in-process, or as another interpreter's main)
    provider_plugin  `pulumi-resource-pulumi-python`: picks the program's Python, which
                   serves dynamic providers with `provider_host` (or the SDK's stock host)
    provider_host  pulumi-vast's dynamic-provider host
    progress       `report(message)` from a provider, shown on the resource's row
    workspace      `PulumiWorkspace`: drive the CLI from Python (tests, benchmarks, tools)
    s3_backend     `start_moto_s3()`: an S3 state backend on moto's server
    errors         the error tree

The package root re-exports only the light parts (the hosts and progress load gRPC), so
`python -m pulumi_vast.engine.setup` and the workspace helper stay quick to import.
"""

from pulumi_vast.engine.errors import (
    BuildFailed,
    CommandFailed,
    EngineError,
    GoNotFound,
    SetupError,
)
from pulumi_vast.engine.workspace import PulumiWorkspace

__all__ = [
    "BuildFailed",
    "CommandFailed",
    "EngineError",
    "GoNotFound",
    "PulumiWorkspace",
    "SetupError",
]
