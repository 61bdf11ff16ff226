"""Reach an instance over SSH: wait until it is ready, run commands, copy files (fabric).

Every call takes an :class:`SshTarget` (one route to the instance) and opens its own
connection; errors are the :class:`RemoteError` tree of :mod:`pulumi_vast.remote.errors`.
"""

from typing import TYPE_CHECKING

from pulumi_vast._lazy import lazy_exports

if TYPE_CHECKING:
    from pulumi_vast.remote._connection import read_private_key as read_private_key
    from pulumi_vast.remote.commands import CommandResult as CommandResult
    from pulumi_vast.remote.commands import run as run
    from pulumi_vast.remote.errors import CommandFailed as CommandFailed
    from pulumi_vast.remote.errors import ConnectFailed as ConnectFailed
    from pulumi_vast.remote.errors import InvalidPrivateKey as InvalidPrivateKey
    from pulumi_vast.remote.errors import ProbeFailed as ProbeFailed
    from pulumi_vast.remote.errors import ReadinessTimeout as ReadinessTimeout
    from pulumi_vast.remote.errors import RemoteError as RemoteError
    from pulumi_vast.remote.errors import TransferFailed as TransferFailed
    from pulumi_vast.remote.readiness import ReadyResult as ReadyResult
    from pulumi_vast.remote.readiness import wait_for_ssh as wait_for_ssh
    from pulumi_vast.remote.target import SshTarget as SshTarget
    from pulumi_vast.remote.target import ssh_command as ssh_command
    from pulumi_vast.remote.transfer import download as download
    from pulumi_vast.remote.transfer import upload as upload

# fabric and paramiko load with the first call that connects; naming a target does not.
_HOMES = {
    "CommandResult": "pulumi_vast.remote.commands",
    "run": "pulumi_vast.remote.commands",
    **dict.fromkeys(
        (
            "CommandFailed",
            "ConnectFailed",
            "InvalidPrivateKey",
            "ProbeFailed",
            "ReadinessTimeout",
            "RemoteError",
            "TransferFailed",
        ),
        "pulumi_vast.remote.errors",
    ),
    "read_private_key": "pulumi_vast.remote._connection",
    "ReadyResult": "pulumi_vast.remote.readiness",
    "wait_for_ssh": "pulumi_vast.remote.readiness",
    "SshTarget": "pulumi_vast.remote.target",
    "ssh_command": "pulumi_vast.remote.target",
    "download": "pulumi_vast.remote.transfer",
    "upload": "pulumi_vast.remote.transfer",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
