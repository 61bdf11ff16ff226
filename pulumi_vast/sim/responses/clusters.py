"""Physical clusters as a host registers them (see `models.clusters`), with the bodies the
official client's `vastai.api.clusters` sends."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pulumi_vast.sim.bodies import parse_body
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = [
    "ROUTES",
    "create_cluster",
    "delete_cluster",
    "join_cluster",
    "list_clusters",
    "remove_cluster_machine",
]

ROUTES = (
    Route("list_clusters", "GET", "/api/v0/clusters"),
    Route("create_cluster", "POST", "/api/v0/cluster"),
    Route("join_cluster", "PUT", "/api/v0/cluster"),
    Route("delete_cluster", "DELETE", "/api/v0/cluster"),
    Route("remove_cluster_machine", "DELETE", "/api/v0/cluster/remove_machine"),
)


class CreateCluster(BaseModel):
    model_config = ConfigDict(extra="allow")

    subnet: str = Field(min_length=1, max_length=64)
    manager_id: int = Field(gt=0)


class JoinCluster(BaseModel):
    model_config = ConfigDict(extra="allow")

    cluster_id: int = Field(gt=0)
    machine_ids: list[int] = Field(min_length=1, max_length=256)


class RemoveMachine(BaseModel):
    model_config = ConfigDict(extra="allow")

    cluster_id: int = Field(gt=0)
    machine_id: int = Field(gt=0)
    new_manager_id: int | None = Field(default=None, gt=0)


class ClusterRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    cluster_id: int = Field(gt=0)


async def list_clusters(call: Call) -> JSON:
    account = call.principal.require_account()
    clusters = call.backend.own_clusters(account)
    return {"success": True, "clusters": {str(c.id): c.to_json() for c in clusters}}


async def create_cluster(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(CreateCluster, call.body)
    cluster = call.backend.create_cluster(account, request.subnet, request.manager_id)
    return {
        "success": True,
        "msg": f"Created cluster {cluster.id} on {cluster.subnet}, managed by machine "
        f"{cluster.manager_id}",
    }


async def join_cluster(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(JoinCluster, call.body)
    cluster = call.backend.join_cluster(account, request.cluster_id, request.machine_ids)
    joined = ", ".join(str(m) for m in request.machine_ids)
    return {"success": True, "msg": f"Machine(s) {joined} joined cluster {cluster.id}"}


async def remove_cluster_machine(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(RemoveMachine, call.body)
    cluster = call.backend.remove_cluster_machine(
        account, request.cluster_id, request.machine_id, request.new_manager_id
    )
    return {
        "success": True,
        "msg": f"Removed machine {request.machine_id} from cluster {cluster.id} (manager: "
        f"machine {cluster.manager_id})",
    }


async def delete_cluster(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(ClusterRef, call.body)
    cluster = call.backend.delete_cluster(account, request.cluster_id)
    return {"success": True, "msg": f"Deleted cluster {cluster.id}"}
