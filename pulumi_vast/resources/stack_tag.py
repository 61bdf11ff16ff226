"""The stack's tag: a random id, made once per stack, that every instance it rents carries.

Declared by the package itself (the first resource that rents something declares it; one
per account, see `Account`), so a program never writes it. It makes no API call until it
is deleted: then nothing of the stack should be billing any more in its account (its
instances and worker groups depend on it, so they are deleted first), and whatever still
carries the stack's tag there, left by an interrupted run, is destroyed: worker groups
launching workers with it are deleted, then instances with it (workers too) destroyed.
"""

from __future__ import annotations

import secrets
import weakref
from collections.abc import Mapping
from typing import Any

import pulumi

from pulumi_vast.api import VastError
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._fields import FieldTable, ResourceArgs
from pulumi_vast.resources._owner import stack_of
from pulumi_vast.resources._provider import VastProvider
from pulumi_vast.resources._resource import VastResource
from pulumi_vast.resources._serverless import stack_worker_groups

__all__ = ["StackTag", "StackTagArgs", "StackTagProvider"]

STACK_TAG_NAME = "vast-stack-tag"


class StackTagArgs(ResourceArgs):
    """A stack tag has no inputs."""


class StackTagProvider(VastProvider):
    table = FieldTable(StackTagArgs)
    kind = "stack tag"

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        stack_id = secrets.token_hex(8)
        return stack_id, {"stack_id": stack_id}

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return {"stack_id": id_}

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        """Destroy every instance still tagged with this stack, after deleting the worker
        groups that launch such (else their engine would recruit more): its resources are
        gone."""
        try:
            groups = stack_worker_groups(self.client, id_)
        except VastError as exc:  # e.g. a key without serverless rights: the instances still go
            progress.warn(f"could not look for worker groups left by an interrupted run: {exc}")
            groups = []
        for group_id in groups:
            progress.warn(
                f"deleting worker group {group_id}: its workers carry this stack's tag but no "
                "resource of the stack holds it (left by an interrupted run)"
            )
            self.client.serverless.delete_worker_group(group_id)
        watcher = self.connection.watcher
        watcher.forget()
        left = [live for live in watcher.snapshot().value.values() if stack_of(live) == id_]
        for live in left:
            progress.warn(
                f"destroying instance {live.id}: it carries this stack's tag but no resource of "
                "the stack holds it (left by an interrupted run)"
            )
            self.client.instances.destroy(live.id)


class StackTag(VastResource, module="vast", name="StackTag"):
    """A random id that tags everything a stack rents, so that nothing it rented can be lost.

    Declared once per program by the first resource that rents something; deleting it (when
    the stack no longer declares anything that bills) destroys whatever still carries it.
    """

    provider_class = StackTagProvider
    args_class = StackTagArgs

    stack_id: pulumi.Output[str]
    """The stack's random id, carried by each instance as `PULUMI_VAST_STACK`."""


_declared: weakref.WeakKeyDictionary[Any, dict[Any, StackTag]] = weakref.WeakKeyDictionary()
"""The stack tags of each program run, by the run's resource monitor (one program may run
several times in one process, as the Automation API's inline programs do), then by the
provider (None: the default one, i.e. the stack's account)."""


def owner_input(
    resource_name: str, provider: pulumi.ProviderResource | None = None
) -> pulumi.Output[str]:
    """The hidden `__owner` input of a resource that rents: ``<stack id>/<name>``.

    Each account has its own stack tag, made with the resource's ``provider`` (an
    `Account`), so that deleting it sweeps that account."""
    monitor = pulumi.runtime.settings.get_monitor()
    tags = _declared.setdefault(monitor, {}) if monitor is not None else {}
    tag = tags.get(provider)
    if tag is None:
        if provider is None:
            tag = StackTag(STACK_TAG_NAME)
        else:
            name = f"{STACK_TAG_NAME}-{provider.pulumi_resource_name}"
            tag = StackTag(name, opts=pulumi.ResourceOptions(provider=provider))
        tags[provider] = tag
    return tag.stack_id.apply(lambda stack_id: f"{stack_id}/{resource_name}")
