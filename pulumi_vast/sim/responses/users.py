"""The account's own route: the current user, with its balance."""

from __future__ import annotations

from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = ["ROUTES", "current_user"]

ROUTES = (Route("current_user", "GET", "/api/v0/users/current"),)


async def current_user(call: Call) -> JSON:
    return call.backend.user_json(call.principal.require_account())
