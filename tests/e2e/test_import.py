"""Adopting an instance made outside Pulumi: a match imports, a mismatch is refused."""

from __future__ import annotations

import re

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


def test_pulumi_import_records_nothing_and_prints_the_declaration_that_adopts_it(
    pulumi_workspace: WorkspaceFactory,
    sim_url: str,
    vast_account: str,
    sim_admin: SimAdmin,
    by_hand: int,
) -> None:
    stack = adopt_stack(pulumi_workspace, sim_url, vast_account, by_hand, instanceId="")

    done = stack.run(
        "import",
        "pulumi-python:dynamic/vast:Instance",
        "adopted",
        str(by_hand),
        "--yes",
        "--non-interactive",
        "--color",
        "never",
        check=False,
    )

    told = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Nothing was imported" in told
    assert "bug in the" not in told and "GetSchema" not in told
    assert not [r for r in stack.resources() if r["type"].endswith("vast:Instance")]
    code = told[told.index("vast.Instance(") : told.index(")\n", told.index("import_="))]
    assert f'opts=pulumi.ResourceOptions(import_="{by_hand}")' in code
    assert all(f"{line}," in code for line in IMPORTED_INPUTS)
    query = re.search(r'query="([^"]+)"', code)
    assert query is not None and query.group(1).startswith("gpu_name=")
    # The next step it prints works: the declaration, as the adopt program writes it.
    stack.set_config("instanceId", str(by_hand))
    stack.set_config("query", query.group(1))
    stack.up()
    assert stack.outputs()["instance_id"] == by_hand
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


IMPORTED_INPUTS = ('image="ubuntu:22.04"', "disk_gb=16", 'label="made-by-hand"')
"""What the adopt stack's config declares, as `pulumi import` prints it from what it read."""
