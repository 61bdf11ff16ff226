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

from typing import TYPE_CHECKING

from pulumi_vast._lazy import lazy_exports

if TYPE_CHECKING:
    from pulumi_vast.api import F as F
    from pulumi_vast.api import Query as Query
    from pulumi_vast.api import QueryError as QueryError
    from pulumi_vast.api import VastClient as VastClient
    from pulumi_vast.api import parse_query as parse_query
    from pulumi_vast.resources import Input as Input
    from pulumi_vast.resources import Instance as Instance
    from pulumi_vast.resources import InstanceArgs as InstanceArgs
    from pulumi_vast.resources import InstanceProvider as InstanceProvider
    from pulumi_vast.resources import ReadyArgs as ReadyArgs
    from pulumi_vast.resources import SshKey as SshKey
    from pulumi_vast.resources import SshKeyArgs as SshKeyArgs
    from pulumi_vast.resources import SshKeyProvider as SshKeyProvider

# Loaded on first use, so that `pulumi-vast sim` and the simulator do not import the Pulumi
# SDK they never need.
_API = ("F", "Query", "QueryError", "VastClient", "parse_query")
_RESOURCES = (
    "Input",
    "Instance",
    "InstanceArgs",
    "InstanceProvider",
    "ReadyArgs",
    "SshKey",
    "SshKeyArgs",
    "SshKeyProvider",
)
__all__ = sorted([*_API, *_RESOURCES])
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(_API, "pulumi_vast.api"),
        **dict.fromkeys(_RESOURCES, "pulumi_vast.resources"),
    },
)
