"""The account behind the API key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import model_validator

from pulumi_vast.api._base import SubClient, VastModel

__all__ = ["User", "UsersClient"]

_CURRENT_ROUTE = "/api/v0/users/current"
"""No trailing slash: the official client sends this one without."""


class User(VastModel):
    id: int
    email: str | None = None
    username: str | None = None
    fullname: str | None = None
    balance: float | None = None
    credit: float | None = None
    key_id: int | None = None
    ssh_key: str | None = None
    sid: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_secrets(cls, data: Any) -> Any:
        # Never keep a key the service might echo: models end up in logs and reprs.
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if "api_key" not in str(k).lower()}
        return data


class UsersClient(SubClient):
    def current(self) -> User:
        """The account the API key belongs to (a cheap way to check the key works)."""
        data = self._transport.request("GET", _CURRENT_ROUTE)
        return self._parse(User, data, "GET", _CURRENT_ROUTE)
