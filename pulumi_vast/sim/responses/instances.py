"""The instances' routes: create (rent an offer), show, list, manage, destroy, and the SSH
keys attached to one instance."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pulumi_vast.sim.bodies import CreateInstanceBody, ManageInstanceBody, SshKeyBody, parse_body
from pulumi_vast.sim.errors import BadRequest, Gone, InvalidRequest
from pulumi_vast.sim.querying import order_instances, page_after, parse_order_by, select_instances
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route
from pulumi_vast.sim.views import FILTERABLE_INSTANCE_COLUMNS

__all__ = [
    "ROUTES",
    "attach_ssh_key",
    "create_instance",
    "destroy_instance",
    "detach_ssh_key",
    "instance_filters",
    "instance_ssh_keys",
    "list_instances",
    "list_instances_v0",
    "manage_instance",
    "show_instance",
]

ROUTES = (
    Route("create_instance", "PUT", "/api/v0/asks/{id}", threshold=4.5),
    Route("list_instances", "GET", "/api/v1/instances", threshold=1.0),
    Route("list_instances_v0", "GET", "/api/v0/instances"),
    Route("instance_filters", "GET", "/api/v0/instances/filters"),
    Route("show_instance", "GET", "/api/v0/instances/{id}", threshold=2.0, scoped=True),
    Route("manage_instance", "PUT", "/api/v0/instances/{id}", threshold=1.0, scoped=True),
    Route(
        "destroy_instance",
        "DELETE",
        "/api/v0/instances/{id}",
        bad_key_status=404,
        threshold=3.0,
        scoped=True,
    ),
    Route("attach_ssh_key", "POST", "/api/v0/instances/{id}/ssh"),
    Route("instance_ssh_keys", "GET", "/api/v0/instances/{id}/ssh"),
    Route(
        "detach_ssh_key",
        "DELETE",
        "/api/v0/instances/{id}/ssh/{key_id}",
        bad_key_status=404,
        threshold=2.0,
    ),
)


async def create_instance(call: Call) -> JSON:
    account = call.principal.require_account()
    offer_id = call.int_param("id", "offer id")
    request = parse_body(CreateInstanceBody, call.body)
    instance = call.backend.create_instance(account, offer_id, request)
    return {"success": True, "new_contract": instance.id}


async def show_instance(call: Call) -> JSON:
    """A destroyed, unknown or foreign instance answers ``{"instances": null}`` (field notes:
    the real service does so right after a destroy; the official CLI handles it)."""
    account = call.principal.require_account()
    instance_id = call.int_param("id", "instance_id")
    call.principal.require_instance(instance_id)
    instance = call.backend.owned(account, instance_id)
    return {"instances": call.backend.instance_json(instance) if instance is not None else None}


async def list_instances_v0(call: Call) -> JSON:
    raise Gone(
        "GET /api/v0/instances/ is deprecated: use GET /api/v1/instances/ "
        "(keyset pagination, at most 25 a page)",
        error="deprecated_endpoint",
    )


async def list_instances(call: Call) -> JSON:
    """`GET /api/v1/instances/`: filter, order (id breaks ties), keyset-paginate, select."""
    account = call.principal.require_account()
    backend = call.backend
    rows = [backend.instance_json(instance) for instance in backend.alive_instances(account)]
    columns = backend.instance_columns()
    selected = select_instances(
        rows, call.json_arg("select_filters", {}), FILTERABLE_INSTANCE_COLUMNS
    )
    keys = parse_order_by(call.json_arg("order_by", None), columns)
    page, next_token = page_after(
        order_instances(selected, keys),
        keys,
        call.query.get("limit"),
        call.query.get("after_token"),
    )
    select_cols = call.json_arg("select_cols", ["*"])
    if not isinstance(select_cols, list):
        raise InvalidRequest('select_cols must be a JSON list like ["id", "label"]')
    if "*" not in select_cols:
        page = [{column: row.get(column) for column in select_cols} for row in page]
    labels = Counter(row.get("label") or "" for row in selected)
    return {
        "success": True,
        "instances_found": len(page),
        "total_instances": len(selected),
        "label_counts": dict(labels),
        "next_token": next_token,
        "instances": page,
    }


async def instance_filters(call: Call) -> JSON:
    """The distinct (status, verification, GPU) combinations the CLI offers as filters."""
    account = call.principal.require_account()
    combos: list[dict[str, Any]] = []
    for instance in call.backend.alive_instances(account):
        row = call.backend.instance_json(instance)
        combo = {name: row.get(name) for name in ("actual_status", "verification", "gpu_name")}
        if combo not in combos:
            combos.append(combo)
    return {"success": True, "filters": combos}


async def manage_instance(call: Call) -> JSON:
    account = call.principal.require_account()
    instance_id = call.int_param("id", "instance_id")
    call.principal.require_instance(instance_id)
    request = parse_body(ManageInstanceBody, call.body)
    if request.state is None and request.label is None:
        raise BadRequest('Invalid args: give "state" ("running" or "stopped") or "label"')
    if request.label is not None:
        call.principal.require_full_key()
        call.backend.set_label(account, instance_id, request.label)
    if request.state is not None:
        call.backend.set_state(account, instance_id, request.state)
    return {"success": True}


async def destroy_instance(call: Call) -> JSON:
    account = call.principal.require_account()
    instance_id = call.int_param("id", "instance_id")
    call.principal.require_instance(instance_id)
    call.backend.destroy(account, instance_id)
    return {"success": True}


async def attach_ssh_key(call: Call) -> JSON:
    account = call.principal.require_account()
    instance_id = call.int_param("id", "instance_id")
    request = parse_body(SshKeyBody, call.body)
    call.backend.attach_ssh_key(account, instance_id, request.ssh_key)
    return {"success": True, "msg": "SSH key attached successfully"}


async def instance_ssh_keys(call: Call) -> JSON:
    """openapi: the keys come back as a JSON *string*."""
    account = call.principal.require_account()
    instance_id = call.int_param("id", "instance_id")
    return {
        "success": True,
        "ssh_keys": json.dumps(call.backend.instance_keys(account, instance_id)),
    }


async def detach_ssh_key(call: Call) -> JSON:
    account = call.principal.require_account()
    instance_id = call.int_param("id", "instance_id")
    key_id = call.int_param("key_id", "ssh_key_id")
    call.backend.detach_ssh_key(account, instance_id, key_id)
    return {"success": True, "msg": "SSH key removed from instance."}
