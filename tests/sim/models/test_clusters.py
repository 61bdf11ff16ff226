"""Physical clusters and overlay networks: the seeded clusters in the market, clusters an
account registers as a host, overlays on them, instances joining at create or later, each
with an address of its own, and an overlay's deletion destroying its instances."""

from __future__ import annotations

import ipaddress

import pytest

from pulumi_vast.sim.errors import BadRequest, NotFound
from pulumi_vast.sim.marketplace import CLUSTER_FLEET, OfferSpec
from pulumi_vast.sim.models.clusters import FIRST_HOST_CLUSTER_ID
from pulumi_vast.sim.records import Phase
from tests.sim.models.world import BOOT, World


def _cluster_offers(world: World, cluster_id: int) -> list[OfferSpec]:
    return [
        o for o in world.backend.market if o.machine.cluster_id == cluster_id and o.num_gpus == 1
    ]


def _biggest_cluster(world: World) -> int:
    clusters = world.backend.market.clusters.values()
    return max(clusters, key=lambda c: len(c.machine_ids)).id


def _lone_machine(world: World) -> int:
    """A fleet machine in no cluster."""
    return next(m.id for m in world.backend.market.machines.values() if m.cluster_id is None)


def test_the_market_lists_clusters_of_several_machines_and_a_small_one(world: World) -> None:
    clusters = world.backend.market.clusters
    assert sorted(len(c.machine_ids) for c in clusters.values()) == sorted(
        count for _, _, count in CLUSTER_FLEET
    )
    for cluster in clusters.values():
        machines = [world.backend.market.machines[m] for m in cluster.machine_ids]
        assert {m.cluster_id for m in machines} == {cluster.id}
        assert len({(m.gpu.name, m.num_gpus, m.price_per_gpu, m.host_id) for m in machines}) == 1
        assert all(m.verification == "verified" and m.reliability >= 0.95 for m in machines)
    by_model: dict[str, list[int]] = {}
    for model, _, count in CLUSTER_FLEET:
        by_model.setdefault(model, []).append(count)
    assert any(len(counts) > 1 for counts in by_model.values()), "a fallback cluster"


def test_offers_carry_their_cluster_and_are_searched_by_it(world: World) -> None:
    cluster_id = _biggest_cluster(world)
    found = world.visible_ids(cluster_id={"eq": cluster_id}, num_gpus={"eq": 1})
    assert found == {o.id for o in _cluster_offers(world, cluster_id)}
    assert len(found) == len(world.backend.market.clusters[cluster_id].machine_ids)
    rows = world.backend.search_offers(
        world.backend.account("alice"), {"limit": 1000, "cluster_id": {"neq": None}}
    )
    assert rows and all(row["cluster_id"] is not None for row in rows)
    assert {row["cluster_id"] for row in rows} >= set(world.backend.market.clusters)
    outside = world.visible_ids(cluster_id={"eq": None})
    assert outside and not outside & {row["id"] for row in rows}


def test_a_host_registers_joins_removes_machines_and_deletes_its_cluster(world: World) -> None:
    backend, alice = world.backend, world.backend.account("alice")
    free = [m.id for m in backend.market.machines.values() if m.cluster_id is None][:3]
    cluster = backend.create_cluster(alice, "192.168.7.0/24", free[0])
    assert cluster.id >= FIRST_HOST_CLUSTER_ID and cluster.subnet == "192.168.7.0/24"
    backend.join_cluster(alice, cluster.id, [free[1], free[2], free[1]])
    (shown,) = backend.own_clusters(alice)
    assert shown.to_json() == {
        "subnet": "192.168.7.0/24",
        "nodes": [
            {"machine_id": free[0], "is_cluster_manager": True, "local_ip": "192.168.7.1"},
            {"machine_id": free[1], "is_cluster_manager": False, "local_ip": "192.168.7.2"},
            {"machine_id": free[2], "is_cluster_manager": False, "local_ip": "192.168.7.3"},
        ],
    }
    assert backend.own_clusters(backend.account("bob")) == []
    rows = backend.search_offers(alice, {"limit": 1000, "cluster_id": {"eq": cluster.id}})
    assert {row["machine_id"] for row in rows} == set(free)

    with pytest.raises(BadRequest, match="new_manager_id"):
        backend.remove_cluster_machine(alice, cluster.id, free[0], None)
    with pytest.raises(BadRequest, match="another machine"):
        backend.remove_cluster_machine(alice, cluster.id, free[0], 999)
    backend.remove_cluster_machine(alice, cluster.id, free[0], free[1])
    backend.remove_cluster_machine(alice, cluster.id, free[2], None)
    (shown,) = backend.own_clusters(alice)
    assert (shown.manager_id, shown.machine_ids) == (free[1], [free[1]])
    assert backend.cluster_of(free[0]) is None

    backend.delete_cluster(alice, cluster.id)
    assert backend.own_clusters(alice) == [] and backend.cluster_of(free[1]) is None
    with pytest.raises(NotFound, match="not found"):
        backend.delete_cluster(alice, cluster.id)


def test_a_machine_is_in_one_cluster_at_most_and_must_exist(world: World) -> None:
    backend, alice = world.backend, world.backend.account("alice")
    seeded = next(iter(backend.market.clusters.values())).machine_ids[0]
    with pytest.raises(BadRequest, match="already in cluster"):
        backend.create_cluster(alice, "10.9.0.0/24", seeded)
    with pytest.raises(NotFound, match="does not exist"):
        backend.create_cluster(alice, "10.9.0.0/24", 1)
    with pytest.raises(BadRequest, match="IPv4 network"):
        backend.create_cluster(alice, "not-a-subnet", _lone_machine(world))
    mine = backend.create_cluster(alice, "10.9.0.0/24", _lone_machine(world))
    with pytest.raises(NotFound):
        backend.join_cluster(backend.account("bob"), mine.id, [seeded])
    with pytest.raises(BadRequest, match="already in cluster"):
        backend.create_cluster(backend.account("bob"), "10.9.0.0/24", _lone_machine(world))


def test_an_instance_joins_an_overlay_at_create_with_an_address_of_its_own(world: World) -> None:
    backend, alice = world.backend, world.backend.account("alice")
    cluster_id = _biggest_cluster(world)
    overlay = backend.create_overlay(alice, cluster_id, "train-net")
    first, second = _cluster_offers(world, cluster_id)[:2]
    a = world.create(offer=first, env={"-n train-net": "1"})
    b = world.create(offer=second, env="-e RANK=1 -n train-net")
    addresses = [backend.overlay_address(a), backend.overlay_address(b)]
    subnet = ipaddress.ip_network(overlay.subnet)
    assert all(x is not None and x.network == subnet for x in addresses)
    assert addresses[0] != addresses[1]
    (shown,) = [o.to_json() for o in backend.own_overlays(alice)]
    assert shown == {
        "overlay_id": overlay.id,
        "name": "train-net",
        "internal_subnet": overlay.subnet,
        "cluster_id": cluster_id,
        "instances": [a, b],
    }
    assert world.json(a)["cluster_id"] == cluster_id
    assert ["-n train-net", "1"] in world.json(a)["extra_env"]


def test_an_offer_off_the_overlays_cluster_is_refused_before_anything_is_rented(
    world: World,
) -> None:
    backend, alice = world.backend, world.backend.account("alice")
    backend.create_overlay(alice, _biggest_cluster(world), "net")
    outside = next(o for o in backend.market if o.machine.cluster_id is None)
    with pytest.raises(BadRequest, match="cluster_id="):
        world.create(offer=outside, env={"-n net": "1"})
    with pytest.raises(NotFound, match="Overlay 'nope' not found"):
        world.create(offer=outside, env={"-n nope": "1"})
    assert backend.ledger("alice")["totals"]["instances"] == 0


def test_an_instance_joins_later_once_and_leaves_when_destroyed(world: World) -> None:
    backend, alice = world.backend, world.backend.account("alice")
    cluster_id = _biggest_cluster(world)
    backend.create_overlay(alice, cluster_id, "late")
    other = backend.create_overlay(alice, cluster_id, "other")
    first, second = _cluster_offers(world, cluster_id)[:2]
    a, b = world.create(offer=first), world.create(offer=second)
    world.pass_time(BOOT + 5)
    assert backend.overlay_address(a) is None
    backend.join_overlay(alice, "late", a)
    backend.join_overlay(alice, "late", a)
    assert a in backend.take_changes().instances, "hosting rewrites its eth0"
    with pytest.raises(BadRequest, match="already on overlay 'late'"):
        backend.join_overlay(alice, other.name, a)
    with pytest.raises(NotFound):
        backend.join_overlay(backend.account("bob"), "late", a)
    backend.join_overlay(alice, "late", b)
    address = backend.overlay_address(a)
    backend.destroy(alice, a)
    assert backend.overlay_address(a) is None
    assert [o.instance_ids for o in backend.own_overlays(alice) if o.name == "late"] == [[b]]
    c = world.create(offer=first, env={"-n late": "1"})
    assert backend.overlay_address(c) == address, "a destroyed member's address is free again"


def test_deleting_an_overlay_destroys_its_instances_and_their_billing_stops(
    world: World,
) -> None:
    backend, alice = world.backend, world.backend.account("alice")
    cluster_id = _biggest_cluster(world)
    overlay = backend.create_overlay(alice, cluster_id, "doomed")
    members = [
        world.create(offer=o, env={"-n doomed": "1"})
        for o in _cluster_offers(world, cluster_id)[:2]
    ]
    bystander = world.create()
    world.pass_time(BOOT + 5)
    with pytest.raises(BadRequest, match="overlay_id or overlay_name"):
        backend.delete_overlay(alice)
    _, destroyed = backend.delete_overlay(alice, name="doomed")
    assert destroyed == members
    assert all(backend.instances[i].phase is Phase.DESTROYED for i in members)
    assert backend.instances[bystander].phase is Phase.RUNNING
    world.wall += 3600
    entries = {e["id"]: e for e in backend.ledger("alice")["instances"]}
    assert all(entries[i]["dph_now"] == 0 for i in members)
    assert backend.own_overlays(alice) == []
    with pytest.raises(NotFound):
        backend.delete_overlay(alice, overlay_id=overlay.id)


def test_overlay_names_and_clusters_are_checked(world: World) -> None:
    backend, alice = world.backend, world.backend.account("alice")
    cluster_id = _biggest_cluster(world)
    with pytest.raises(BadRequest, match="lower-case"):
        backend.create_overlay(alice, cluster_id, "Bad_Name")
    with pytest.raises(NotFound, match="Cluster 4 not found"):
        backend.create_overlay(alice, 4, "net")
    backend.create_overlay(alice, cluster_id, "net")
    with pytest.raises(BadRequest, match="already have an overlay named"):
        backend.create_overlay(alice, cluster_id, "net")
    backend.create_overlay(backend.account("bob"), cluster_id, "net")


def test_a_cluster_with_an_overlay_cannot_be_deleted(world: World) -> None:
    backend, alice = world.backend, world.backend.account("alice")
    mine = backend.create_cluster(alice, "10.8.0.0/24", _lone_machine(world))
    backend.create_overlay(alice, mine.id, "on-mine")
    with pytest.raises(BadRequest, match="on-mine"):
        backend.delete_cluster(alice, mine.id)
    backend.delete_overlay(alice, name="on-mine")
    backend.delete_cluster(alice, mine.id)


def test_clusters_and_overlays_survive_a_restart(world: World) -> None:
    backend, alice = world.backend, world.backend.account("alice")
    mine = backend.create_cluster(alice, "10.8.0.0/24", _lone_machine(world))
    cluster_id = _biggest_cluster(world)
    backend.create_overlay(alice, cluster_id, "kept")
    member = world.create(offer=_cluster_offers(world, cluster_id)[0], env={"-n kept": "1"})
    address = backend.overlay_address(member)
    backend.store.close()
    world.backend = reopened = world.open()
    assert [c.id for c in reopened.own_clusters(reopened.account("alice"))] == [mine.id]
    assert reopened.overlay_address(member) == address
    assert reopened.cluster_of(_lone_machine(world)) == mine.id
