"""Pulumi dynamic resources for Vast objects: one module per object, shared plumbing once.

Each public module here is one Vast object (inputs model, provider, resource class) and
exports those by its `__all__`; this package re-exports them all, and everything else
(the package root, the docs, the stack program, imports) derives from the registry of
resource classes (`_resource.registered`). A test fails when a module is not re-exported.
"""

import sys

from pulumi_vast import _stopping
from pulumi_vast.resources import (
    cluster,
    env_var,
    instance,
    network_volume,
    overlay_network,
    serverless_endpoint,
    ssh_key,
    stack_tag,
    template,
    training_cluster,
    volume,
    worker_group,
)
from pulumi_vast.resources._account import Account
from pulumi_vast.resources._fields import Input
from pulumi_vast.resources._lookup import RankedOffer, get_offers
from pulumi_vast.resources._policy import Policy, S3Target, SavePolicy
from pulumi_vast.resources._task import Task
from pulumi_vast.resources._volumes import VolumeMount
from pulumi_vast.resources.cluster import *  # noqa: F403
from pulumi_vast.resources.env_var import *  # noqa: F403
from pulumi_vast.resources.instance import *  # noqa: F403
from pulumi_vast.resources.network_volume import *  # noqa: F403
from pulumi_vast.resources.overlay_network import *  # noqa: F403
from pulumi_vast.resources.serverless_endpoint import *  # noqa: F403
from pulumi_vast.resources.ssh_key import *  # noqa: F403
from pulumi_vast.resources.stack_tag import *  # noqa: F403
from pulumi_vast.resources.template import *  # noqa: F403
from pulumi_vast.resources.training_cluster import *  # noqa: F403
from pulumi_vast.resources.volume import *  # noqa: F403
from pulumi_vast.resources.worker_group import *  # noqa: F403

__all__ = [
    "Account",
    "Input",
    "Policy",
    "RankedOffer",
    "S3Target",
    "SavePolicy",
    "Task",
    "VolumeMount",
    "get_offers",
]
__all__ += cluster.__all__
__all__ += env_var.__all__
__all__ += instance.__all__
__all__ += network_volume.__all__
__all__ += overlay_network.__all__
__all__ += serverless_endpoint.__all__
__all__ += ssh_key.__all__
__all__ += stack_tag.__all__
__all__ += template.__all__
__all__ += training_cluster.__all__
__all__ += volume.__all__
__all__ += worker_group.__all__

# Under the SDK's stock provider host (this package is loaded when it unpickles a provider),
# creates in flight are stopped when the engine goes away, as our host stops them.
_stopping.guard_unhosted(sys.argv)
