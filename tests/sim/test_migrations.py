"""A world written by the simulator before secrets were sealed carries on, sealed."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from pulumi_vast.sim.bodies import CreateInstanceBody
from pulumi_vast.sim.migrations import SCHEMA, OutdatedData
from pulumi_vast.sim.models import SimBackend
from pulumi_vast.sim.records import SEALED_FIELDS, Phase
from pulumi_vast.sim.store import Store

OLD_KEY = "pulumi-vast-local"
SECRET = "hf_0123456789abcdef"
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RyZWFsbHlub3RhcmVhbGtleWF0YWxsMTIz test"


def _open(data_dir: Path, *, readonly: bool = False) -> SimBackend:
    return SimBackend(
        Store(data_dir, readonly=readonly), data_dir=data_dir, seed=0, default_boot_delay=0
    )


def _schema_one_world(data_dir: Path) -> tuple[int, str]:
    """A world as the schema 1 simulator wrote it: one account, SSH key and instance,
    with the key and the instance's secrets in clear. (instance id, container key)"""
    backend = _open(data_dir)
    account = backend.account(OLD_KEY)
    backend.create_ssh_key(account, PUBLIC_KEY)
    offer = next(iter(backend.market))
    body = CreateInstanceBody.model_validate({"image": "img", "env": f"-e TOKEN={SECRET}"})
    instance = backend.create_instance(account, offer.id, body)
    backend.tick()  # loading, a phase schema 1 knew
    (old_account,) = backend.store.load("accounts")
    (old_key,) = backend.store.load("ssh_keys")
    old_instance = instance.to_record(backend.keyring)
    backend.store.close()
    for new_name in ("digest", "key_hint"):
        old_account.pop(new_name)
    old_key.pop("account")
    for new_name in ("sealed", "account"):
        old_instance.pop(new_name)
    old_instance.update({name: getattr(instance, name) for name in SEALED_FIELDS})
    old_instance["ready_at"] = old_instance.pop("phase_ends_at")
    rows = {
        "accounts": (OLD_KEY, {"api_key": OLD_KEY, **old_account}),
        "instances": (instance.id, {"account_key": OLD_KEY, **old_instance}),
        "ssh_keys": (old_key["id"], {"account_key": OLD_KEY, **old_key}),
    }
    with contextlib.closing(sqlite3.connect(data_dir / "sim.db")) as db, db:
        db.execute("DELETE FROM meta WHERE key = 'schema'")
        for table, (row_id, data) in rows.items():
            db.execute(f"DELETE FROM {table}")
            db.execute(f"INSERT INTO {table} VALUES (?, ?)", (str(row_id), json.dumps(data)))
    assert OLD_KEY.encode() in (data_dir / "sim.db").read_bytes() + _wal(data_dir)
    return instance.id, instance.container_key


def _wal(data_dir: Path) -> bytes:
    wal = data_dir / "sim.db-wal"
    return wal.read_bytes() if wal.exists() else b""


def test_a_schema_one_world_is_upgraded_in_place(tmp_path: Path) -> None:
    instance_id, container_key = _schema_one_world(tmp_path)

    backend = _open(tmp_path)

    account = backend.account(OLD_KEY)
    instance = backend.instances[instance_id]
    assert backend.owned(account, instance_id) is instance
    assert instance.env == {"TOKEN": SECRET}
    assert (instance.phase, instance.phase_ends_at) == (Phase.LOADING, instance.created_at)
    assert backend.instance_by_container_key(container_key) is instance
    assert [key.key for key in backend.account_keys(account)] == [PUBLIC_KEY]
    assert backend.store.meta()["schema"] == SCHEMA
    backend.store.close()
    stored = (tmp_path / "sim.db").read_bytes() + _wal(tmp_path)
    for clear in (OLD_KEY, SECRET, container_key):
        assert clear.encode() not in stored, f"{clear} is still in the database"


def test_a_read_only_reader_asks_for_the_upgrade(tmp_path: Path) -> None:
    _schema_one_world(tmp_path)
    with pytest.raises(OutdatedData, match="serve it once"):
        _open(tmp_path, readonly=True)


def test_a_new_world_starts_at_the_current_schema(tmp_path: Path) -> None:
    backend = _open(tmp_path)
    assert backend.store.meta()["schema"] == SCHEMA
    backend.store.close()
    assert _open(tmp_path, readonly=True).instances == {}
