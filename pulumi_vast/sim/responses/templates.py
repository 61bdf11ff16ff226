"""Templates (`/api/v0/template/`): search (the account's own, the public ones, Vast's),
create, edit (openapi's v0 route, and the official client's `PUT /api/v1/template/`),
delete (by ``template_id`` or ``hash_id``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pulumi_vast.sim.bodies import parse_body
from pulumi_vast.sim.errors import InvalidRequest
from pulumi_vast.sim.querying import order_instances, parse_order_by, select_typed
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = [
    "FILTERABLE_TEMPLATE_COLUMNS",
    "ROUTES",
    "create_template",
    "delete_template",
    "search_templates",
    "update_template",
    "update_template_v1",
]

ROUTES = (
    Route("search_templates", "GET", "/api/v0/template", threshold=3.0),
    Route("create_template", "POST", "/api/v0/template"),
    Route("update_template", "PUT", "/api/v0/template"),
    Route("update_template_v1", "PUT", "/api/v1/template", bad_key_status=404),
    Route("delete_template", "DELETE", "/api/v0/template"),
)
FILTERABLE_TEMPLATE_COLUMNS = frozenset(
    {
        "creator_id",
        "created_at",
        "count_created",
        "default_tag",
        "docker_login_repo",
        "id",
        "image",
        "jup_direct",
        "hash_id",
        "name",
        "private",
        "recent_create_date",
        "recommended_disk_space",
        "recommended",
        "ssh_direct",
        "tag",
        "use_ssh",
    }
)
"""openapi's filter fields, and `private` (the official client's query language has it)."""


class TemplateRef(BaseModel):
    """Which template an edit or a delete is about."""

    model_config = ConfigDict(extra="allow")

    hash_id: str | None = Field(default=None, min_length=1, max_length=64)
    template_id: int | None = None
    id: int | None = None


async def search_templates(call: Call) -> JSON:
    account = call.principal.require_account()
    rows = [template.to_json() for template in call.backend.visible_templates(account)]
    selected = select_typed(rows, call.json_arg("select_filters", {}), FILTERABLE_TEMPLATE_COLUMNS)
    order_by = call.json_arg("order_by", None)
    if order_by is not None and rows:
        if isinstance(order_by, str):
            order_by = [{"col": order_by}]
        selected = order_instances(selected, parse_order_by(order_by, list(rows[0])))
    select_cols = call.json_arg("select_cols", ["*"])
    if not isinstance(select_cols, list):
        raise InvalidRequest('select_cols must be a JSON list like ["id", "name"]')
    if "*" not in select_cols:
        selected = [{column: row.get(column) for column in select_cols} for row in selected]
    return {"success": True, "templates_found": len(selected), "templates": selected}


async def create_template(call: Call) -> JSON:
    account = call.principal.require_account()
    fields = call.object_body("a template object")
    template, new = call.backend.create_template(account, fields)
    message = (
        f"Template Created Successfully! New Template ID: {template.id}"
        if new
        else f"Found an existing template with this content: ID {template.id}"
    )
    return {"success": True, "msg": message, "template": template.to_json()}


async def update_template(call: Call) -> JSON:
    """openapi: the fields to change, with the template's ``hash_id``."""
    account = call.principal.require_account()
    fields = call.object_body("a template object with its hash_id")
    ref = parse_body(TemplateRef, fields)
    changes = _changes(fields)
    template = call.backend.update_template(account, ref.hash_id, ref.id, changes)
    return {"success": True, "template": template.to_json()}


async def update_template_v1(call: Call) -> JSON:
    """The official client's edit: every field (None for unset) with ``id`` and ``hash_id``."""
    return await update_template(call)


async def delete_template(call: Call) -> JSON:
    account = call.principal.require_account()
    ref = parse_body(TemplateRef, call.object_body('{"template_id": ...} or {"hash_id": ...}'))
    template = call.backend.delete_template(account, ref.hash_id, ref.template_id or ref.id)
    return {"success": True, "msg": f"Template {template.id} deleted"}


def _changes(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if name not in {"id", "hash_id"}}
