"""Account SSH keys: registered once, added by Vast to every instance of the account."""

from __future__ import annotations

import builtins
from typing import Any

from pydantic import AliasChoices, Field

from pulumi_vast.api._base import SubClient, VastModel
from pulumi_vast.api.errors import NotFound

__all__ = ["SshKey", "SshKeysClient"]

_ROUTE = "/api/v0/ssh/"
_KEY_ROUTE = "/api/v0/ssh/{id}/"


class SshKey(VastModel):
    id: int
    public_key: str = Field(validation_alias=AliasChoices("public_key", "ssh_key", "key"))
    user_id: int | None = None
    name: str | None = None
    created_at: str | float | None = None
    deleted_at: str | float | None = None


class SshKeysClient(SubClient):
    def list(self) -> builtins.list[SshKey]:
        """The account's keys (deleted ones left out)."""
        data = self._transport.request("GET", _ROUTE)
        rows: Any = data
        if isinstance(data, dict):
            rows = data.get("ssh_keys", data.get("keys"))
        if not isinstance(rows, builtins.list):
            raise self._unexpected("GET", _ROUTE, "a body without a list of keys")
        keys = [self._parse(SshKey, row, "GET", _ROUTE) for row in rows]
        return [key for key in keys if key.deleted_at is None]

    def get(self, key_id: int) -> SshKey | None:
        return next((key for key in self.list() if key.id == key_id), None)

    def create(self, public_key: str) -> SshKey:
        """Register ``public_key`` (an OpenSSH ``.pub`` line) with the account.

        Not retried once it may have reached Vast (`ResponseLost`): list the keys to see
        whether it was registered.
        """
        data = self._transport.request(
            "POST", _ROUTE, json={"ssh_key": public_key}, idempotent=False
        )
        row = data.get("key") if isinstance(data, dict) else None
        return self._parse(SshKey, row if isinstance(row, dict) else data, "POST", _ROUTE)

    def update(self, key_id: int, public_key: str) -> None:
        self._transport.request(
            "PUT",
            _KEY_ROUTE,
            path_params={"id": key_id},
            json={"id": key_id, "ssh_key": public_key},
        )

    def delete(self, key_id: int) -> bool:
        """Remove the key from the account; False when it was already gone."""
        try:
            self._transport.request("DELETE", _KEY_ROUTE, path_params={"id": key_id})
        except NotFound:  # a 404, or the 400 no_ssh_key
            return False
        return True
