"""Faults tests switch on per API key: the ways the real marketplace bites.

Request faults are keyed by route name (`urls.ROUTES`), or ``"*"`` for every route:

- `errors`: the next `count` requests answer `status` (5xx) without reaching the backend.
- `delays`: every request waits `seconds` before it is handled (a slow service).
- `lost`: the next `count` requests are *handled* (a create is committed) and then the
  response is lost: ``"drop"`` closes the connection after the status line, ``"timeout"``
  holds the answer for `seconds` (past the client's timeout) before sending it.

World faults: `stuck_loading` (instances that start loading while it is set never reach
`running`); `taken_offers` (offers someone else rented: they vanish from this account's
search and creating them answers 404 ``no_such_ask``); `snatched_offers` (the race: an
offer someone else is renting right now still shows in search, the next create of it
answers 404 ``no_such_ask``, and from then on it is taken). Host loss and preemption are
events on one instance, triggered through the admin routes.

Faults live in memory: a restarted simulator starts without them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pulumi_vast.sim.urls import ROUTES_BY_NAME

__all__ = ["ALL_ROUTES", "MAX_FAULT_SECONDS", "FaultBook", "Faults", "LostResponse", "RouteError"]

ALL_ROUTES = "*"
MAX_FAULT_SECONDS = 3600.0
"""The longest a planned delay or held answer lasts."""


class RouteError(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(default=1, ge=1)
    status: int = Field(default=500, ge=500, le=599)


class LostResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(default=1, ge=1)
    mode: Literal["drop", "timeout"] = "drop"
    seconds: float = Field(default=30.0, ge=0, le=MAX_FAULT_SECONDS)


def _check_routes(names: list[str]) -> None:
    unknown = [name for name in names if name != ALL_ROUTES and name not in ROUTES_BY_NAME]
    if unknown:
        valid = ", ".join(sorted(ROUTES_BY_NAME))
        raise ValueError(f"unknown route name(s) {unknown}; valid: {ALL_ROUTES}, {valid}")


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    errors: dict[str, RouteError] = Field(default_factory=dict)
    delays: dict[str, Annotated[float, Field(ge=0, le=MAX_FAULT_SECONDS)]] = Field(
        default_factory=dict
    )
    lost: dict[str, LostResponse] = Field(default_factory=dict)
    stuck_loading: bool = False
    taken_offers: list[int] = Field(default_factory=list)
    snatched_offers: list[int] = Field(default_factory=list)

    @field_validator("errors", "delays", "lost")
    @classmethod
    def _known_routes(cls, value: dict[str, object]) -> dict[str, object]:
        _check_routes(list(value))
        return value


class FaultBook:
    """The faults of every API key, consumed as requests arrive."""

    def __init__(self) -> None:
        self._faults: dict[str, Faults] = {}

    def get(self, key: str) -> Faults:
        return self._faults.get(key) or Faults()

    def update(self, key: str, changes: Mapping[str, object]) -> Faults:
        """Merge `changes` (fields of `Faults`) into the key's faults."""
        merged = self.get(key).model_dump()
        merged.update(changes)
        faults = Faults.model_validate(merged)
        self._faults[key] = faults
        return faults

    def clear(self, key: str | None = None) -> None:
        if key is None:
            self._faults.clear()
        else:
            self._faults.pop(key, None)

    def take_error(self, key: str, route: str) -> int | None:
        """The status to fail this request with, consuming one planned error."""
        faults = self._faults.get(key)
        if faults is None:
            return None
        for name in (route, ALL_ROUTES):
            planned = faults.errors.get(name)
            if planned is not None:
                if planned.count <= 1:
                    del faults.errors[name]
                else:
                    planned.count -= 1
                return planned.status
        return None

    def delay(self, key: str, route: str) -> float:
        faults = self._faults.get(key)
        if faults is None:
            return 0.0
        return faults.delays.get(route, faults.delays.get(ALL_ROUTES, 0.0))

    def take_lost(self, key: str, route: str) -> LostResponse | None:
        faults = self._faults.get(key)
        if faults is None:
            return None
        for name in (route, ALL_ROUTES):
            planned = faults.lost.get(name)
            if planned is not None:
                if planned.count <= 1:
                    del faults.lost[name]
                else:
                    planned.count -= 1
                return planned
        return None

    def stuck_loading(self, key: str) -> bool:
        faults = self._faults.get(key)
        return faults is not None and faults.stuck_loading

    def taken_offers(self, key: str) -> frozenset[int]:
        faults = self._faults.get(key)
        return frozenset(faults.taken_offers) if faults is not None else frozenset()

    def take_offer(self, key: str, offer_id: int) -> None:
        faults = self.get(key)
        changes = {
            "taken_offers": sorted({*faults.taken_offers, offer_id}),
            "snatched_offers": [o for o in faults.snatched_offers if o != offer_id],
        }
        self.update(key, changes)

    def snatched(self, key: str, offer_id: int) -> bool:
        """Whether someone else is renting this offer now; if so, it is taken from now on."""
        faults = self._faults.get(key)
        if faults is None or offer_id not in faults.snatched_offers:
            return False
        self.take_offer(key, offer_id)
        return True

    def release_offer(self, key: str, offer_id: int) -> None:
        taken = self.get(key).taken_offers
        self.update(key, {"taken_offers": [o for o in taken if o != offer_id]})
