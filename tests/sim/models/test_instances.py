"""The backend without HTTP: lifecycle on a controlled clock, the market view, billing and
the ledger, bids and preemption, SSH keys, and persistence across a reopen."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_vast.sim.errors import BadRequest, Gone, InvalidPrice, NoSshKey, NoSuchAsk, NotFound
from pulumi_vast.sim.hosting import host_env
from pulumi_vast.sim.marketplace import HOURS_PER_MONTH
from pulumi_vast.sim.records import DEFAULT_CREDIT, Phase
from tests.sim.models.world import BOOT, OTHER_KEY, PUBLIC_KEY, World


def test_boot_goes_loading_then_running_at_the_boot_delay(world: World) -> None:
    instance_id = world.create()
    assert world.json(instance_id)["actual_status"] is None, "no status before the first tick"
    assert world.pass_time(0) == [instance_id]
    row = world.json(instance_id)
    assert (row["actual_status"], row["intended_status"], row["cur_state"]) == (
        "loading",
        "running",
        "running",
    )
    assert row["ports"] is None
    assert world.pass_time(BOOT - 1) == []
    assert world.pass_time(5) == [instance_id]
    instance = world.backend.instances[instance_id]
    assert instance.phase is Phase.RUNNING
    assert instance.first_running_at == world.backend.instances[instance_id].created_at + BOOT
    assert world.json(instance_id)["status_msg"].startswith("success, running")


def test_a_new_instance_shows_no_status_then_created_then_loads(world: World) -> None:
    world.backend.configure_account("alice", {"created_delay": 60})
    instance_id = world.create()
    statuses = []
    for _ in range(4):
        row = world.json(instance_id)
        statuses.append((row["actual_status"], row["intended_status"], row["cur_state"]))
        world.pass_time(20)
    assert statuses == [
        (None, "running", "stopped"),
        (None, "running", "stopped"),
        ("created", "running", "stopped"),
        ("loading", "running", "running"),
    ]
    world.pass_time(BOOT)
    instance = world.backend.instances[instance_id]
    assert instance.phase is Phase.RUNNING
    assert instance.first_running_at == instance.created_at + 60 + BOOT
    assert instance.costs(world.backend.now()).running_seconds == pytest.approx(20)


def test_a_clock_jump_passes_every_pending_phase_at_its_time(world: World) -> None:
    world.backend.configure_account("alice", {"created_delay": 10})
    instance_id = world.create()
    assert world.pass_time(10 + BOOT) == [instance_id]
    phases = [
        (at - world.backend.instances[instance_id].created_at, str(phase))
        for at, phase in world.backend.instances[instance_id].transitions
    ]
    assert phases == [(0, "new"), (5, "created"), (10, "loading"), (10 + BOOT, "running")]


def test_a_pending_instance_may_be_stopped_and_started(world: World) -> None:
    world.backend.configure_account("alice", {"created_delay": 60})
    alice = world.backend.account("alice")
    instance_id = world.create()
    world.backend.set_state(alice, instance_id, "running")
    assert world.json(instance_id)["actual_status"] is None, "already on its way"
    world.backend.set_state(alice, instance_id, "stopped")
    assert world.json(instance_id)["actual_status"] == "stopped"
    world.backend.set_state(alice, instance_id, "running")
    assert world.json(instance_id)["actual_status"] == "loading"


def test_account_boot_delay_overrides_the_default(world: World) -> None:
    world.backend.configure_account("alice", {"boot_delay": 0})
    instance_id = world.create()
    assert world.pass_time(0) == [instance_id]


def test_rented_offer_leaves_the_view_and_returns_on_destroy(world: World) -> None:
    offer = world.cheapest()
    assert offer.id in world.visible_ids()
    instance_id = world.create(offer=offer)
    assert offer.id not in world.visible_ids()
    assert offer.id in world.visible_ids("bob"), "each account has its own view of the market"
    with pytest.raises(NoSuchAsk, match=f"{offer.id} is not available"):
        world.create(offer=offer)
    world.backend.destroy(world.backend.account("alice"), instance_id)
    assert offer.id in world.visible_ids()


def test_offers_of_a_machine_share_its_gpus(world: World) -> None:
    machine = next(m for m in world.backend.market.machines.values() if m.num_gpus == 8)
    bundles = {o.num_gpus: o for o in world.backend.market.offers_on(machine.id)}
    world.create(offer=bundles[4])
    visible = world.visible_ids(rented={"eq": True})
    assert bundles[8].id not in visible
    assert bundles[4].id not in visible
    assert {bundles[1].id, bundles[2].id} <= visible
    assert bundles[1].id not in world.visible_ids(rented={"eq": False})


def test_running_bills_gpu_and_storage_stopped_bills_storage_loading_is_free(
    world: World,
) -> None:
    instance_id = world.create(disk=72)
    instance = world.backend.instances[instance_id]
    storage_per_hour = (
        world.backend.market.offers[instance.offer_id].machine.storage_cost * 72 / (HOURS_PER_MONTH)
    )
    assert instance.storage_dph == pytest.approx(storage_per_hour)
    world.pass_time(BOOT)
    assert instance.costs(world.backend.now()).total == 0
    world.pass_time(3600)
    costs = instance.costs(world.backend.now())
    assert costs.running_seconds == pytest.approx(3600)
    assert costs.gpu == pytest.approx(instance.gpu_dph)
    assert costs.storage == pytest.approx(storage_per_hour)
    world.backend.set_state(world.backend.account("alice"), instance_id, "stopped")
    world.pass_time(7200)
    costs = instance.costs(world.backend.now())
    assert costs.gpu == pytest.approx(instance.gpu_dph)
    assert costs.storage == pytest.approx(3 * storage_per_hour)
    assert instance.dph_now() == pytest.approx(storage_per_hour)


def test_ledger_totals_and_balance_follow_the_costs(world: World) -> None:
    first = world.create(label="one")
    second = world.create(label="two")
    world.create("bob")
    world.pass_time(BOOT)
    world.pass_time(1800)
    alice = world.backend.account("alice")
    world.backend.destroy(alice, second)
    world.pass_time(1800)
    ledger = world.backend.ledger("alice")
    by_id = {entry["id"]: entry for entry in ledger["instances"]}
    assert set(by_id) == {first, second}
    assert by_id[second]["status"] == "destroyed"
    assert by_id[second]["running_seconds"] == pytest.approx(1800)
    assert by_id[first]["running_seconds"] == pytest.approx(3600)
    assert by_id[first]["running_intervals"] == [[by_id[first]["created_at"] + BOOT, None]]
    totals = ledger["totals"]
    assert (totals["instances"], totals["alive"], totals["running"]) == (2, 1, 1)
    assert totals["total_cost"] == pytest.approx(
        by_id[first]["total_cost"] + by_id[second]["total_cost"]
    )
    assert totals["dph_now"] == pytest.approx(world.backend.instances[first].dph_total)
    user = world.backend.user_json(alice)
    assert user["balance"] == pytest.approx(DEFAULT_CREDIT - totals["total_cost"], abs=1e-6)
    assert world.backend.ledger()["totals"]["instances"] == 3


def test_stop_releases_gpus_and_start_waits_in_scheduling_when_they_are_taken(
    world: World,
) -> None:
    offer = world.cheapest()
    first = world.create(offer=offer)
    world.pass_time(BOOT)
    alice = world.backend.account("alice")
    world.backend.set_state(alice, first, "stopped")
    assert offer.id in world.visible_ids(), "a stopped instance releases its GPUs"
    second = world.create(offer=offer)
    world.backend.set_state(alice, first, "running")
    row = world.json(first)
    assert (row["actual_status"], row["intended_status"], row["next_state"]) == (
        "scheduling",
        "running",
        "running",
    )
    world.pass_time(3 * BOOT)
    assert world.backend.instances[first].phase is Phase.SCHEDULING
    world.backend.destroy(alice, second)
    world.pass_time(0)
    assert world.backend.instances[first].phase is Phase.LOADING
    world.pass_time(BOOT)
    assert world.backend.instances[first].phase is Phase.RUNNING


def test_insufficient_bid_creates_the_instance_stopped_and_errors(world: World) -> None:
    offer = world.cheapest()
    with pytest.raises(InvalidPrice, match="below the minimum bid") as refused:
        world.create(offer=offer, price=offer.min_bid / 2)
    (lingering,) = world.backend.alive_instances(world.backend.account("alice"))
    assert refused.value.body()["new_contract"] == lingering.id
    row = world.json(lingering.id)
    assert (row["actual_status"], row["intended_status"], row["cur_state"]) == (
        "stopped",
        "stopped",
        "stopped",
    )
    with pytest.raises(Gone) as gone:
        world.create(offer=world.cheapest(), price=0.001, cancel_unavail=True)
    assert gone.value.error == "no_such_ask"
    assert len(world.backend.alive_instances(world.backend.account("alice"))) == 1
    with pytest.raises(InvalidPrice, match="between"):
        world.create(price=500.0)


def test_winning_bid_is_billed_at_the_bid_and_preemption_stops_it(world: World) -> None:
    offer = world.cheapest()
    bid = round(offer.min_bid * 1.1, 4)
    instance_id = world.create(offer=offer, price=bid)
    instance = world.backend.instances[instance_id]
    assert instance.is_bid and instance.gpu_dph == bid
    world.pass_time(BOOT)
    world.backend.preempt(instance_id)
    row = world.json(instance_id)
    assert row["cur_state"] == row["intended_status"] == row["next_state"] == "stopped"
    assert offer.id not in world.visible_ids(), "the outbidder holds the GPUs"
    world.backend.set_state(world.backend.account("alice"), instance_id, "running")
    world.pass_time(10 * BOOT)
    assert instance.phase is Phase.SCHEDULING
    world.faults.release_offer(world.owner("alice"), offer.id)
    world.pass_time(0)
    world.pass_time(BOOT)
    assert instance.phase is Phase.RUNNING


def test_host_loss_and_stuck_loading(world: World) -> None:
    lost = world.create()
    world.pass_time(BOOT)
    world.backend.host_lost(lost, Phase.OFFLINE)
    world.pass_time(3600)
    assert world.json(lost)["actual_status"] == "offline"
    assert world.backend.instances[lost].costs(world.backend.now()).running_seconds == 0
    world.faults.update(world.owner("alice"), {"stuck_loading": True})
    stuck = world.create()
    world.pass_time(100 * BOOT)
    assert world.json(stuck)["actual_status"] == "loading"


def test_taken_offer_vanishes_and_answers_no_such_ask(world: World) -> None:
    offer = world.cheapest()
    world.faults.take_offer(world.owner("alice"), offer.id)
    assert offer.id not in world.visible_ids()
    with pytest.raises(NoSuchAsk) as taken:
        world.create(offer=offer)
    assert taken.value.status == 404
    assert taken.value.body()["ask_id"] == offer.id


def test_snatched_offer_shows_in_search_until_its_create_loses_the_race(world: World) -> None:
    offer = world.cheapest()
    world.faults.update(world.owner("alice"), {"snatched_offers": [offer.id]})
    assert offer.id in world.visible_ids(), "the search does not know yet"
    with pytest.raises(NoSuchAsk):
        world.create(offer=offer)
    assert offer.id not in world.visible_ids()
    assert world.faults.get(world.owner("alice")).taken_offers == [offer.id]
    assert world.backend.alive_instances(world.backend.account("alice")) == []


@pytest.mark.parametrize(
    ("body", "complaint"),
    [({"disk": 10**6}, "exceeds"), ({"image": None}, "'image' is required")],
)
def test_create_validation_names_the_field(
    world: World, body: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(BadRequest, match=complaint):
        world.create(**body)


def test_env_ports_and_container_key(world: World) -> None:
    instance_id = world.create(env={"FOO": "bar", "-p 8080:8080": "1"})
    world.pass_time(BOOT)
    instance = world.backend.instances[instance_id]
    ports = world.ports(instance_id)
    assert set(ports) == {"ssh", "22/tcp", "8080/tcp"}
    world.backend.set_ports(instance_id, ports)
    row = world.json(instance_id)
    assert row["ports"]["8080/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": str(ports["8080/tcp"])}]
    assert row["ssh_port"] == ports["ssh"]
    assert ["FOO", "bar"] in row["extra_env"]
    env = host_env(instance, ports, "http://127.0.0.1:1")
    assert env["CONTAINER_ID"] == str(instance_id)
    assert env["VAST_CONTAINERLABEL"] == f"C.{instance_id}"
    assert env["VAST_TCP_PORT_22"] == str(ports["22/tcp"])
    assert env["VAST_TCP_PORT_8080"] == str(ports["8080/tcp"])
    assert env["FOO"] == "bar"
    assert world.backend.instance_by_container_key(env["CONTAINER_API_KEY"]) is instance
    assert world.ports(instance_id) == ports, "a restart keeps its ports"


def test_ssh_keys_reach_every_instance_of_the_account(world: World) -> None:
    alice = world.backend.account("alice")
    instance_id = world.create()
    assert world.backend.authorized_keys(instance_id) == []
    key = world.backend.create_ssh_key(alice, PUBLIC_KEY)
    assert world.backend.authorized_keys(instance_id) == [PUBLIC_KEY]
    attached = world.backend.attach_ssh_key(alice, instance_id, OTHER_KEY)
    assert world.backend.authorized_keys(instance_id) == [PUBLIC_KEY, OTHER_KEY]
    world.backend.detach_ssh_key(alice, instance_id, key.id)
    world.backend.detach_ssh_key(alice, instance_id, attached)
    assert world.backend.authorized_keys(instance_id) == []
    assert world.backend.attach_ssh_key(alice, instance_id, PUBLIC_KEY) == key.id
    world.backend.delete_ssh_key(alice, key.id)
    assert world.backend.authorized_keys(instance_id) == []
    with pytest.raises(NoSshKey):
        world.backend.create_ssh_key(alice, "  ")
    with pytest.raises(BadRequest, match="OpenSSH public key"):
        world.backend.create_ssh_key(alice, "not a key")
    with pytest.raises(NoSshKey):
        world.backend.delete_ssh_key(world.backend.account("bob"), attached)


def test_foreign_or_destroyed_instances_are_not_found(world: World) -> None:
    instance_id = world.create()
    bob = world.backend.account("bob")
    assert world.backend.owned(bob, instance_id) is None
    with pytest.raises(NotFound):
        world.backend.destroy(bob, instance_id)
    alice = world.backend.account("alice")
    world.backend.destroy(alice, instance_id)
    assert world.backend.owned(alice, instance_id) is None
    with pytest.raises(NotFound):
        world.backend.destroy(alice, instance_id)


def test_world_persists_across_a_reopen(world: World) -> None:
    alice = world.backend.account("alice")
    key = world.backend.create_ssh_key(alice, PUBLIC_KEY)
    instance_id = world.create(label="kept", env="-e TOKEN=t0ken", onstart="echo hi")
    container_key = world.backend.instances[instance_id].container_key
    world.backend.advance(BOOT + 5)
    world.pass_time(0)
    before = world.backend.ledger()
    world.backend.store.close()
    reopened = world.open()
    world.backend = reopened
    assert reopened.clock.offset == pytest.approx(BOOT + 5)
    assert reopened.instances[instance_id].phase is Phase.RUNNING
    assert reopened.instances[instance_id].label == "kept"
    assert reopened.instances[instance_id].env == {"TOKEN": "t0ken"}, "unsealed again"
    assert reopened.instances[instance_id].onstart == "echo hi"
    assert reopened.instance_by_container_key(container_key) is reopened.instances[instance_id]
    assert reopened.ssh_keys[key.id].key == PUBLIC_KEY
    assert reopened.account("alice").id == alice.id
    assert reopened.ledger() == before
    assert world.create() == instance_id + 1, "ids keep increasing"


def test_reset_forgets_the_world_but_not_the_id_sequence(world: World) -> None:
    instance_id = world.create()
    world.backend.advance(30)
    world.backend.reset()
    assert world.backend.instances == {}
    assert world.backend.clock.offset == 0
    assert world.create() > instance_id


def test_a_boot_ends_only_through_finish_boot_with_its_ports(world: World) -> None:
    instance_id = world.create(env="-p 8080:8080")
    world.wall += BOOT
    world.backend.tick()
    assert world.json(instance_id)["actual_status"] == "loading", "no SSH server yet"
    assert world.backend.due_boots() == [instance_id]
    ports = {"ssh": 41_001, "22/tcp": 41_002, "8080/tcp": 41_003}
    assert world.backend.finish_boot(instance_id, ports)
    row = world.json(instance_id)
    assert row["actual_status"] == "running"
    assert row["ports"]["22/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "41002"}]
    assert row["ssh_port"] == 41_001
    assert world.backend.instances[instance_id].first_running_at == pytest.approx(
        world.backend.instances[instance_id].created_at + BOOT
    ), "billed from the boot time, not from when SSH came up"
    assert world.backend.due_boots() == []


def test_a_boot_stopped_while_its_ssh_server_starts_does_not_end(world: World) -> None:
    instance_id = world.create()
    world.wall += BOOT
    world.backend.set_state(world.backend.account("alice"), instance_id, "stopped")
    assert not world.backend.finish_boot(instance_id, {"ssh": 1, "22/tcp": 2})
    assert world.json(instance_id)["actual_status"] == "stopped"
