"""Volumes: offers on the market's machines and clusters, rented, listed, mounted by the
instances that can reach them, refused deletion while mounted, billed until deleted."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_vast.sim.errors import BadRequest, NotFound
from pulumi_vast.sim.marketplace import HOURS_PER_MONTH, OfferSpec
from pulumi_vast.sim.models.volumes import DEFAULT_VOLUME_GB
from pulumi_vast.sim.volume_offers import VolumeOfferSpec
from tests.sim.models.world import BOOT, World


def _local_offer(world: World, machine_id: int) -> VolumeOfferSpec:
    (offer,) = [
        o for o in world.backend.volume_market if o.kind == "local" and o.machine.id == machine_id
    ]
    return offer


def _network_offer(world: World) -> VolumeOfferSpec:
    return next(o for o in world.backend.volume_market if o.kind == "network")


def _gpu_offer_in(world: World, cluster_id: int | None, *, same: bool) -> OfferSpec:
    return next(
        o
        for o in world.backend.market
        if (o.machine.cluster_id == cluster_id) == same and o.num_gpus == 1
    )


def _search(world: World, kind: str = "local", **body: Any) -> list[dict[str, Any]]:
    account = world.backend.account("alice")
    return world.backend.search_volume_offers(account, {"limit": 1000, **body}, kind)


def _rent(world: World, offer: VolumeOfferSpec, size: float | None = None) -> int:
    return world.backend.create_volume(
        world.backend.account("alice"), offer.id, kind=offer.kind, size=size, name="data"
    ).id


def test_every_machine_offers_a_volume_and_every_cluster_a_network_volume(world: World) -> None:
    machines = world.backend.market.machines
    local = _search(world)
    assert sorted(row["machine_id"] for row in local) == sorted(machines)
    row = local[0]
    offer = world.backend.volume_market.offers[row["id"]]
    assert row["disk_space"] == offer.disk_space == machines[row["machine_id"]].disk_space / 2
    assert row["storage_cost"] == machines[row["machine_id"]].storage_cost
    clusters = {m.cluster_id for m in machines.values() if m.cluster_id is not None}
    network = _search(world, "network")
    assert sorted(row["cluster_id"] for row in network) == sorted(clusters)
    assert all(row["nw_disk_min_bw"] <= row["nw_disk_max_bw"] for row in network)
    cheap = _search(world, storage_cost={"lt": 0.1}, order=[["storage_cost", "desc"]])
    assert cheap and all(r["storage_cost"] < 0.1 for r in cheap)
    assert [r["storage_cost"] for r in cheap] == sorted(
        (r["storage_cost"] for r in cheap), reverse=True
    )


def test_renting_takes_space_from_the_offer_for_this_account_only(world: World) -> None:
    offer = _local_offer(world, next(iter(world.backend.market.machines)))
    volume_id = _rent(world, offer)
    volume = world.backend.volumes[volume_id]
    assert (volume.size, volume.kind, volume.machine_id) == (
        DEFAULT_VOLUME_GB,
        "local",
        offer.machine.id,
    )
    (row,) = [r for r in _search(world) if r["id"] == offer.id]
    assert row["disk_space"] == offer.disk_space - DEFAULT_VOLUME_GB
    bob = world.backend.account("bob")
    (bobs,) = [
        r for r in world.backend.search_volume_offers(bob, {}, "local") if r["id"] == offer.id
    ]
    assert bobs["disk_space"] == offer.disk_space
    with pytest.raises(BadRequest, match="GB volume offer"):
        _rent(world, offer, size=offer.disk_space)
    with pytest.raises(NotFound) as unknown:
        world.backend.create_volume(bob, 1, kind="local", size=None, name=None)
    assert unknown.value.error == "no_such_ask"
    with pytest.raises(NotFound):
        world.backend.create_volume(bob, _network_offer(world).id, kind="local", size=1, name=None)


def test_volumes_are_listed_by_type_and_gone_once_deleted(world: World) -> None:
    alice = world.backend.account("alice")
    local = _rent(world, _local_offer(world, next(iter(world.backend.market.machines))))
    network = _rent(world, _network_offer(world), size=100)
    listed = {
        t: [v.id for v in world.backend.owned_volumes(alice, t)]
        for t in (None, "local_volume", "network_volume", "all_volume")
    }
    assert listed == {
        None: [local, network],
        "local_volume": [local],
        "network_volume": [network],
        "all_volume": [local, network],
    }
    with pytest.raises(BadRequest, match="type must be one of"):
        world.backend.owned_volumes(alice, "floppy")
    world.backend.delete_volume(alice, local)
    assert [v.id for v in world.backend.owned_volumes(alice, None)] == [network]
    with pytest.raises(NotFound) as gone:
        world.backend.delete_volume(alice, local)
    assert gone.value.error == "no_such_volume"
    with pytest.raises(NotFound):
        world.backend.delete_volume(world.backend.account("bob"), network)


def test_an_instance_creates_and_mounts_a_volume_on_its_machine(world: World) -> None:
    gpu = world.cheapest()
    offer = _local_offer(world, gpu.machine.id)
    instance_id = world.create(
        offer=gpu,
        volume_info={"create_new": True, "volume_id": offer.id, "size": 30, "mount_path": "/data"},
    )
    (mounted,) = world.json(instance_id)["volume_info"]
    volume = world.backend.volumes[mounted["id"]]
    assert (volume.size, volume.offer_id, mounted["mount_path"]) == (30, offer.id, "/data")
    assert world.backend.volume_json(volume)["instances"] == [
        {"id": instance_id, "mount_path": "/data"}
    ]


@pytest.mark.parametrize(
    ("volume_info", "complaint"),
    [
        ({"create_new": True, "mount_path": "/data"}, "on machine"),
        ({"create_new": True, "mount_path": "/root"}, "absolute path below /"),
        ({"create_new": True, "mount_path": "data"}, "absolute path below /"),
        ({"create_new": False, "volume_id": 1, "mount_path": "/data"}, "does not exist"),
    ],
)
def test_a_volume_the_instances_machine_cannot_have_refuses_the_create(
    world: World, volume_info: dict[str, Any], complaint: str
) -> None:
    gpu = world.cheapest()
    elsewhere = next(o for o in world.backend.volume_market if o.machine.id != gpu.machine.id)
    info = {"volume_id": elsewhere.id, **volume_info}
    with pytest.raises((BadRequest, NotFound), match=complaint):
        world.create(offer=gpu, volume_info=info)
    alice = world.backend.account("alice")
    assert world.backend.alive_instances(alice) == []
    assert world.backend.owned_volumes(alice, None) == [], "nothing rented"


def test_linking_needs_the_same_machine_or_for_a_network_volume_the_same_cluster(
    world: World,
) -> None:
    network = _network_offer(world)
    volume_id = _rent(world, network, size=50)
    inside = _gpu_offer_in(world, network.cluster_id, same=True)
    outside = _gpu_offer_in(world, network.cluster_id, same=False)
    link = {"create_new": False, "volume_id": volume_id, "mount_path": "/mnt/shared"}
    with pytest.raises(BadRequest, match=f"cluster {network.cluster_id}"):
        world.create(offer=outside, volume_info=link)
    first = world.create(offer=inside, volume_info=link)
    assert world.json(first)["volume_info"][0]["id"] == volume_id

    local_id = _rent(world, _local_offer(world, outside.machine.id))
    linked = world.create(
        offer=outside, volume_info={**link, "volume_id": local_id, "mount_path": "/v"}
    )
    assert world.json(linked)["volume_info"][0]["type"] == "local_volume"


def test_a_mounted_volume_is_kept_while_an_instance_lives_and_bills_until_deleted(
    world: World,
) -> None:
    alice = world.backend.account("alice")
    gpu = world.cheapest()
    offer = _local_offer(world, gpu.machine.id)
    instance_id = world.create(
        offer=gpu,
        volume_info={"create_new": True, "volume_id": offer.id, "size": 72, "mount_path": "/d"},
    )
    volume_id = world.json(instance_id)["volume_info"][0]["id"]
    world.pass_time(BOOT)
    world.backend.set_state(alice, instance_id, "stopped")
    with pytest.raises(BadRequest, match=f"in use by instance\\(s\\) {instance_id}"):
        world.backend.delete_volume(alice, volume_id)
    world.backend.destroy(alice, instance_id)
    world.pass_time(3600 - BOOT)
    per_hour = offer.storage_cost * 72 / HOURS_PER_MONTH
    ledger = world.backend.ledger("alice")
    (entry,) = ledger["volumes"]
    assert (entry["id"], entry["status"], entry["type"]) == (volume_id, "available", "local_volume")
    assert entry["total_cost"] == pytest.approx(per_hour), "billed unmounted too"
    assert ledger["totals"]["dph_now"] == pytest.approx(per_hour)
    assert (ledger["totals"]["volumes"], ledger["totals"]["volumes_alive"]) == (1, 1)
    world.backend.delete_volume(alice, volume_id)
    world.pass_time(3600)
    ledger = world.backend.ledger("alice")
    assert ledger["volumes"][0]["total_cost"] == pytest.approx(per_hour)
    assert (ledger["totals"]["billing"], ledger["totals"]["dph_now"]) == (0, 0)
    assert ledger["totals"]["volumes_alive"] == 0
    assert ledger["totals"]["total_cost"] == pytest.approx(
        ledger["instances"][0]["total_cost"] + per_hour
    )
    assert world.backend.user_json(alice)["balance"] == pytest.approx(
        100 - ledger["totals"]["total_cost"], abs=1e-6
    )


def test_volumes_and_mounts_persist_and_reset_forgets_them(world: World) -> None:
    gpu = world.cheapest()
    offer = _local_offer(world, gpu.machine.id)
    instance_id = world.create(
        offer=gpu,
        volume_info={"create_new": True, "volume_id": offer.id, "mount_path": "/d"},
    )
    before = world.json(instance_id)["volume_info"]
    world.backend.store.close()
    world.backend = world.open()
    assert world.json(instance_id)["volume_info"] == before
    world.backend.take_changes()
    world.backend.reset()
    assert world.backend.volumes == {}
    assert world.backend.take_changes().volumes == {before[0]["id"]}, "hosting removes it"
