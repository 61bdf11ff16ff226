"""Pulumi dynamic resources for Vast objects: one module per object, shared plumbing once."""

from pulumi_vast.resources._fields import Input
from pulumi_vast.resources.instance import Instance, InstanceArgs, InstanceProvider, ReadyArgs
from pulumi_vast.resources.ssh_key import SshKey, SshKeyArgs, SshKeyProvider
from pulumi_vast.resources.stack_tag import StackTag, StackTagProvider

__all__ = [
    "Input",
    "Instance",
    "InstanceArgs",
    "InstanceProvider",
    "ReadyArgs",
    "SshKey",
    "SshKeyArgs",
    "SshKeyProvider",
    "StackTag",
    "StackTagProvider",
]
