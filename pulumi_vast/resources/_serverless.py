"""What a `ServerlessEndpoint` and a `WorkerGroup` share: their requests, their outputs
(the workers as the Serverless Engine lists them), and giving a group's workers back.

A worker is an instance that bills. Vast leaves a deleted group's workers running, so a
group's deletion destroys every worker it had, and every instance that carries the group's
tag (each worker is launched with its stack's tag and ``workers:<resource name>`` in its
env, through the group's launch arguments: a worker recruited between the listing and the
deletion is found by them), and returns once the account lists none of them. The stack's
tag also lets `pulumi destroy`'s sweep (`StackTag`) find a group an interrupted run left.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, Field

from pulumi_vast.api.serverless import (
    MAX_LAUNCH_ARGS_LENGTH,
    EndpointRecord,
    EndpointRequest,
    Worker,
    WorkerGroupRequest,
)
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._errors import ResourceError
from pulumi_vast.resources._fields import known
from pulumi_vast.resources._owner import RESOURCE_TAG_ENV, STACK_TAG_ENV, Owner

if TYPE_CHECKING:
    from pulumi_vast.api import Instance as LiveInstance
    from pulumi_vast.api import VastClient

__all__ = [
    "WORKER_TAG_PREFIX",
    "LaunchArgs",
    "destroy_workers",
    "endpoint_outputs",
    "endpoint_request",
    "group_outputs",
    "group_request",
    "stack_worker_groups",
    "tagged_launch_args",
]

WORKER_TAG_PREFIX = "workers:"
"""A worker's resource tag is its group's name after this, so that no `Instance` of the
same name takes a worker for its own (adoption goes by the resource tag)."""
GONE_TIMEOUT = 600.0
"""Seconds to wait for destroyed workers to leave the account's listing."""
_POLL_SECONDS = 1.0


def _launch_args(text: str) -> str:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot be split into arguments as a shell would: {exc}") from None
    if any(tag in word for word in words for tag in (STACK_TAG_ENV, RESOURCE_TAG_ENV)):
        raise ValueError(
            f"sets {STACK_TAG_ENV} or {RESOURCE_TAG_ENV}, which pulumi-vast sets itself to find "
            "the workers it must give back; drop them"
        )
    return text


LaunchArgs = Annotated[
    str, Field(max_length=MAX_LAUNCH_ARGS_LENGTH - 200), AfterValidator(_launch_args)
]
"""Extra `vastai create instance` arguments (room is kept for the tags pulumi-vast adds)."""


# ------------------------------------------------------------------ endpoints


def endpoint_request(args: Any) -> EndpointRequest:
    return EndpointRequest(
        endpoint_name=known(args.name),
        min_load=known(args.min_load),
        min_cold_load=known(args.min_cold_load),
        target_util=known(args.target_util),
        cold_mult=known(args.cold_mult),
        cold_workers=known(args.cold_workers),
        max_workers=known(args.max_workers),
        max_queue_time=known(args.max_queue_time),
        target_queue_time=known(args.target_queue_time),
        inactivity_timeout=known(args.inactivity_timeout),
    )


def endpoint_outputs(client: VastClient, live: EndpointRecord) -> dict[str, Any]:
    workers = client.serverless.workers(live.id)
    return {
        "endpoint_id": live.id,
        "endpoint_state": live.endpoint_state or "active",
        "route_url": client.serverless.route_url,
        "worker_count": len(workers),
        "workers": [_worker(w) for w in workers],
    }


def _worker(worker: Worker) -> dict[str, Any]:
    return {"id": worker.id, "status": worker.status, "worker_group_id": worker.workergroup_id}


# ------------------------------------------------------------------ worker groups


def group_request(args: Any, owner: Owner | None) -> WorkerGroupRequest:
    return WorkerGroupRequest(
        endpoint_id=known(args.endpoint),
        template_hash=known(args.template),
        search=known(args.query),
        launch_args=tagged_launch_args(known(args.launch_args), owner),
        test_workers=known(args.test_workers),
        gpu_ram=known(args.gpu_ram),
        min_load=known(args.min_load),
        target_util=known(args.target_util),
        cold_mult=known(args.cold_mult),
    )


def tagged_launch_args(launch_args: str | None, owner: Owner | None) -> str | None:
    """The group's launch arguments with its workers' tags added to their ``--env`` (none
    for a state written before tags, which has no owner)."""
    if owner is None:
        return launch_args
    tags = {STACK_TAG_ENV: owner.stack, RESOURCE_TAG_ENV: WORKER_TAG_PREFIX + owner.resource}
    flags = " ".join(f"-e {name}={value}" for name, value in tags.items())
    words = shlex.split(launch_args or "")
    if "--env" in words[:-1]:
        at = words.index("--env") + 1
        words[at] = f"{words[at]} {flags}"
    else:
        words += ["--env", flags]
    return shlex.join(words)


def group_outputs(client: VastClient, group_id: int) -> dict[str, Any]:
    """The group's id and its workers now, with what they bill."""
    group = client.serverless.get_worker_group(group_id)
    workers = (
        [w for w in client.serverless.workers(group.endpoint_id) if w.workergroup_id == group_id]
        if group is not None and group.endpoint_id is not None
        else []
    )
    billing = {i.id: i for i in client.instances.list()} if workers else {}
    listed: list[dict[str, Any]] = []
    total = 0.0
    for worker in workers:
        instance = billing.get(worker.id)
        dph = 0.0
        if instance is not None:
            stopped = instance.is_stopped
            dph = float((instance.storage_total_cost if stopped else instance.dph_total) or 0.0)
        total += dph
        listed.append({"id": worker.id, "status": worker.status, "dph_total": round(dph, 4)})
    return {
        "worker_group_id": group_id,
        "worker_count": len(listed),
        "workers": listed,
        "dph_total": round(total, 4),
    }


def destroy_workers(client: VastClient, group_id: int, owner: Owner | None) -> None:
    """Delete the group, destroy its workers (Vast leaves them running), and return once
    the account lists none of them: nothing of the group bills any more."""
    left = client.serverless.delete_worker_group(group_id) or []
    tagged = [i.id for i in client.instances.list() if owner is not None and _carries(i, owner)]
    doomed = sorted(set(left) | set(tagged))
    for instance_id in doomed:
        progress.status(f"destroying worker {instance_id} of worker group {group_id}")
        client.instances.destroy(instance_id)
    _wait_gone(client, doomed, group_id)


def stack_worker_groups(client: VastClient, stack_id: str) -> list[int]:
    """The account's worker groups that launch workers with the stack's tag."""
    tag = f"{STACK_TAG_ENV}={stack_id}"
    return [
        group.id
        for group in client.serverless.list_worker_groups()
        if any(tag in word.split() for word in shlex.split(group.launch_args or ""))
    ]


def _carries(instance: LiveInstance, owner: Owner) -> bool:
    env = instance.extra_env
    return (
        env.get(STACK_TAG_ENV) == owner.stack
        and env.get(RESOURCE_TAG_ENV) == WORKER_TAG_PREFIX + owner.resource
    )


def _wait_gone(client: VastClient, instance_ids: Iterable[int], group_id: int) -> None:
    waiting = set(instance_ids)
    deadline = time.monotonic() + GONE_TIMEOUT
    while waiting:
        waiting &= {i.id for i in client.instances.list()}
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise ResourceError(
                f"the workers {sorted(waiting)} of worker group {group_id} are still listed "
                f"{GONE_TIMEOUT:g} s after their destroy: destroy them by hand "
                "(`vastai destroy instance ID`)"
            )
        time.sleep(_POLL_SECONDS)
