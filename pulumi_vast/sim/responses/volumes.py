"""Volumes, local and network: search their offers, rent, list, delete (see
`models.volumes`). Mounting one is part of an instance's create (`volume_info`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pulumi_vast.sim.bodies import MAX_LABEL, MAX_VOLUME_GB, parse_body
from pulumi_vast.sim.errors import BadRequest
from pulumi_vast.sim.reading import parse_id
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route
from pulumi_vast.sim.volume_offers import VolumeKind

__all__ = [
    "ROUTES",
    "create_network_volume",
    "create_volume",
    "delete_volume",
    "list_volumes",
    "search_network_volumes",
    "search_volumes",
]

ROUTES = (
    Route("search_volumes", "POST", "/api/v0/volumes/search", bad_key_status=404, threshold=5.5),
    Route("create_volume", "PUT", "/api/v0/volumes", bad_key_status=404),
    Route("list_volumes", "GET", "/api/v0/volumes", threshold=5.5),
    Route("delete_volume", "DELETE", "/api/v0/volumes", bad_key_status=404, threshold=5.5),
    Route("search_network_volumes", "POST", "/api/v0/network_volumes/search", bad_key_status=404),
    Route("create_network_volume", "PUT", "/api/v0/network_volumes", bad_key_status=404),
)


class RentVolume(BaseModel):
    """`PUT /volumes/` and `PUT /network_volumes/`, as the official client sends them."""

    model_config = ConfigDict(extra="allow")

    id: int = Field(gt=0)
    """The volume offer's id."""
    size: float | None = Field(default=None, gt=0, le=MAX_VOLUME_GB)
    name: str | None = Field(default=None, max_length=MAX_LABEL)


class VolumeRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int | None = None


async def search_volumes(call: Call) -> JSON:
    return _search(call, "local")


async def search_network_volumes(call: Call) -> JSON:
    return _search(call, "network")


def _search(call: Call, kind: VolumeKind) -> JSON:
    account = call.principal.require_account()
    body = call.object_body("an object of filters")
    return {"offers": call.backend.search_volume_offers(account, body, kind)}


async def create_volume(call: Call) -> JSON:
    return _rent(call, "local")


async def create_network_volume(call: Call) -> JSON:
    return _rent(call, "network")


def _rent(call: Call, kind: VolumeKind) -> JSON:
    account = call.principal.require_account()
    request = parse_body(RentVolume, call.body)
    volume = call.backend.create_volume(
        account, request.id, kind=kind, size=request.size, name=request.name
    )
    return {"success": True, "volume_name": f"V.{volume.id}"}


async def list_volumes(call: Call) -> JSON:
    """``?type=local_volume|network_volume|all_volume`` (the official client's `-t`)."""
    account = call.principal.require_account()
    volumes = call.backend.owned_volumes(account, call.query.get("type"))
    return {"volumes": [call.backend.volume_json(volume) for volume in volumes]}


async def delete_volume(call: Call) -> JSON:
    """The volume's id as the official client sends it (``?id=``) or openapi does
    (``{"id"}``)."""
    account = call.principal.require_account()
    raw = call.query.get("id")
    volume_id = parse_id(raw, "id") if raw is not None else parse_body(VolumeRef, call.body).id
    if volume_id is None:
        raise BadRequest("Please provide a valid volume ID.")
    call.backend.delete_volume(account, volume_id)
    return {"success": True}
