"""The account's SSH keys (`/api/v0/ssh/`). Keys attached to one instance are the
instances' routes."""

from __future__ import annotations

from pulumi_vast.sim.bodies import SshKeyBody, parse_body
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = ["ROUTES", "create_ssh_key", "delete_ssh_key", "list_ssh_keys", "update_ssh_key"]

ROUTES = (
    Route("list_ssh_keys", "GET", "/api/v0/ssh"),
    Route("create_ssh_key", "POST", "/api/v0/ssh", threshold=1.0),
    Route("update_ssh_key", "PUT", "/api/v0/ssh/{id}", bad_key_status=404, threshold=1.0),
    Route("delete_ssh_key", "DELETE", "/api/v0/ssh/{id}", bad_key_status=404),
)


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
