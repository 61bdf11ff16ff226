"""The Serverless Engine on a fake clock: load up recruits workers (real instances, in the
ledger) up to max_workers; load gone brings them back to cold_workers after
inactivity_timeout; test workers, rolling updates, failures and deletes."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_vast.sim.errors import BadRequest, NotFound
from pulumi_vast.sim.models.templates import CATALOG
from pulumi_vast.sim.records import Phase
from pulumi_vast.sim.records.serverless import Endpoint, WorkerGroup
from pulumi_vast.sim.testing import worker_statuses
from tests.sim.models.world import BOOT, World

PYTORCH = CATALOG[0].hash_id


def serverless(
    world: World, *, test_workers: int = 0, **knobs: Any
) -> tuple[Endpoint, WorkerGroup]:
    account = world.backend.account("alice")
    endpoint = world.backend.create_endpoint(
        account,
        {
            "endpoint_name": "llm",
            "cold_workers": 1,
            "max_workers": 6,
            "target_util": 0.8,
            "inactivity_timeout": 300,
            **knobs,
        },
    )
    group = world.backend.create_worker_group(
        account,
        {
            "endpoint_id": endpoint.id,
            "template_hash": PYTORCH,
            "search_params": "num_gpus=1 verified=true rentable=true rented=false",
            "test_workers": test_workers,
        },
    )
    return endpoint, group


def offer(world: World, endpoint: Endpoint, load: float) -> dict[str, int]:
    """Offer `load` to the endpoint: the engine acts at once (as the admin route has it)."""
    world.backend.set_load(endpoint.id, load, None)
    return step(world, 0)


def step(world: World, seconds: float) -> dict[str, int]:
    """Let `seconds` pass, then one more tick for the engine to act on what booted."""
    world.pass_time(seconds)
    world.pass_time(0)
    return statuses(world)


def statuses(world: World, endpoint_id: int | None = None) -> dict[str, int]:
    endpoint_id = endpoint_id or next(iter(world.backend.endpoints))
    return worker_statuses(world.backend.engine_json(endpoint_id))


def alive(world: World) -> dict[str, int]:
    totals = world.backend.ledger("alice")["totals"]
    return {"alive": totals["alive"], "running": totals["running"]}


def test_load_recruits_workers_up_to_max_workers_and_inactivity_brings_them_back_to_cold(
    world: World,
) -> None:
    endpoint, _ = serverless(world)
    figures: list[tuple[float, float, dict[str, int]]] = []
    clock = 0.0

    def at(seconds: float, load: float | None = None) -> dict[str, int]:
        nonlocal clock
        if load is not None:
            world.backend.set_load(endpoint.id, load, None)
        clock += seconds
        seen = step(world, seconds)
        figures.append((clock, endpoint.load, seen))
        return seen

    assert at(0) == {"loading": 1}  # cold_workers: one loads once...
    assert at(BOOT) == {"stopped": 1}  # ...then waits stopped
    assert alive(world) == {"alive": 1, "running": 0}

    # 30 req/s at 10 per worker and target_util 0.8: ceil(30 / 8) = 4 hot, and 1 cold.
    assert at(0, load=30) == {"loading": 5}
    assert at(BOOT) == {"running": 4, "stopped": 1}
    assert alive(world) == {"alive": 5, "running": 4}

    # 100 req/s would need 13: max_workers caps it at 6, none cold.
    assert at(0, load=100) == {"loading": 2, "running": 4}
    assert at(BOOT) == {"running": 6}
    assert alive(world) == {"alive": 6, "running": 6}

    # The load goes: the workers stay for inactivity_timeout, then all but a cold one go.
    assert at(0, load=0) == {"idle": 6}
    assert at(299) == {"idle": 6}
    assert at(1) == {"stopped": 1}
    assert alive(world) == {"alive": 1, "running": 0}
    print("\nscaling figures (simulated s, load req/s, workers):")
    for seconds, load, seen in figures:
        print(f"  t={seconds:6.0f}s load={load:5.0f}/s {seen}")


def test_a_load_that_only_dips_keeps_the_workers(world: World) -> None:
    endpoint, _ = serverless(world, cold_workers=0)
    offer(world, endpoint, 30)
    assert step(world, BOOT) == {"running": 4}
    offer(world, endpoint, 8)
    assert step(world, 200) == {"running": 4}
    offer(world, endpoint, 30)  # back before the timeout: the clock starts again
    assert step(world, 200) == {"running": 4}
    offer(world, endpoint, 8)
    assert step(world, 299) == {"running": 4}
    assert step(world, 1) == {"running": 1}


def test_min_load_keeps_hot_workers_without_traffic(world: World) -> None:
    serverless(world, min_load=12, cold_workers=0)
    assert step(world, 0) == {"loading": 2}
    assert step(world, BOOT) == {"idle": 2}


def test_test_workers_run_once_at_the_groups_creation_then_fall_to_cold_workers(
    world: World,
) -> None:
    serverless(world, test_workers=3)
    assert step(world, 0) == {"loading": 3}
    assert step(world, BOOT) == {"stopped": 1}
    ledger = world.backend.ledger("alice")
    assert ledger["totals"]["instances"] == 3 and ledger["totals"]["alive"] == 1
    assert all(entry["running_intervals"] for entry in ledger["instances"])  # all ran once


def test_deleting_a_worker_group_leaves_its_workers_running_and_billing(world: World) -> None:
    endpoint, group = serverless(world)
    offer(world, endpoint, 10)
    assert step(world, BOOT) == {"running": 2, "stopped": 1}
    account = world.backend.account("alice")
    left = world.backend.delete_worker_group(account, group.id)
    assert len(left) == 3
    assert all(world.backend.instances[i].alive for i in left)
    step(world, 600)
    assert all(world.backend.instances[i].alive for i in left)  # the engine let them be
    assert statuses(world, endpoint.id) == {}
    assert world.backend.ledger("alice")["totals"]["dph_now"] > 0
    with pytest.raises(NotFound):
        world.backend.delete_worker_group(account, group.id)


def test_deleting_an_endpoint_deletes_its_groups_and_destroys_their_workers(world: World) -> None:
    endpoint, _ = serverless(world)
    offer(world, endpoint, 10)
    step(world, BOOT)
    account = world.backend.account("alice")
    destroyed = world.backend.delete_endpoint(account, endpoint.id)
    assert len(destroyed) == 3
    assert world.backend.own_groups(account) == []
    assert alive(world) == {"alive": 0, "running": 0}
    assert world.backend.ledger("alice")["totals"]["dph_now"] == 0
    with pytest.raises(BadRequest, match="not found"):
        world.backend.delete_endpoint(account, endpoint.id)


def test_update_workers_replaces_workers_of_an_older_template_keeping_capacity(
    world: World,
) -> None:
    endpoint, group = serverless(world, cold_workers=0)
    account = world.backend.account("alice")
    offer(world, endpoint, 16)
    assert step(world, BOOT) == {"running": 2}
    old = set(world.backend.workers)
    assert world.backend.update_workers(account, group.id, cancel=False) == 0  # nothing changed
    world.backend.update_worker_group(account, group.id, {"template_hash": CATALOG[1].hash_id})
    assert world.backend.update_workers(account, group.id, cancel=False) == 2
    assert step(world, 0) == {"loading": 2, "running": 2}  # the old ones serve meanwhile
    assert step(world, BOOT) == {"running": 2}
    assert not set(world.backend.workers) & old
    images = {world.backend.instances[i].image for i in world.backend.workers}
    assert images == {CATALOG[1].content.full_image}


def test_a_failed_worker_is_replaced(world: World) -> None:
    endpoint, _ = serverless(world, cold_workers=0)
    offer(world, endpoint, 8)
    assert step(world, BOOT) == {"running": 1}
    (first,) = world.backend.workers
    world.backend.host_lost(first)
    assert step(world, 0) == {"loading": 1}
    assert world.backend.instances[first].phase is Phase.DESTROYED
    assert step(world, BOOT) == {"running": 1}


def test_the_knobs_are_checked_against_the_apis_ranges(world: World) -> None:
    account = world.backend.account("alice")
    for bad, why in [
        ({"target_util": 1.5}, "target_util"),
        ({"max_workers": -1}, "max_workers"),
        ({"cold_workers": 5, "max_workers": 2}, "cold_workers"),
        ({"target_queue_time": 60, "max_queue_time": 30}, "target_queue_time"),
        ({"inactivity_timeout": -5}, "inactivity_timeout"),
    ]:
        with pytest.raises(BadRequest, match=why):
            world.backend.create_endpoint(account, {"endpoint_name": "x", **bad})
    endpoint = world.backend.create_endpoint(account, {"endpoint_name": "x", "max_workers": 3})
    with pytest.raises(BadRequest, match="max_workers"):
        world.backend.update_endpoint(account, endpoint.id, {"max_workers": 1000})
    with pytest.raises(BadRequest, match="exists"):
        world.backend.create_endpoint(account, {"endpoint_name": "x"})
    with pytest.raises(BadRequest, match="launch_args"):
        world.backend.create_worker_group(
            account,
            {"endpoint_id": endpoint.id, "template_hash": PYTORCH, "launch_args": "--gpus 2"},
        )
    with pytest.raises(BadRequest, match="search_params"):
        world.backend.create_worker_group(
            account,
            {"endpoint_id": endpoint.id, "template_hash": PYTORCH, "search_params": "gpu_rm>2"},
        )
    with pytest.raises(BadRequest, match="valid endpoint"):
        world.backend.create_worker_group(account, {"endpoint_id": 1, "template_hash": PYTORCH})


def test_endpoints_groups_and_workers_survive_a_restart(world: World) -> None:
    endpoint, group = serverless(world)
    offer(world, endpoint, 10)
    before = step(world, BOOT)
    world.backend.store.close()
    world.backend = world.open()
    assert statuses(world, endpoint.id) == before
    reopened = world.backend.endpoints[endpoint.id]
    assert (reopened.load, reopened.api_key) == (10, endpoint.api_key)
    assert world.backend.worker_groups[group.id].filters == group.filters


def test_a_group_without_matching_offers_recruits_none_and_logs_it_once(
    world: World,
) -> None:
    account = world.backend.account("alice")
    endpoint = world.backend.create_endpoint(account, {"endpoint_name": "e", "cold_workers": 1})
    world.backend.create_worker_group(
        account,
        {"endpoint_id": endpoint.id, "template_hash": PYTORCH, "search_params": "num_gpus>64"},
    )
    for _ in range(3):
        assert step(world, 10) == {}
    log = world.backend.engine_log(endpoint)
    assert sum("no offer matches" in line for line in log) == 1


def test_route_names_a_serving_workers_published_port_in_turn(world: World) -> None:
    endpoint, _ = serverless(world, cold_workers=0)
    account = world.backend.account("alice")
    assert "status" in world.backend.route(account, "llm")
    offer(world, endpoint, 16)
    step(world, BOOT)
    routed = [world.backend.route(account, "llm") for _ in range(4)]
    workers = {r["worker_id"] for r in routed}
    assert workers == set(world.backend.workers)
    for answer in routed:
        instance = world.backend.instances[answer["worker_id"]]
        assert answer["url"] == f"http://127.0.0.1:{instance.ports['8080/tcp']}"
    with pytest.raises(NotFound):
        world.backend.route(account, "nope")


def test_a_group_whose_template_is_gone_says_why_it_recruits_nothing(world: World) -> None:
    account = world.backend.account("alice")
    template, _ = world.backend.create_template(account, {"name": "t", "image": "ubuntu"})
    endpoint = world.backend.create_endpoint(account, {"endpoint_name": "e", "cold_workers": 1})
    world.backend.create_worker_group(
        account, {"endpoint_id": endpoint.id, "template_hash": template.hash_id, "test_workers": 0}
    )
    world.backend.delete_template(account, template.hash_id, None)
    assert step(world, 0) == {}
    assert any("cannot recruit" in line for line in world.backend.engine_log(endpoint))


def test_a_group_moved_to_another_endpoint_takes_its_workers(world: World) -> None:
    endpoint, group = serverless(world)
    step(world, 0)
    assert step(world, BOOT) == {"stopped": 1}
    account = world.backend.account("alice")
    other = world.backend.create_endpoint(account, {"endpoint_name": "other", "cold_workers": 1})
    world.backend.update_worker_group(account, group.id, {"endpoint_id": other.id})
    assert statuses(world, endpoint.id) == {}
    assert statuses(world, other.id) == {"stopped": 1}


def test_a_stopped_endpoint_keeps_its_workers_cold_and_a_suspended_one_is_left_alone(
    world: World,
) -> None:
    endpoint, _ = serverless(world, cold_workers=1)
    account = world.backend.account("alice")
    offer(world, endpoint, 16)
    assert step(world, BOOT) == {"running": 2, "stopped": 1}
    world.backend.update_endpoint(account, endpoint.id, {"endpoint_state": "suspended"})
    offer(world, endpoint, 0)
    assert step(world, 3600) == {"idle": 2, "stopped": 1}  # no scaling at all
    world.backend.update_endpoint(account, endpoint.id, {"endpoint_state": "stopped"})
    offer(world, endpoint, 40)
    assert step(world, BOOT) == {"stopped": 1}  # no hot workers, cold_workers kept
    world.backend.update_endpoint(account, endpoint.id, {"endpoint_state": "active"})
    step(world, 0)
    assert step(world, BOOT) == {"running": 5, "stopped": 1}
