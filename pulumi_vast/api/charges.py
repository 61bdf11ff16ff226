"""Charges: what each contract (instance, volume) cost in a date range, destroyed ones too.

``GET /api/v0/charges/`` (openapi "show charges"; the official CLI's ``show invoices-v1
--charges``): one row per contract, its ``source`` ``instance-<id>`` or ``volume-<id>``,
its ``amount`` in USD (rounded to 3 decimals by Vast) and a breakdown by charge type.
"""

from __future__ import annotations

import builtins
from typing import Any

from pydantic import Field

from pulumi_vast.api._base import SubClient, VastModel

__all__ = ["Charge", "ChargesClient"]

_ROUTE = "/api/v0/charges/"
PAGE_SIZE = 500
"""The most the service serves a page."""


class Charge(VastModel):
    start: float | None = None
    end: float | None = None
    type: str
    source: str
    """``instance-<id>`` or ``volume-<id>``."""
    description: str | None = None
    amount: float = 0.0
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def contract(self) -> tuple[str, int] | None:
        """``("instance", 21000001)`` from the source; None for a wrapper row."""
        kind, _, number = self.source.partition("-")
        return (kind, int(number)) if number.isdigit() else None


class ChargesClient(SubClient):
    def list(
        self, start: float, end: float, *, types: tuple[str, ...] = ()
    ) -> builtins.list[Charge]:
        """Every contract's charge between `start` and `end` (epoch seconds), all pages."""
        filters: dict[str, Any] = {"day": {"gte": int(start), "lte": int(end)}}
        if types:
            filters["type"] = {"in": list(types)}
        params: dict[str, Any] = {"select_filters": filters, "limit": PAGE_SIZE}
        charges: builtins.list[Charge] = []
        seen: set[str] = set()
        while True:
            data = self._transport.request("GET", _ROUTE, query=params)
            if not isinstance(data, dict):
                raise self._unexpected("GET", _ROUTE, "a body that is not an object")
            for row in data.get("results") or []:
                charges.append(self._parse(Charge, row, "GET", _ROUTE))
            token = data.get("next_token")
            if not token:
                return charges
            if token in seen:
                raise self._unexpected("GET", _ROUTE, f"the page token {token!r} twice")
            seen.add(token)
            params = {**params, "after_token": token}
