"""The GPU market's routes: offer search (both forms) and the GPU names."""

from __future__ import annotations

from pulumi_vast.sim.errors import InvalidRequest
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = ["ROUTES", "gpu_names", "search_asks", "search_offers"]

ROUTES = (
    Route("search_offers", "POST", "/api/v0/bundles", bad_key_status=404, public=True),
    Route("search_asks", "PUT", "/api/v0/search/asks", bad_key_status=404, public=True),
    Route("gpu_names", "GET", "/api/v0/gpu_names/unique", public=True),
)


async def search_offers(call: Call) -> JSON:
    body = call.object_body("an object of filters")
    return {"offers": call.backend.search_offers(call.principal.account, body)}


async def search_asks(call: Call) -> JSON:
    """`PUT /api/v0/search/asks/` (the CLI's `--new`): ``{"select_cols": [...], "q": {...}}``."""
    body = call.object_body('{"q": {...}, "select_cols": [...]}')
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
