"""Serverless routes: endpoints (``/api/v0/endptjobs/``), worker groups (openapi's
``/api/v0/workergroups/`` and the official CLI's older ``/api/v0/autojobs/``), and the
autoscaler's routes the official client sends to the API URL when it is not Vast's own
(``/get_endpoint_workers/``, ``/update_workers/``, ``/get_endpoint_logs/``,
``/get_autogroup_logs/``), and ``/route/``, where a client of an endpoint asks for a
worker to send a request to (``{"endpoint": name, "cost": ...}``).

Unknown ids answer as openapi documents: a 400 for an endpoint's update and delete
("Endpointgroup not found for user", "Routegroup not found for user") and a worker group's
update ("Workgroup not found for user"), a 404 ``no_such_workergroup`` for a worker group's
delete.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pulumi_vast.sim.bodies import parse_body
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = [
    "ROUTES",
    "create_autojob",
    "create_endpoint",
    "create_workergroup",
    "delete_autojob",
    "delete_endpoint",
    "delete_workergroup",
    "endpoint_logs",
    "endpoint_workers",
    "route",
    "show_autojobs",
    "show_endpoint",
    "show_endpoints",
    "show_workergroups",
    "update_autojob",
    "update_endpoint",
    "update_workergroup",
    "update_workers",
    "workergroup_logs",
]

ROUTES = (
    Route("create_endpoint", "POST", "/api/v0/endptjobs", threshold=4.0),
    Route("show_endpoints", "GET", "/api/v0/endptjobs", threshold=3.0),
    Route("show_endpoint", "GET", "/api/v0/endptjobs/{id}", threshold=3.0),
    Route("update_endpoint", "PUT", "/api/v0/endptjobs/{id}", threshold=2.0),
    Route("delete_endpoint", "DELETE", "/api/v0/endptjobs/{id}", threshold=3.0),
    Route("create_workergroup", "POST", "/api/v0/workergroups", threshold=4.0),
    Route("show_workergroups", "GET", "/api/v0/workergroups", threshold=2.0),
    Route("update_workergroup", "PUT", "/api/v0/workergroups/{id}", threshold=2.0),
    Route("delete_workergroup", "DELETE", "/api/v0/workergroups/{id}", threshold=3.0),
    Route("create_autojob", "POST", "/api/v0/autojobs", threshold=4.0),
    Route("show_autojobs", "GET", "/api/v0/autojobs", threshold=2.0),
    Route("update_autojob", "PUT", "/api/v0/autojobs/{id}", threshold=2.0),
    Route("delete_autojob", "DELETE", "/api/v0/autojobs/{id}", threshold=3.0),
    Route("endpoint_workers", "POST", "/get_endpoint_workers"),
    Route("update_workers", "POST", "/update_workers"),
    Route("endpoint_logs", "POST", "/get_endpoint_logs"),
    Route("workergroup_logs", "POST", "/get_autogroup_logs"),
    Route("route", "POST", "/route"),
)


class _IdBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int = Field(gt=0)


class _RouteBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    endpoint: str = Field(min_length=1, max_length=256)
    cost: float = Field(default=0.0, ge=0, allow_inf_nan=False)


class _UpdateWorkersBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    workergroup_id: int = Field(gt=0)
    cancel_update: bool = False


# ---- endpoints ----------------------------------------------------------------------------


async def create_endpoint(call: Call) -> JSON:
    account = call.principal.require_account()
    endpoint = call.backend.create_endpoint(account, call.object_body("an endpoint object"))
    return {"success": True, "result": endpoint.id}


async def show_endpoints(call: Call) -> JSON:
    account = call.principal.require_account()
    rows = [call.backend.endpoint_json(e) for e in call.backend.own_endpoints(account)]
    return {"success": True, "results": rows}


async def show_endpoint(call: Call) -> JSON:
    """The official SDK's ``fetch_endpoint`` (not in openapi): ``{"success", "result"}``."""
    account = call.principal.require_account()
    endpoint_id = call.int_param("id", "endpoint id")
    endpoint = call.backend.own_endpoint(account, endpoint_id, "Endpointgroup not found for user")
    return {"success": True, "result": call.backend.endpoint_json(endpoint)}


async def update_endpoint(call: Call) -> JSON:
    account = call.principal.require_account()
    endpoint_id = call.int_param("id", "endpoint id")
    call.backend.update_endpoint(account, endpoint_id, call.object_body("an endpoint object"))
    return {"success": True}


async def delete_endpoint(call: Call) -> JSON:
    account = call.principal.require_account()
    endpoint_id = call.int_param("id", "endpoint id")
    destroyed = call.backend.delete_endpoint(account, endpoint_id)
    return {
        "success": True,
        "deleted_workers": destroyed,
        "failed_workers": [],
        "msg": f"Deleted endpoint job and {len(destroyed)} workers",
    }


# ---- worker groups ------------------------------------------------------------------------


async def create_workergroup(call: Call) -> JSON:
    account = call.principal.require_account()
    group = call.backend.create_worker_group(account, call.object_body("a workergroup object"))
    return {"success": True, "id": group.id}


async def show_workergroups(call: Call) -> JSON:
    account = call.principal.require_account()
    rows = [call.backend.group_json(g) for g in call.backend.own_groups(account)]
    return {"success": True, "results": rows}


async def update_workergroup(call: Call) -> JSON:
    account = call.principal.require_account()
    group_id = call.int_param("id", "workergroup id")
    call.backend.update_worker_group(account, group_id, call.object_body("a workergroup object"))
    return {"success": True}


async def delete_workergroup(call: Call) -> JSON:
    """Its workers keep running (Vast does not destroy them): none is in
    ``deleted_workers``, and ``msg`` names them."""
    account = call.principal.require_account()
    group_id = call.int_param("id", "workergroup id")
    left = call.backend.delete_worker_group(account, group_id)
    running = f"; its workers {left} keep running" if left else ""
    return {
        "success": True,
        "deleted_workers": [],
        "failed_workers": [],
        "msg": f"Deleted workergroup {group_id}{running}",
    }


async def create_autojob(call: Call) -> JSON:
    return await create_workergroup(call)


async def show_autojobs(call: Call) -> JSON:
    return await show_workergroups(call)


async def update_autojob(call: Call) -> JSON:
    return await update_workergroup(call)


async def delete_autojob(call: Call) -> JSON:
    return await delete_workergroup(call)


# ---- the autoscaler's routes --------------------------------------------------------------


async def endpoint_workers(call: Call) -> JSON:
    """The endpoint's workers (a list, as the official CLI reads it)."""
    account = call.principal.require_account()
    body = parse_body(_IdBody, call.object_body('{"id": endpoint_id}'))
    endpoint = call.backend.own_endpoint(account, body.id, "Endpointgroup not found for user")
    rows: list[Any] = call.backend.endpoint_workers_json(endpoint)
    return rows


async def update_workers(call: Call) -> JSON:
    account = call.principal.require_account()
    body = parse_body(_UpdateWorkersBody, call.object_body('{"workergroup_id": id}'))
    marked = call.backend.update_workers(account, body.workergroup_id, cancel=body.cancel_update)
    if body.cancel_update:
        return {"success": True, "cancelled": True}
    return {"success": True, "workers_to_update": marked}


async def endpoint_logs(call: Call) -> JSON:
    """The engine's decisions for the endpoint, at every level."""
    account = call.principal.require_account()
    body = parse_body(_IdBody, call.object_body('{"id": endpoint_id}'))
    endpoint = call.backend.own_endpoint(account, body.id, "Endpointgroup not found for user")
    return _levels(call.backend.engine_log(endpoint))


async def workergroup_logs(call: Call) -> JSON:
    account = call.principal.require_account()
    body = parse_body(_IdBody, call.object_body('{"id": workergroup_id}'))
    group = call.backend.own_group(account, body.id)
    if group is None:
        return _levels([])
    endpoint = call.backend.endpoints[group.endpoint_id]
    mine = f"workergroup {group.id}"
    lines = [line for line in call.backend.engine_log(endpoint) if mine in line]
    return _levels(lines)


async def route(call: Call) -> JSON:
    """A serving worker's URL for one request of ``cost`` perf units; ``status`` while
    none serves. The load model is the admin route's, not the sum of routed costs."""
    account = call.principal.require_account()
    body = parse_body(_RouteBody, call.object_body('{"endpoint": name, "cost": n}'))
    return {**call.backend.route(account, body.endpoint), "cost": body.cost}


def _levels(lines: list[str]) -> dict[str, str]:
    text = "\n".join(lines)
    return {"info0": text, "info1": text, "trace": text, "debug": text}
