"""An account's environment variables (`/api/v0/secrets/`, `vastai create/show/update/delete
env-var`): secrets Vast gives to the containers of the account's instances.

Names are upper-cased and must be identifiers; values follow openapi's pattern (letters,
digits, ``_``, ``-``, ``.``). Values are sealed at rest, shown in clear only to their owner
(`GET /secrets/`, as the official CLI expects: it masks them itself), masked in admin
answers, and never written into an error message or the log. A new instance takes the
account's variables as they are when it is created (`account_env`); its own env wins.

Errors are openapi's: 400 with ``missing_input``, ``empty_input``, ``invalid_characters``,
``input_too_long``, ``existing_key``, ``nonexistent_key`` or ``max_secrets``. The limits
(`MAX_ENV_VARS`, `MAX_NAME`, `MAX_VALUE`) are guesses: openapi says only that there is one.
"""

from __future__ import annotations

import re

from pulumi_vast.sim.errors import BadRequest
from pulumi_vast.sim.models.accounts import AccountsBackend
from pulumi_vast.sim.records import Account
from pulumi_vast.sim.records.env_vars import EnvVar

__all__ = ["MAX_ENV_VARS", "MAX_NAME", "MAX_VALUE", "EnvVarsBackend"]

MAX_ENV_VARS = 100
MAX_NAME = 128
MAX_VALUE = 4096
_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_VALUE = re.compile(r"^[a-zA-Z0-9_\-.]+$")


def _refused(code: str, msg: str) -> BadRequest:
    return BadRequest(msg, error=code)


def _name(key: str | None) -> str:
    if key is None:
        raise _refused("missing_input", "'key' is required.")
    name = key.strip().upper()
    if not name:
        raise _refused("empty_input", "'key' must not be empty.")
    if len(name) > MAX_NAME:
        raise _refused("input_too_long", f"'key' is longer than {MAX_NAME} characters.")
    if not _NAME.match(name):
        raise _refused(
            "invalid_characters",
            f"'key' must be a name of letters, digits and _ not starting with a digit: {name!r}",
        )
    return name


def _value(value: str | None) -> str:
    """The value, checked; an error never quotes it (it is a secret)."""
    if value is None:
        raise _refused("missing_input", "Both 'key' and 'value' are required.")
    if not value:
        raise _refused("empty_input", "'value' must not be empty.")
    if len(value) > MAX_VALUE:
        raise _refused("input_too_long", f"'value' is longer than {MAX_VALUE} characters.")
    if not _VALUE.match(value):
        raise _refused(
            "invalid_characters", "'value' may hold only letters, digits, '_', '-' and '.'."
        )
    return value


class EnvVarsBackend(AccountsBackend):
    TABLES = ("env_vars",)

    env_vars: dict[str, dict[str, EnvVar]]
    """By owner's digest, then by name."""

    def _load(self) -> None:
        super()._load()
        self.env_vars = {}
        for record in self.store.load("env_vars"):
            var = EnvVar.from_record(record, self.keyring)
            self.env_vars.setdefault(var.account, {})[var.key] = var

    def _forget(self) -> None:
        super()._forget()
        self.env_vars.clear()

    def env_values(self, account: Account) -> dict[str, str]:
        """The account's variables, name -> value, by name."""
        own = self.env_vars.get(account.digest, {})
        return {name: own[name].value for name in sorted(own)}

    def create_env_var(self, account: Account, key: str | None, value: str | None) -> EnvVar:
        if key is None or value is None:
            raise _refused("missing_input", "Both 'key' and 'value' are required.")
        name, checked = _name(key), _value(value)
        own = self.env_vars.setdefault(account.digest, {})
        if name in own:
            raise _refused("existing_key", f"An environment variable named {name} exists.")
        if len(own) >= MAX_ENV_VARS:
            raise _refused("max_secrets", f"An account holds at most {MAX_ENV_VARS} variables.")
        var = EnvVar(account=account.digest, key=name, value=checked, created_at=self.now())
        own[name] = var
        self.store.put("env_vars", var.record_id, var.to_record(self.keyring))
        return var

    def update_env_var(self, account: Account, key: str | None, value: str | None) -> EnvVar:
        var = self._own_var(account, key)
        var.value = _value(value)
        self.store.put("env_vars", var.record_id, var.to_record(self.keyring))
        return var

    def delete_env_var(self, account: Account, key: str | None) -> None:
        var = self._own_var(account, key)
        del self.env_vars[account.digest][var.key]
        self.store.delete("env_vars", var.record_id)

    def _own_var(self, account: Account, key: str | None) -> EnvVar:
        name = _name(key)
        var = self.env_vars.get(account.digest, {}).get(name)
        if var is None:
            raise _refused("nonexistent_key", f"No environment variable named {name}.")
        return var
