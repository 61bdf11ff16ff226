"""The plumbing the mixins share: registries derived from them, and the change log."""

from __future__ import annotations

from pulumi_vast.sim.models import SimBackend
from pulumi_vast.sim.models.accounts import AccountsBackend
from pulumi_vast.sim.models.instances import InstancesBackend
from pulumi_vast.sim.models.ssh_keys import SshKeysBackend
from tests.sim.models.world import BOOT, World


def test_tables_and_id_sequences_are_each_mixins_own() -> None:
    assert set(AccountsBackend.tables()) == {"accounts"}
    assert set(SshKeysBackend.tables()) == {"accounts", "ssh_keys"}
    assert {"accounts", "ssh_keys", "instances"} <= set(SimBackend.tables())
    assert set(SshKeysBackend.counters()) == {"account", "ssh_key"}
    assert {"account", "ssh_key", "instance"} <= set(InstancesBackend.counters())


def test_the_store_has_a_table_for_every_mixin(world: World) -> None:
    for table in SimBackend.tables():
        assert world.backend.store.load(table) == []


def test_mutations_and_ticks_log_what_hosting_must_follow(world: World) -> None:
    alice = world.backend.account("alice")
    first = world.create()
    assert world.backend.take_changes().instances == {first}
    assert not world.backend.take_changes(), "taking the log empties it"
    world.backend.set_label(alice, first, "named")
    assert not world.backend.take_changes(), "a label changes nothing on the host"
    assert world.backend.tick().instances == {first}
    world.backend.take_changes()
    world.wall += BOOT
    world.backend.tick()
    world.backend.destroy(alice, first)
    assert world.backend.take_changes().instances == {first}
    second = world.create()
    world.backend.reset()
    assert world.backend.take_changes().instances == {first, second}, "reset takes all down"
