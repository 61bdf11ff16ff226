"""What every route handler receives (`Call`) and returns (`JSON`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi_vast.sim.errors import InvalidRequest
from pulumi_vast.sim.reading import parse_id, parse_json

if TYPE_CHECKING:
    from pulumi_vast.sim.auth import Principal
    from pulumi_vast.sim.models import SimBackend

__all__ = ["JSON", "Call"]

JSON = dict[str, Any] | list[Any]


@dataclass(frozen=True)
class Call:
    """One request to a Vast route: the caller, path parameters, query and JSON body."""

    backend: SimBackend
    principal: Principal
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any

    def int_param(self, name: str, what: str) -> int:
        return parse_id(self.params[name], what)

    def json_arg(self, name: str, default: Any) -> Any:
        """A query argument the official client sends JSON-encoded (`select_filters`...)."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        return parse_json(raw, what=f"{name} (it must be JSON)")

    def object_body(self, shape: str) -> dict[str, Any]:
        """The body as a JSON object ({} when absent), or a 400 showing the `shape` wanted."""
        body = self.body if self.body is not None else {}
        if not isinstance(body, dict):
            raise InvalidRequest(f"Invalid json body: expected {shape}")
        return body
