"""Money policies end to end (`vast:policy`, an instance's `policy`): the real CLI against
the simulator, the ledger as the proof."""

from __future__ import annotations

import pytest

from pulumi_vast.api import VastClient
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance
from tests.e2e.test_lifecycle import billing

pytestmark = pytest.mark.slow

READY = {"timeout": 60}


def test_on_destroy_stop_leaves_a_stopped_instance_billing_only_its_disk(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str, sim_url: str
) -> None:
    stack = vast_stack([instance(ready=READY, policy={"on_destroy": "stop"})])
    stack.up()
    [rented] = billing(sim_admin, vast_account)

    done = stack.destroy()

    said = done.stdout + done.stderr
    assert f"instance {rented['id']} stopped, not destroyed (on_destroy: stop)" in said
    assert f"its disk still costs ${rented['storage_dph']:.4f}/h" in said
    assert stack.resources() == [] or all(
        r["type"] != "pulumi-python:dynamic/vast:Instance" for r in stack.resources()
    )
    [kept] = billing(sim_admin, vast_account)
    assert kept["id"] == rented["id"]
    assert kept["status"] == "stopped"
    assert kept["storage_dph"] > 0
    assert kept["dph_now"] == pytest.approx(kept["storage_dph"]), "only its disk bills"
    assert sim_admin.ledger(vast_account)["totals"]["dph_now"] == pytest.approx(kept["storage_dph"])
    VastClient(sim_url, vast_account).instances.destroy(kept["id"])
    assert billing(sim_admin, vast_account) == []
