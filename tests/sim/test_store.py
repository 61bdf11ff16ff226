"""The store: tables are the backend's to declare, and a world written before a table
existed still opens, read-only too (`pulumi-vast sim ledger` with no simulator running)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_vast.sim.models import SimBackend
from pulumi_vast.sim.store import Store


def _older_world(data_dir: Path) -> None:
    """A world written when the simulator knew three tables."""
    store = Store(data_dir)
    store.ensure(["accounts", "instances", "ssh_keys"])
    with store.transaction():
        for key, value in {"seed": 0, "epoch": 1_800_000_000.0, "schema": 2}.items():
            store.set_meta(key, value)
    store.close()


def test_a_world_older_than_a_table_opens_read_only_with_that_table_empty(
    tmp_path: Path,
) -> None:
    _older_world(tmp_path)
    backend = SimBackend(
        Store(tmp_path, readonly=True), data_dir=tmp_path, seed=0, default_boot_delay=0
    )
    assert backend.volumes == {} and backend.templates == {}
    assert backend.ledger()["totals"]["volumes"] == 0


def test_serving_it_adds_the_missing_tables(tmp_path: Path) -> None:
    _older_world(tmp_path)
    backend = SimBackend(Store(tmp_path), data_dir=tmp_path, seed=0, default_boot_delay=0)
    backend.create_env_var(backend.account("alice"), "TOKEN", "value")
    backend.store.close()
    reopened = Store(tmp_path, readonly=True)
    assert [row["key"] for row in reopened.load("env_vars")] == ["TOKEN"]


def test_a_table_name_is_a_plain_word(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a table name"):
        Store(tmp_path).ensure(["x; DROP TABLE meta"])


def test_a_world_keeps_the_market_it_was_made_with(tmp_path: Path) -> None:
    def opened(data_dir: Path, scale: int) -> SimBackend:
        return SimBackend(
            Store(data_dir), data_dir=data_dir, seed=0, market_scale=scale, default_boot_delay=0
        )

    made = opened(tmp_path / "new", 2)
    offers = len(made.market.offers)
    made.store.close()
    _older_world(tmp_path / "old")

    assert len(opened(tmp_path / "new", 1).market.offers) == offers, "scale 2, as it was made"
    assert len(opened(tmp_path / "old", 2).market.offers) == offers // 2, "made before scales"
