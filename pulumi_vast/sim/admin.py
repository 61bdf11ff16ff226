"""Test-only admin routes under `/_sim` (no real Vast route uses that prefix).

**The admin token.** Every admin route but the health check takes
``Authorization: Bearer <token>``; without it the answer is 401 ``auth_error``, with a
wrong one 403 ``forbidden`` (Vast's error JSON). The token is made once per data folder
and kept in ``<data>/admin.token`` (0600, like everything in the folder, see `datadir`);
`pulumi-vast sim` prints where it is when it starts serving. `testing.SimAdmin` reads it
from the data folder (or takes it explicitly), as do `pulumi-vast sim ledger --data`:

    curl -H "Authorization: Bearer $(cat .state/sim/admin.token)" $SIM/_sim/ledger

The health check stays open: it is how a live server is recognised, and it shows no key.

**Account settings** (`/_sim/accounts`; unset: the server's options): `credit` ($);
`boot_delay`, seconds an instance loads before it runs; `created_delay`, seconds a new
instance spends before loading, the first half with no status (``actual_status: null``),
the second ``created``, as on Vast; `rate_limits` on or off; `rate_burst`, requests one
route takes at once (1: 429s come easily).

**Masking.** No admin answer shows a key or a secret value in clear, save the one that
makes a fresh account key: an API key shows as its prefix and last four characters
(``vastsim-…1a2b``, or just ``…`` when short), env values (the instance's own and the
account env vars it was given), the onstart script and the jupyter token as ``…`` (see
`masking`). Nor does the data folder hold them in clear
(`sealing`). A test that needs an instance's CONTAINER_API_KEY reads it where a user
would: from the instance's environment, over SSH.

**Inputs** are read as strictly as the Vast routes' (`reading`): JSON bodies only, numbers
finite and bounded (a clock advance is at most `clock.MAX_ADVANCE`, five years), and an
unknown query argument is refused (400) rather than ignored, so a typo such as
``?keys=`` cannot silently widen a query.

    GET    /_sim/health                       {"ok", "pid", "data_dir", "url", "hosts"}
    POST   /_sim/reset                        forget every account and what it holds; clock
                                              to now
    POST   /_sim/accounts                     {key?, credit?, boot_delay?, created_delay?,
                                               rate_limits?, rate_burst?}
                                              -> {"api_key", "id"} (a fresh key, in clear,
                                              without `key`; else the key masked)
    PUT    /_sim/accounts                     {key, credit?, boot_delay?, created_delay?,
                                               rate_limits?, rate_burst?}
                                              -> the settings, the key masked
    GET    /_sim/clock                        {"now", "offset"}
    POST   /_sim/clock/advance                {seconds} -> {"now", "offset"}
    GET    /_sim/faults?key=K                 the key's faults
    PUT    /_sim/faults                       {key, errors?, delays?, lost?, stuck_loading?,
                                               taken_offers?, snatched_offers?} (merged in)
    DELETE /_sim/faults?key=K                 clear them (every key's without `key`)
    GET    /_sim/ledger[?key=K]               instances and volumes ever rented, costs,
                                              totals (what still bills)
    GET    /_sim/requests[?key=K]             the key's request counts per route name and
                                              status; without `key`, {"keys": [{"key"
                                              (masked), "routes"}]}
    DELETE /_sim/requests[?key=K]             reset them
    GET    /_sim/instances/{id}               an instance's record (secrets masked), its
                                              owner's masked key, folder, authorized keys,
                                              overlay ({id, name, address} or null)
    POST   /_sim/instances/{id}/destroy       its owner destroys it out of band (elsewhere
                                              than the caller under test: not in the
                                              owner's request counts)
    POST   /_sim/instances/{id}/host_lost     {status: "offline"|"exited"}
    POST   /_sim/instances/{id}/preempt       outbid: stopped, GPUs to someone else
    POST   /_sim/offers/{id}/take             {key}: someone else rents the offer
    POST   /_sim/offers/{id}/release          {key}
    GET    /_sim/endpoints/{id}               the Serverless Engine's view of an endpoint:
                                              load, hot/cold targets, workers, its log
    PUT    /_sim/endpoints/{id}/load          {load, worker_perf?}: the load offered to it
                                              (requests/s; see `models.serverless`); the
                                              engine acts on it at once -> the view
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from pulumi_vast.sim.bodies import parse_body
from pulumi_vast.sim.clock import MAX_ADVANCE
from pulumi_vast.sim.errors import BadRequest, Forbidden, Unauthorized
from pulumi_vast.sim.models.serverless import LoadBody
from pulumi_vast.sim.reading import parse_id, parse_json_body
from pulumi_vast.sim.records import ACCOUNT_KEY_PREFIX, Phase, new_key
from pulumi_vast.sim.routing import ADMIN_PREFIX

if TYPE_CHECKING:
    from pulumi_vast.sim.app import Simulator

__all__ = ["OPEN_PATHS", "check_token", "router"]

router = APIRouter(prefix=ADMIN_PREFIX)
OPEN_PATHS = frozenset({f"{ADMIN_PREFIX}/health"})
"""Admin paths that answer without the token."""


def check_token(headers: Mapping[str, str], token: str) -> None:
    """Refuse a request (`headers` with lower-case names) without the admin token."""
    scheme, _, presented = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized(
            f"the {ADMIN_PREFIX} admin routes need 'Authorization: Bearer <token>'; the token "
            "is in the data folder's admin.token"
        )
    if not hmac.compare_digest(presented.strip().encode(), token.encode()):
        raise Forbidden(f"wrong admin token for {ADMIN_PREFIX}: see the data folder's admin.token")


def _sim(request: Request) -> Simulator:
    sim: Simulator = request.app.state.sim
    return sim


_Body = TypeVar("_Body", bound=BaseModel)


async def _body(request: Request, model: type[_Body]) -> _Body:
    raw = parse_json_body(await request.body(), request.headers.get("content-type"))
    return parse_body(model, {} if raw is None else raw)


def _query(request: Request, *allowed: str) -> dict[str, str]:
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        valid = ", ".join(allowed) or "none"
        raise BadRequest(f"unknown query argument(s) {', '.join(unknown)}; valid: {valid}")
    return {name: request.query_params[name] for name in allowed if name in request.query_params}


def _optional_key(request: Request) -> str | None:
    return _query(request, "key").get("key") or None


def _required_key(request: Request) -> str:
    key = _optional_key(request)
    if key is None:
        raise BadRequest("the query argument key is required")
    return key


def _id(request: Request, name: str) -> int:
    return parse_id(request.path_params[name], name)


MAX_DELAY = 365 * 86400.0
"""The longest boot a test may ask for: a year."""
MAX_CREDIT = 1e9
MAX_KEY = 256


class AccountSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(default=None, min_length=1, max_length=MAX_KEY)
    credit: float | None = Field(default=None, ge=-MAX_CREDIT, le=MAX_CREDIT)
    boot_delay: float | None = Field(default=None, ge=0, le=MAX_DELAY)
    created_delay: float | None = Field(default=None, ge=0, le=MAX_DELAY)
    rate_limits: bool | None = None
    rate_burst: float | None = Field(default=None, ge=1, le=1000)


class Advance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0, le=MAX_ADVANCE, allow_inf_nan=False)


class FaultChanges(BaseModel):
    model_config = ConfigDict(extra="allow")

    key: str = Field(min_length=1, max_length=MAX_KEY)


class HostLost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["offline", "exited"] = "offline"


class OfferHolder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=MAX_KEY)


class Nothing(BaseModel):
    """The body of a route that takes none: absent, or an empty object."""

    model_config = ConfigDict(extra="forbid")


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    _query(request)
    sim = _sim(request)
    return {
        "ok": True,
        "pid": os.getpid(),
        "data_dir": str(sim.options.data_dir),
        "url": sim.url,
        "hosts": sim.hosts.running_hosts(),
    }


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    _query(request)
    await _body(request, Nothing)
    await _sim(request).reset()
    return {"success": True}


@router.post("/accounts")
async def new_account(request: Request) -> dict[str, Any]:
    _query(request)
    settings = await _body(request, AccountSettings)
    key = settings.key or new_key(ACCOUNT_KEY_PREFIX)
    changes = settings.model_dump(exclude={"key"}, exclude_unset=True)
    account = _sim(request).backend.configure_account(key, changes)
    # A key made here exists nowhere else: this answer is the one that shows it.
    return {"api_key": account.key_hint if settings.key else key, "id": account.id}


@router.put("/accounts")
async def configure_account(request: Request) -> dict[str, Any]:
    _query(request)
    settings = await _body(request, AccountSettings)
    if not settings.key:
        raise BadRequest("key is required")
    backend = _sim(request).backend
    changes = settings.model_dump(exclude={"key"}, exclude_unset=True)
    account = backend.configure_account(settings.key, changes)
    return {
        "api_key": account.key_hint,
        "id": account.id,
        "credit": account.credit,
        "boot_delay": backend.boot_delay(account),
        "created_delay": backend.created_delay(account),
        "rate_limits": account.rate_limits,
        "rate_burst": account.rate_burst,
    }


@router.get("/clock")
async def clock(request: Request) -> dict[str, float]:
    _query(request)
    backend = _sim(request).backend
    return {"now": backend.now(), "offset": backend.clock.offset}


@router.post("/clock/advance")
async def advance(request: Request) -> dict[str, float]:
    _query(request)
    body = await _body(request, Advance)
    sim = _sim(request)
    now = sim.backend.advance(body.seconds)
    await sim.tick(wait=True)
    return {"now": now, "offset": sim.backend.clock.offset}


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    key = _required_key(request)
    sim = _sim(request)
    return sim.faults.get(sim.backend.digest(key)).model_dump()


@router.put("/faults")
async def set_faults(request: Request) -> dict[str, Any]:
    _query(request)
    body = await _body(request, FaultChanges)
    changes = body.model_dump(exclude={"key"})
    sim = _sim(request)
    faults = sim.faults.update(sim.backend.digest(body.key), changes)
    await sim.tick(wait=True)
    return faults.model_dump()


@router.delete("/faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    key = _optional_key(request)
    await _body(request, Nothing)
    sim = _sim(request)
    sim.faults.clear(sim.backend.digest(key) if key is not None else None)
    await sim.tick(wait=True)
    return {"success": True}


@router.get("/ledger")
async def ledger(request: Request) -> dict[str, Any]:
    key = _optional_key(request)
    sim = _sim(request)
    await sim.tick(wait=True)
    return sim.backend.ledger(key)


@router.get("/requests")
async def requests(request: Request) -> dict[str, Any]:
    return _sim(request).request_counts(_optional_key(request))


@router.delete("/requests")
async def reset_requests(request: Request) -> dict[str, Any]:
    key = _optional_key(request)
    await _body(request, Nothing)
    _sim(request).reset_request_counts(key)
    return {"success": True}


@router.get("/instances/{instance_id}")
async def instance(request: Request) -> dict[str, Any]:
    _query(request)
    instance_id = _id(request, "instance_id")
    sim = _sim(request)
    await sim.tick(wait=True)
    return sim.backend.internal_json(instance_id, folder=sim.hosts.instance_dir(instance_id))


@router.post("/instances/{instance_id}/host_lost")
async def host_lost(request: Request) -> dict[str, Any]:
    _query(request)
    instance_id = _id(request, "instance_id")
    body = await _body(request, HostLost)
    sim = _sim(request)
    sim.backend.host_lost(instance_id, Phase(body.status))
    await sim.settle()
    return {"success": True}


@router.post("/instances/{instance_id}/destroy")
async def destroy_instance(request: Request) -> dict[str, Any]:
    _query(request)
    instance_id = _id(request, "instance_id")
    await _body(request, Nothing)
    sim = _sim(request)
    sim.backend.destroy_as_owner(instance_id)
    await sim.settle()
    return {"success": True}


@router.post("/instances/{instance_id}/preempt")
async def preempt(request: Request) -> dict[str, Any]:
    _query(request)
    instance_id = _id(request, "instance_id")
    await _body(request, Nothing)
    sim = _sim(request)
    sim.backend.preempt(instance_id)
    await sim.settle()
    return {"success": True}


@router.post("/offers/{offer_id}/take")
async def take_offer(request: Request) -> dict[str, Any]:
    _query(request)
    offer_id = _id(request, "offer_id")
    body = await _body(request, OfferHolder)
    sim = _sim(request)
    sim.faults.take_offer(sim.backend.digest(body.key), offer_id)
    return {"success": True}


@router.post("/offers/{offer_id}/release")
async def release_offer(request: Request) -> dict[str, Any]:
    _query(request)
    offer_id = _id(request, "offer_id")
    body = await _body(request, OfferHolder)
    sim = _sim(request)
    sim.faults.release_offer(sim.backend.digest(body.key), offer_id)
    await sim.tick(wait=True)
    return {"success": True}


@router.get("/endpoints/{endpoint_id}")
async def endpoint(request: Request) -> dict[str, Any]:
    _query(request)
    endpoint_id = _id(request, "endpoint_id")
    sim = _sim(request)
    await sim.tick(wait=True)
    return sim.backend.engine_json(endpoint_id)


@router.put("/endpoints/{endpoint_id}/load")
async def endpoint_load(request: Request) -> dict[str, Any]:
    _query(request)
    endpoint_id = _id(request, "endpoint_id")
    body = await _body(request, LoadBody)
    sim = _sim(request)
    sim.backend.set_load(endpoint_id, body.load, body.worker_perf)
    await sim.tick(wait=True)
    return sim.backend.engine_json(endpoint_id)
