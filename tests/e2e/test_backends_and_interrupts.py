"""The same program with its state in S3 (moto's server), and Ctrl-C in the middle of `up`."""

from __future__ import annotations

import time

import pytest

from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.engine.s3_backend import MotoS3
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance
from tests.e2e.test_lifecycle import billing, instances_in_state

pytestmark = pytest.mark.slow


def test_state_in_s3_through_up_preview_refresh_destroy(
    vast_stack: VastStack, moto_s3: MotoS3, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack(backend_url=moto_s3.backend_url, env=moto_s3.env)

    stack.up()
    assert any(key.endswith(".json") and "e2e" in key for key in moto_s3.objects())
    [row] = billing(sim_admin, vast_account)
    assert stack.outputs()["gpu"]["instance_id"] == row["id"]
    stack.preview("--expect-no-changes")
    stack.refresh()
    assert len(instances_in_state(stack)) == 1

    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def _wait_for_rental(sim_admin: SimAdmin, key: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = sim_admin.ledger(key)["instances"]
        if rows:
            return int(rows[0]["id"])
        time.sleep(0.1)
    raise AssertionError("no instance was rented")


def ctrl_c_while_renting(
    stack: PulumiWorkspace, sim_admin: SimAdmin, key: str, *, times: int
) -> tuple[int, int, str]:
    """Ctrl-C ``times`` times once `up` has rented an instance: (its id, exit status, output)."""
    up = stack.start("up", "--yes", "--non-interactive", "--stack", stack.stack or "")
    rented = _wait_for_rental(sim_admin, key)
    for press in range(times):
        if press:
            time.sleep(0.5)
        stack.interrupt(up)
    out, err = up.communicate(timeout=120)
    return rented, up.returncode, out + err


def test_ctrl_c_while_an_instance_boots_records_it_and_leaks_nothing(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 4)
    stack: PulumiWorkspace = vast_stack([instance(ready={"timeout": 60})])

    rented, status, output = ctrl_c_while_renting(stack, sim_admin, vast_account, times=1)

    assert status != 0
    assert "canceled" in output
    # The create in flight was allowed to finish and is in the state, exactly once.
    [recorded] = instances_in_state(stack)
    assert recorded["id"] == str(rented)
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [rented]

    stack.up()  # converges: the key and nothing else is added
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [rented]
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_a_second_ctrl_c_gives_back_the_instances_being_created(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 60)
    stack: PulumiWorkspace = vast_stack([instance(ready={"timeout": 120})])

    # The second press is "terminate now": the engine will not record the create.
    rented, status, output = ctrl_c_while_renting(stack, sim_admin, vast_account, times=2)

    assert status != 0
    assert f"destroying instance {rented}" in output
    assert instances_in_state(stack) == []
    assert billing(sim_admin, vast_account) == []
    sim_admin.set_boot_delay(vast_account, 0.3)
    stack.up()  # and the next up starts over cleanly
    [row] = billing(sim_admin, vast_account)
    assert row["id"] != rented
    stack.destroy()
