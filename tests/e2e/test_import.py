"""Adopting an instance made outside Pulumi: a match imports, a mismatch is refused."""

from __future__ import annotations

import pytest

from pulumi_vast.api import CHEAPEST_FIRST, CreateInstanceRequest, VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import REPO
from tests.e2e.test_lifecycle import billing
from tests.fixtures.engine import WorkspaceFactory

pytestmark = pytest.mark.slow

QUERY = "gpu_ram>=24 num_gpus=1"


def adopt_stack(
    factory: WorkspaceFactory, sim_url: str, key: str, instance_id: int, **config: str
) -> PulumiWorkspace:
    stack = factory(REPO / "tests" / "e2e" / "programs" / "adopt")
    settings = {
        "vast:apiUrl": sim_url,
        "instanceId": str(instance_id),
        "query": QUERY,
        "image": "ubuntu:22.04",
        "diskGb": "16",
        "label": "made-by-hand",
        **config,
    }
    for name, value in settings.items():
        stack.set_config(name, value)
    stack.set_config("vast:apiKey", key, secret=True)
    return stack


@pytest.fixture
def by_hand(sim_url: str, vast_account: str) -> int:
    client = VastClient(sim_url, vast_account)
    offer = client.offers.search(QUERY, order=CHEAPEST_FIRST, storage_gb=16)[0]
    request = CreateInstanceRequest(image="ubuntu:22.04", disk=16, label="made-by-hand")
    return client.instances.create(offer.id, request)


def test_an_instance_made_by_hand_is_adopted_then_managed(
    pulumi_workspace: WorkspaceFactory,
    sim_url: str,
    vast_account: str,
    sim_admin: SimAdmin,
    by_hand: int,
) -> None:
    stack = adopt_stack(pulumi_workspace, sim_url, vast_account, by_hand)

    stack.up()

    assert stack.outputs()["instance_id"] == by_hand
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [by_hand]
    stack.set_config("instanceId", "")
    stack.preview("--expect-no-changes")
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_adopting_with_another_image_is_refused_and_changes_nothing(
    pulumi_workspace: WorkspaceFactory,
    sim_url: str,
    vast_account: str,
    sim_admin: SimAdmin,
    by_hand: int,
) -> None:
    stack = adopt_stack(pulumi_workspace, sim_url, vast_account, by_hand, image="pytorch/pytorch")

    done = stack.up(check=False)

    assert done.returncode != 0
    assert "image" in done.stdout + done.stderr
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [by_hand]
    VastClient(sim_url, vast_account).instances.destroy(by_hand)
