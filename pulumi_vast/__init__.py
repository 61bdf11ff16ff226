"""pulumi-vast: Vast.ai GPU marketplace resources for Pulumi.

```python
import pulumi
import pulumi_vast as vast

key = vast.SshKey("me", public_key=open("/home/me/.ssh/id_ed25519.pub").read())
gpu = vast.Instance(
    "trainer",
    query="gpu_ram>=24 num_gpus=1 reliability>0.95 dph<=0.5",
    image="pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel",
    ready=vast.ReadyArgs(ssh=True, probe="nvidia-smi"),
    opts=pulumi.ResourceOptions(depends_on=[key]),
)
pulumi.export("ssh", gpu.ssh_command)
```

The provider classes are importable from here so that Pulumi state refers to them by
name instead of carrying their code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_vast.api import VF as VF
    from pulumi_vast.api import F as F
    from pulumi_vast.api import Query as Query
    from pulumi_vast.api import QueryError as QueryError
    from pulumi_vast.api import VastClient as VastClient
    from pulumi_vast.api import parse_query as parse_query
    from pulumi_vast.components import *  # noqa: F403
    from pulumi_vast.resources import *  # noqa: F403

_API = ("F", "VF", "Query", "QueryError", "VastClient", "parse_query")
"""From the wire layer; every resource's public names join them from `pulumi_vast.resources`,
and every component's from `pulumi_vast.components`."""


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that `pulumi-vast sim` and the simulator do not import the
    # Pulumi SDK they never need.
    if name in _API:
        value = getattr(importlib.import_module("pulumi_vast.api"), name)
    elif name == "__all__":
        resources = importlib.import_module("pulumi_vast.resources")
        components = importlib.import_module("pulumi_vast.components")
        value = sorted([*_API, *resources.__all__, *components.__all__])
    elif name.startswith("_"):
        # Dunders, and private submodules (`from pulumi_vast import _stopping` asks here
        # before it imports one): never a reason to load the SDK.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    else:
        home = importlib.import_module("pulumi_vast.resources")
        if name not in home.__all__:
            home = importlib.import_module("pulumi_vast.components")
        if name not in home.__all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(home, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})
