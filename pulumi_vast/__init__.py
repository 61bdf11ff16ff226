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

from pulumi_vast.api import F, Query, QueryError, VastClient, parse_query
from pulumi_vast.resources import (
    Input,
    Instance,
    InstanceArgs,
    InstanceProvider,
    ReadyArgs,
    SshKey,
    SshKeyArgs,
    SshKeyProvider,
)

__all__ = [
    "F",
    "Input",
    "Instance",
    "InstanceArgs",
    "InstanceProvider",
    "Query",
    "QueryError",
    "ReadyArgs",
    "SshKey",
    "SshKeyArgs",
    "SshKeyProvider",
    "VastClient",
    "parse_query",
]
