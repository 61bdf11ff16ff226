"""Upgrading a data folder an older simulator wrote, so its world carries on.

Schema 1 kept accounts by their API key, and instances and SSH keys with their owner's key,
their env values, onstart script and own keys in clear (and an instance's boot end as
`ready_at`, now `phase_ends_at`). Schema 2 (`SCHEMA`) keeps owners by
digest and an instance's secrets sealed (`sealing`). `upgrade` rewrites a schema 1 world in
place, then compacts the database so no freed page keeps the old text. A read-only reader
(`pulumi-vast sim ledger` with no simulator running) cannot upgrade and says so.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_vast.sim.masking import mask_key
from pulumi_vast.sim.records import SEALED_FIELDS
from pulumi_vast.sim.sealing import Keyring
from pulumi_vast.sim.store import Store

__all__ = ["SCHEMA", "OutdatedData", "upgrade"]

SCHEMA = 2


class OutdatedData(LookupError):
    """A world written by an older simulator, opened read-only."""


def upgrade(store: Store, keyring: Keyring) -> None:
    """Bring the store's world to `SCHEMA` (a new world starts there)."""
    meta = store.meta()
    schema = meta.get("schema", 1 if "seed" in meta else SCHEMA)
    if schema >= SCHEMA:
        if "schema" not in meta and not store.readonly:
            store.set_meta("schema", SCHEMA)
        return
    if store.readonly:
        raise OutdatedData(
            f"{store.path} was written by an older simulator: serve it once "
            "(pulumi-vast sim --data ...) to upgrade it"
        )
    with store.transaction():
        for record in store.load("accounts"):
            store.delete("accounts", record["api_key"])
            upgraded = _account(record, keyring)
            store.put("accounts", upgraded["digest"], upgraded)
        for record in store.load("ssh_keys"):
            store.put("ssh_keys", record["id"], _owned(record, keyring))
        for record in store.load("instances"):
            store.put("instances", record["id"], _instance(record, keyring))
        store.set_meta("schema", SCHEMA)
    store.compact()


def _account(record: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    upgraded = dict(record)
    key = upgraded.pop("api_key")
    return {**upgraded, "digest": keyring.digest(key), "key_hint": mask_key(key)}


def _owned(record: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    upgraded = dict(record)
    upgraded["account"] = keyring.digest(upgraded.pop("account_key"))
    return upgraded


def _instance(record: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    upgraded = _owned(record, keyring)
    upgraded["phase_ends_at"] = upgraded.pop("ready_at")
    secret = {name: upgraded.pop(name) for name in SEALED_FIELDS if name in upgraded}
    upgraded["sealed"] = keyring.seal(json.dumps(secret))
    return upgraded
