"""Nothing an interrupted or failing run rented is forgotten: tags, adoption, sweeps,
partial failures, and an outbid instance recognised at once. Against the real simulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from pulumi_vast._partial import CreatedButFailed
from pulumi_vast.api import CreateInstanceRequest, VastClient
from pulumi_vast.resources import InstanceProvider, _connection
from pulumi_vast.resources._owner import RESOURCE_TAG_ENV, STACK_TAG_ENV
from pulumi_vast.resources._rental import RentalFailed
from pulumi_vast.resources.stack_tag import StackTagProvider
from pulumi_vast.sim.testing import SimAdmin

pytestmark = pytest.mark.slow

QUERY = "gpu_ram>=24 num_gpus=1 reliability>0.95"


@pytest.fixture
def provider(configure: Callable[..., Any]) -> InstanceProvider:
    provider: InstanceProvider = configure(InstanceProvider)
    return provider


@pytest.fixture
def client(sim_url: str, vast_account: str) -> VastClient:
    return VastClient(sim_url, vast_account)


def next_run(configure: Callable[..., Any]) -> InstanceProvider:
    """The provider of a later run: a new process, which has seen no listing yet (providers
    configured alike share one connection in this process: drop them)."""
    _connection._connections.clear()
    provider: InstanceProvider = configure(InstanceProvider)
    return provider


def inputs(provider: InstanceProvider, owner: str = "s1/gpu", **fields: Any) -> dict[str, Any]:
    news = {"query": QUERY, "image": "pytorch/pytorch", "label": "t", "__owner": owner, **fields}
    result = provider.check({}, news)
    assert [(f.property, f.reason) for f in result.failures] == []
    return dict(result.inputs)


def alive_ids(sim_admin: SimAdmin, key: str) -> list[int]:
    rows = sim_admin.ledger(key)["instances"]
    return sorted(row["id"] for row in rows if row.get("destroyed_at") is None)


def test_every_create_carries_its_stack_and_resource(
    provider: InstanceProvider, client: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    created = provider.create(inputs(provider, owner="abc123/trainer"))

    live = client.instances.get(int(created.id))
    assert live is not None
    assert live.extra_env[STACK_TAG_ENV] == "abc123"
    assert live.extra_env[RESOURCE_TAG_ENV] == "trainer"
    provider.delete(created.id, created.outs)
    assert alive_ids(sim_admin, vast_account) == []


def test_a_create_adopts_what_an_interrupted_run_left_when_it_is_what_it_asks_for(
    configure: Callable[..., Any], sim_admin: SimAdmin, vast_account: str
) -> None:
    interrupted: InstanceProvider = configure(InstanceProvider)
    left = interrupted.create(inputs(interrupted))  # its answer never reached the engine

    rerun = next_run(configure)
    adopted = rerun.create(inputs(rerun))

    assert adopted.id == left.id, "nothing was rented twice"
    assert "adopted instance" in adopted.outs["selection"]
    assert alive_ids(sim_admin, vast_account) == [int(left.id)]
    rerun.delete(adopted.id, adopted.outs)
    assert alive_ids(sim_admin, vast_account) == []


def test_a_create_destroys_what_an_interrupted_run_left_when_it_asks_for_something_else(
    configure: Callable[..., Any], sim_admin: SimAdmin, vast_account: str
) -> None:
    interrupted: InstanceProvider = configure(InstanceProvider)
    left = interrupted.create(inputs(interrupted, image="old/image"))
    other = interrupted.create(inputs(interrupted, owner="s1/other"))

    rerun = next_run(configure)
    created = rerun.create(inputs(rerun, image="new/image"))

    assert created.id != left.id
    assert alive_ids(sim_admin, vast_account) == sorted([int(created.id), int(other.id)]), (
        "the left-behind instance of this resource is gone; another resource's is untouched"
    )
    for done in (created, other):
        rerun.delete(done.id, done.outs)


def test_another_stack_of_the_same_names_is_never_touched(
    configure: Callable[..., Any], sim_admin: SimAdmin, vast_account: str
) -> None:
    theirs: InstanceProvider = configure(InstanceProvider)
    their_gpu = theirs.create(inputs(theirs, owner="their-stack/gpu"))

    ours = next_run(configure)
    our_gpu = ours.create(inputs(ours, owner="our-stack/gpu"))

    assert our_gpu.id != their_gpu.id
    assert alive_ids(sim_admin, vast_account) == sorted([int(our_gpu.id), int(their_gpu.id)])
    for done in (our_gpu, their_gpu):
        ours.delete(done.id, done.outs)


def rent_stray(client: VastClient, owner: str) -> int:
    """An instance tagged for ``owner`` that no state holds, as a killed run leaves one."""
    stack, _, resource = owner.partition("/")
    offer = client.offers.search("gpu_ram>=24", limit=1)[0]
    tags = {STACK_TAG_ENV: stack, RESOURCE_TAG_ENV: resource}
    return client.instances.create(offer.id, CreateInstanceRequest(image="stray", env=tags))


def test_refresh_and_delete_destroy_other_instances_of_the_resource(
    provider: InstanceProvider, client: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    recorded = provider.create(inputs(provider))
    rent_stray(client, "s1/gpu")
    assert len(alive_ids(sim_admin, vast_account)) == 2

    read = provider.read(recorded.id, recorded.outs)
    assert read.id == recorded.id
    assert alive_ids(sim_admin, vast_account) == [int(recorded.id)]

    stray = rent_stray(client, "s1/gpu")
    provider.delete(recorded.id, recorded.outs)
    assert alive_ids(sim_admin, vast_account) == [], f"{stray} was swept with it"


def test_deleting_the_stack_tag_destroys_whatever_still_carries_it(
    configure: Callable[..., Any], sim_admin: SimAdmin, vast_account: str
) -> None:
    tags: StackTagProvider = configure(StackTagProvider)
    tag = tags.create({})
    provider: InstanceProvider = configure(InstanceProvider)
    mine = [provider.create(inputs(provider, owner=f"{tag.id}/gpu{i}")) for i in range(2)]
    others = provider.create(inputs(provider, owner="someone-else/gpu0"))

    tags.delete(tag.id, tag.outs)

    assert alive_ids(sim_admin, vast_account) == [int(others.id)]
    assert all(int(m.id) not in alive_ids(sim_admin, vast_account) for m in mine)
    provider.delete(others.id, others.outs)


def test_a_rollback_destroy_vast_keeps_refusing_is_kept_in_the_state(
    configure: Callable[..., Any], sim_admin: SimAdmin, vast_account: str
) -> None:
    provider: InstanceProvider = configure(InstanceProvider)
    sim_admin.set_faults(
        vast_account,
        stuck_loading=True,
        errors={"destroy_instance": {"count": 100, "status": 500}},
    )

    with pytest.raises(CreatedButFailed) as caught:
        provider.create(inputs(provider, ready={"timeout": 1}))

    [left] = alive_ids(sim_admin, vast_account)
    failed = caught.value
    assert failed.resource_id == str(left)
    assert "may still be billing" in failed.outputs["failure"]
    assert failed.outputs["__owner"] == "s1/gpu", "recorded with its inputs"
    # the next up replaces it: the diff says so, and the delete (Vast answering again) works
    sim_admin.clear_faults(vast_account)
    diff = provider.diff(failed.resource_id, failed.outputs, inputs(provider))
    assert diff.changes and "failure" in (diff.replaces or [])
    provider.delete(failed.resource_id, failed.outputs)
    assert alive_ids(sim_admin, vast_account) == []


def test_an_instance_outbid_while_booting_is_destroyed_and_reported_at_once(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 120)
    bid_inputs = inputs(provider, bid_price=5.0, ready={"timeout": 600})
    failure: list[BaseException] = []

    def create() -> None:
        try:
            provider.create(bid_inputs)
        except BaseException as exc:
            failure.append(exc)

    creating = threading.Thread(target=create)
    started = time.monotonic()
    creating.start()
    while not sim_admin.ledger(vast_account)["instances"]:
        time.sleep(0.1)
    rented = sim_admin.ledger(vast_account)["instances"][0]["id"]
    sim_admin.preempt(rented)
    creating.join(timeout=120)

    assert not creating.is_alive(), "not left waiting out ready.timeout"
    [error] = failure
    assert isinstance(error, RentalFailed)
    assert "outbid" in str(error) and "$5/h" in str(error) and "current minimum" in str(error)
    assert "bid_price" in str(error)
    assert alive_ids(sim_admin, vast_account) == []
    assert time.monotonic() - started < 600
