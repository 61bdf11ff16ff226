"""The account's environment variables (`/api/v0/secrets/`): list, create, update, delete,
each taking ``{"key", "value"}`` as the official client sends them (delete: the key)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pulumi_vast.sim.bodies import parse_body
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = ["ROUTES", "create_env_var", "delete_env_var", "list_env_vars", "update_env_var"]

ROUTES = (
    Route("list_env_vars", "GET", "/api/v0/secrets"),
    Route("create_env_var", "POST", "/api/v0/secrets", threshold=3.0),
    Route("update_env_var", "PUT", "/api/v0/secrets", threshold=3.0),
    Route("delete_env_var", "DELETE", "/api/v0/secrets", threshold=3.0),
)


class EnvVarBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    key: str | None = None
    value: str | None = None


async def list_env_vars(call: Call) -> JSON:
    """Values in clear, to their owner: the official CLI masks them unless asked (`-s`)."""
    account = call.principal.require_account()
    return {"success": True, "secrets": call.backend.env_values(account)}


async def create_env_var(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(EnvVarBody, call.body)
    call.backend.create_env_var(account, request.key, request.value)
    return {"success": True, "msg": "Environment variable added successfully"}


async def update_env_var(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(EnvVarBody, call.body)
    call.backend.update_env_var(account, request.key, request.value)
    return {"success": True, "msg": "Environment variable updated successfully"}


async def delete_env_var(call: Call) -> JSON:
    account = call.principal.require_account()
    request = parse_body(EnvVarBody, call.body)
    call.backend.delete_env_var(account, request.key)
    return {"success": True, "msg": "Environment variable deleted successfully"}
