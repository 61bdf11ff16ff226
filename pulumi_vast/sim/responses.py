"""The Vast routes: parse the request, call the backend, serialize as the real service does.

One coroutine per route of `urls.ROUTES`, named like the route. Each receives a `Call`
(the caller, path parameters, query, JSON body) and returns the JSON body of a 200, or
raises a `SimError`. Response shapes follow openapi, except where the official client and
NOTES show the real service differs (commented where it matters).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_vast.sim.auth import Principal
from pulumi_vast.sim.bodies import CreateInstanceBody, ManageInstanceBody, SshKeyBody, parse_body
from pulumi_vast.sim.errors import BadRequest, Gone, InvalidRequest
from pulumi_vast.sim.hosting import HostManager
from pulumi_vast.sim.models import SimBackend
from pulumi_vast.sim.querying import order_instances, page_after, parse_order_by, select_instances
from pulumi_vast.sim.reading import parse_id, parse_json
from pulumi_vast.sim.views import FILTERABLE_INSTANCE_COLUMNS

__all__ = [
    "Call",
    "attach_ssh_key",
    "create_instance",
    "create_ssh_key",
    "current_user",
    "delete_ssh_key",
    "destroy_instance",
    "detach_ssh_key",
    "gpu_names",
    "instance_filters",
    "instance_ssh_keys",
    "list_instances",
    "list_instances_v0",
    "list_ssh_keys",
    "manage_instance",
    "search_asks",
    "search_offers",
    "show_instance",
    "update_ssh_key",
]

JSON = dict[str, Any] | list[Any]


@dataclass(frozen=True)
class Call:
    backend: SimBackend
    hosts: HostManager
    principal: Principal
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any

    def int_param(self, name: str, what: str) -> int:
        return parse_id(self.params[name], what)

    def json_arg(self, name: str, default: Any) -> Any:
        """A query argument the official client sends JSON-encoded (`select_filters`...)."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        return parse_json(raw, what=f"{name} (it must be JSON)")


# ---- offers --------------------------------------------------------------------------------


async def search_offers(call: Call) -> JSON:
    body = call.body if call.body is not None else {}
    if not isinstance(body, dict):
        raise InvalidRequest("Invalid json body: expected an object of filters")
    return {"offers": call.backend.search_offers(call.principal.account, body)}


async def search_asks(call: Call) -> JSON:
    """`PUT /api/v0/search/asks/` (the CLI's `--new`): ``{"select_cols": [...], "q": {...}}``."""
    body = call.body if call.body is not None else {}
    if not isinstance(body, dict):
        raise InvalidRequest('Invalid json body: expected {"q": {...}, "select_cols": [...]}')
    query = body.get("q", {})
    if not isinstance(query, dict):
        raise InvalidRequest('"q" must be an object of filters')
    offers = call.backend.search_offers(call.principal.account, query)
    columns = body.get("select_cols") or ["*"]
    if "*" not in columns:
        offers = [{column: offer.get(column) for column in columns} for offer in offers]
    return {"offers": offers}


async def gpu_names(call: Call) -> JSON:
    return {"gpu_names": list(call.backend.gpu_names())}


# ---- instances -----------------------------------------------------------------------------


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
        await call.hosts.sync([instance_id])
    return {"success": True}


async def destroy_instance(call: Call) -> JSON:
    account = call.principal.require_account()
    instance_id = call.int_param("id", "instance_id")
    call.principal.require_instance(instance_id)
    call.backend.destroy(account, instance_id)
    await call.hosts.sync([instance_id])
    call.hosts.remove_folder(instance_id)
    return {"success": True}


# ---- ssh keys ------------------------------------------------------------------------------


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


async def list_ssh_keys(call: Call) -> JSON:
    """openapi: a bare array."""
    account = call.principal.require_account()
    return [key.to_json() for key in call.backend.account_keys(account)]


async def create_ssh_key(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(SshKeyBody, call.body if call.body is not None else {})
    key = call.backend.create_ssh_key(account, request.ssh_key)
    return {"success": True, "key": key.to_created_json()}


async def update_ssh_key(call: Call) -> JSON:
    account = call.principal.require_account()
    key_id = call.int_param("id", "ssh key id")
    request = parse_body(SshKeyBody, call.body)
    key = call.backend.update_ssh_key(account, key_id, request.ssh_key)
    return {"success": True, "key": key.to_created_json()}


async def delete_ssh_key(call: Call) -> JSON:
    account = call.principal.require_account()
    key_id = call.int_param("id", "ssh key id")
    call.backend.delete_ssh_key(account, key_id)
    return {"success": True}


# ---- users ---------------------------------------------------------------------------------


async def current_user(call: Call) -> JSON:
    return call.backend.user_json(call.principal.require_account())
