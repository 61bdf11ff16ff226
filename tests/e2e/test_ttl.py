"""`policy.max_hours` end to end: the instance ends itself at its TTL with no `pulumi`
running; `refresh` drops it, and `up` rents a new one, saying why (docs: README "TTL")."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pulumi_vast.resources._ttl import parse_iso
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance
from tests.e2e.test_lifecycle import billing, instances_in_state, steps

pytestmark = pytest.mark.slow


def wait_until(condition: Callable[[], object], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:g} s"
        time.sleep(0.2)


def test_a_ttl_ends_the_instance_with_no_pulumi_running(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(policy={"max_hours": 1})])
    stack.up()
    (gpu,) = instances_in_state(stack)
    first = gpu["outputs"]["instance_id"]
    expires = parse_iso(gpu["outputs"]["expires_at"])
    assert abs(expires - (sim_admin.now() + 3600)) < 300, "an hour from the create, Vast's time"

    # No pulumi process from here on: an hour passes, and the instance ends itself.
    sim_admin.advance(3600)
    wait_until(lambda: not billing(sim_admin, vast_account), "the instance ending itself")
    (row,) = [r for r in sim_admin.ledger(vast_account)["instances"] if r["id"] == first]
    assert row["dph_now"] == 0 and row["destroyed_at"] >= expires

    # refresh drops it, saying why; up rents a new one, with a new TTL
    refreshed = stack.refresh()
    assert f"instance {first} is gone: its TTL ended it" in refreshed.stdout + refreshed.stderr
    assert instances_in_state(stack) == []
    assert steps(stack)["gpu"] == "create"
    stack.up()
    (again,) = instances_in_state(stack)
    second = again["outputs"]["instance_id"]
    assert second != first and parse_iso(again["outputs"]["expires_at"]) > expires

    # without a refresh, up says why it replaces the instance
    sim_admin.advance(3600)
    wait_until(lambda: not billing(sim_admin, vast_account), "the second one ending itself")
    assert steps(stack)["gpu"] == "replace"
    done = stack.up()
    assert f"instance {second} reached the end of its TTL" in done.stdout + done.stderr
    (third,) = instances_in_state(stack)
    assert third["outputs"]["instance_id"] not in (first, second)
    assert len(billing(sim_admin, vast_account)) == 1

    stack.destroy()
    assert billing(sim_admin, vast_account) == []
