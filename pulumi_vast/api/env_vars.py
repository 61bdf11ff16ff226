"""Account env vars (Vast calls them secrets): values Vast sets in every instance of the
account, stored encrypted.

``GET /api/v0/secrets/`` answers ``{"success": true, "secrets": {"NAME": "value"}}`` with
the values in clear (the official ``show env-vars`` masks them itself); ``POST`` creates
and ``PUT`` changes one with ``{"key", "value"}``, ``DELETE`` removes one with
``{"key"}``. The routes of openapi and of the official client agree. Vast stores names in
upper case (openapi: "will be converted to uppercase"), so this client sends and compares
them that way. openapi documents values as ``[A-Za-z0-9_.-]+`` for a create and errors
such as ``invalid_characters`` and ``input_too_long`` for an update; the client sends the
value as given and lets Vast judge it (a refusal is `BadRequest`).

Values are secrets: a `SecretStr` in every model, and redacted from every error the
request causes (Vast may quote what it refused).
"""

from __future__ import annotations

import builtins
import re
from typing import Any

from pydantic import SecretStr

from pulumi_vast.api._base import SubClient, VastModel
from pulumi_vast.api.errors import NotFound
from pulumi_vast.api.instances import ENV_NAME

__all__ = [
    "ENV_VAR_EXISTS",
    "ENV_VAR_VALUE",
    "MAX_ENV_VAR_NAME_LENGTH",
    "MAX_ENV_VAR_VALUE_LENGTH",
    "EnvVar",
    "EnvVarsClient",
]

_ROUTE = "/api/v0/secrets/"

ENV_VAR_EXISTS = "existing_key"
"""The error code (a `BadRequest`) of creating a name the account already has."""
ENV_VAR_VALUE = re.compile(r"^[A-Za-z0-9_.-]+\Z")
"""openapi's pattern of a value."""
# openapi names `input_too_long` but not the limits: these are the simulator's.
MAX_ENV_VAR_NAME_LENGTH = 128
MAX_ENV_VAR_VALUE_LENGTH = 4096


class EnvVar(VastModel):
    name: str
    value: SecretStr


class EnvVarsClient(SubClient):
    def list(self) -> builtins.list[EnvVar]:
        """The account's env vars, values kept secret."""
        data = self._transport.request("GET", _ROUTE)
        rows = data.get("secrets", {}) if isinstance(data, dict) else None
        if not isinstance(rows, dict):
            raise self._unexpected("GET", _ROUTE, "a body without a 'secrets' object")
        return [
            self._parse(EnvVar, {"name": name, "value": value}, "GET", _ROUTE)
            for name, value in rows.items()
        ]

    def get(self, name: str) -> EnvVar | None:
        key = _key(name)
        return next((var for var in self.list() if var.name.upper() == key), None)

    def create(self, name: str, value: str | SecretStr) -> EnvVar:
        """Add ``name`` (stored upper case) to the account.

        A name the account has is `BadRequest` with error `ENV_VAR_EXISTS`. Not repeated
        once it may have reached Vast (`ResponseLost`): `get` it to see whether it was made.
        """
        key, secret = _key(name), _secret(value)
        self._send("POST", {"key": key, "value": secret}, idempotent=False)
        return EnvVar(name=key, value=SecretStr(secret))

    def update(self, name: str, value: str | SecretStr) -> None:
        """Give ``name`` a new value; `NotFound` when the account has no such env var."""
        key, secret = _key(name), _secret(value)
        self._send("PUT", {"key": key, "value": secret})

    def delete(self, name: str) -> bool:
        """Remove ``name`` from the account; False when it was already gone."""
        try:
            self._send("DELETE", {"key": _key(name)})
        except NotFound:
            return False
        return True

    def _send(self, method: str, body: dict[str, str], *, idempotent: bool | None = None) -> Any:
        value = body.get("value")
        return self._transport.request(
            method,
            _ROUTE,
            json=body,
            idempotent=idempotent,
            secrets=[value] if value is not None else (),
        )


def _key(name: str) -> str:
    if not ENV_NAME.match(name):
        raise ValueError(
            f"{name!r} is not an env var name: letters, digits and _, not starting with a digit"
        )
    return name.upper()


def _secret(value: str | SecretStr) -> str:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not text:
        raise ValueError("an env var needs a value (Vast refuses an empty one)")
    return text
