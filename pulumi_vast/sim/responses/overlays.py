"""Overlay networks on physical clusters (see `models.overlays`), with the bodies the
official client's `vastai.api.clusters` sends."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pulumi_vast.sim.bodies import parse_body
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = ["ROUTES", "create_overlay", "delete_overlay", "join_overlay", "list_overlays"]

ROUTES = (
    Route("list_overlays", "GET", "/api/v0/overlay"),
    Route("create_overlay", "POST", "/api/v0/overlay"),
    Route("join_overlay", "PUT", "/api/v0/overlay"),
    Route("delete_overlay", "DELETE", "/api/v0/overlay"),
)


class CreateOverlay(BaseModel):
    model_config = ConfigDict(extra="allow")

    cluster_id: int = Field(gt=0)
    name: str = Field(min_length=1, max_length=256)


class JoinOverlay(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=256)
    instance_id: int = Field(gt=0)


class OverlayRef(BaseModel):
    """The official client sends the id when the identifier reads as a number, else the
    name."""

    model_config = ConfigDict(extra="allow")

    overlay_id: int | None = Field(default=None, gt=0)
    overlay_name: str | None = Field(default=None, min_length=1, max_length=256)


async def list_overlays(call: Call) -> JSON:
    """A bare list, as the official `show overlays` iterates it."""
    account = call.principal.require_account()
    return [overlay.to_json() for overlay in call.backend.own_overlays(account)]


async def create_overlay(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(CreateOverlay, call.body)
    overlay = call.backend.create_overlay(account, request.cluster_id, request.name)
    return {
        "success": True,
        "msg": f"Created overlay network {overlay.name!r} on cluster {overlay.cluster_id}",
    }


async def join_overlay(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(JoinOverlay, call.body)
    overlay = call.backend.join_overlay(account, request.name, request.instance_id)
    return {
        "success": True,
        "msg": f"Instance {request.instance_id} joined overlay network {overlay.name!r}",
    }


async def delete_overlay(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(OverlayRef, call.body)
    overlay, destroyed = call.backend.delete_overlay(
        account, overlay_id=request.overlay_id, name=request.overlay_name
    )
    return {
        "success": True,
        "msg": f"Deleted overlay network {overlay.name!r} and destroyed its "
        f"{len(destroyed)} instance(s)",
    }
