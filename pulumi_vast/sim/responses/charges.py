"""`GET /api/v0/charges/`: per-contract charges in a date range (see `models.charges`).

As openapi documents it: `select_filters` (JSON) must hold `day` with `gte` and `lte` (unix
seconds), and may hold `type: {"in": [...]}`; `latest_first` (default true), `limit` (1 to
500, default 100) and `after_token` page through the rows; `format` is `table` or `tree`
(the same here: no serverless contracts to group).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pulumi_vast.sim.errors import BadRequest, InvalidToken
from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = ["ROUTES", "show_charges"]

ROUTES = (Route("show_charges", "GET", "/api/v0/charges", bad_key_status=404),)

CHARGE_TYPES = ("instance", "volume")
"""Contract types the simulator bills (serverless is not simulated)."""
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


async def show_charges(call: Call) -> JSON:
    account = call.principal.require_account()
    call.principal.require_full_key()
    filters = call.json_arg("select_filters", {})
    day = filters.get("day") if isinstance(filters, dict) else None
    if not isinstance(day, dict) or not all(_is_number(day.get(k)) for k in ("gte", "lte")):
        raise BadRequest("Must provide both 'day' gte and lte filters for instance charges")
    types = _types(filters.get("type"))
    if call.query.get("format", "table") not in ("table", "tree"):
        raise BadRequest("format must be 'table' or 'tree'")
    rows = call.backend.charges(account, float(day["gte"]), float(day["lte"]), types)
    latest_first = call.json_arg("latest_first", True) is not False
    rows.sort(key=lambda row: (row["start"], row["source"]), reverse=latest_first)
    offset = _offset(call.query.get("after_token"))
    limit = _limit(call.query.get("limit"))
    page = rows[offset : offset + limit]
    more = offset + limit < len(rows)
    return {
        "success": True,
        "count": len(page),
        "total": len(rows),
        "next_token": _token(offset + limit) if more else None,
        "results": page,
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _types(selector: Any) -> tuple[str, ...]:
    if selector is None:
        return CHARGE_TYPES
    wanted = selector.get("in") if isinstance(selector, dict) else None
    if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
        raise BadRequest('type filters as {"in": ["instance", "volume", "serverless"]}')
    return tuple(wanted)


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return limit


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"values": {"offset": offset}}).encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["values"]["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidToken("Invalid pagination token") from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidToken("Invalid pagination token")
    return offset
