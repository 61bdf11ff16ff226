"""Reach an instance over SSH: wait until it is ready, run commands, copy files (fabric).

Every call takes an :class:`SshTarget` (one route to the instance) and opens its own
connection; errors are the :class:`RemoteError` tree of :mod:`pulumi_vast.remote.errors`.
"""

from pulumi_vast.remote.commands import CommandResult, run
from pulumi_vast.remote.errors import (
    CommandFailed,
    ConnectFailed,
    InvalidPrivateKey,
    ProbeFailed,
    ReadinessTimeout,
    RemoteError,
    TransferFailed,
)
from pulumi_vast.remote.readiness import ReadyResult, wait_for_ssh
from pulumi_vast.remote.target import SshTarget, ssh_command
from pulumi_vast.remote.transfer import download, upload

__all__ = [
    "CommandFailed",
    "CommandResult",
    "ConnectFailed",
    "InvalidPrivateKey",
    "ProbeFailed",
    "ReadinessTimeout",
    "ReadyResult",
    "RemoteError",
    "SshTarget",
    "TransferFailed",
    "download",
    "run",
    "ssh_command",
    "upload",
    "wait_for_ssh",
]
