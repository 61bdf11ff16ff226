"""`pulumi-vast reap` and `pulumi-vast cost` on a stack whose state is in S3 (moto's
server): the tools read it with the `pulumi` CLI, as a scheduled pipeline would run them."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from pulumi_vast.api import DEFAULT_RETRY
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.engine.s3_backend import MotoS3
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance
from tests.e2e.test_lifecycle import billing, instances_in_state

pytestmark = pytest.mark.slow

STACK_TAG_TYPE = "pulumi-python:dynamic/vast:StackTag"


def tool(stack: PulumiWorkspace, *args: str) -> subprocess.CompletedProcess[str]:
    """`pulumi-vast ARGS --stack e2e`, run as a pipeline step in the project folder."""
    pulumi = ("--pulumi", str(stack.pulumi_bin))
    return subprocess.run(
        [sys.executable, "-m", "pulumi_vast.cli", *args, *("--stack", "e2e"), *pulumi],
        cwd=stack.project_dir,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _rent_lost(sim_url: str, key: str, stack_id: str) -> int:
    """An instance of the stack its state never heard of: a create whose answer was lost."""
    with httpx.Client(
        base_url=sim_url, headers={"Authorization": f"Bearer {key}"}, trust_env=False
    ) as api:
        offers = api.post("/api/v0/bundles/", json={"num_gpus": {"eq": 1}}).json()["offers"]
        env = {"PULUMI_VAST_STACK": stack_id, "PULUMI_VAST_RESOURCE": "gpu"}
        body = {"image": "ubuntu:22.04", "disk": 10, "env": env}
        created = api.put(f"/api/v0/asks/{offers[-1]['id']}/", json=body)
        instance_id: int = created.json()["new_contract"]
        return instance_id


def test_reap_and_cost_of_a_stack_in_s3(
    vast_stack: VastStack, moto_s3: MotoS3, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    # "ttl": its start-up script kills the TTL's watchdog; "budget": the same, and a budget
    stack = vast_stack(
        [
            instance("ttl", policy={"max_hours": 1}, onstart="kill $!"),
            instance("budget", policy={"max_hours": 1, "max_budget": 1.0}, onstart="kill $!"),
        ],
        backend_url=moto_s3.backend_url,
        env=moto_s3.env,
    )
    stack.up()
    held = {
        r["outputs"]["instance_id"]: r["urn"].split("::")[-1] for r in instances_in_state(stack)
    }
    (tag,) = [r for r in stack.resources() if r["type"] == STACK_TAG_TYPE]
    lost = _rent_lost(sim_url, vast_account, tag["outputs"]["stack_id"])
    sim_admin.advance(1)

    young = tool(stack, "reap", "--dry-run")
    assert young.returncode == 0, young.stderr
    assert f"left alone: instance {lost}" in young.stdout
    assert "nothing to reap" in young.stdout

    sim_admin.advance(48 * 3600)  # past the TTLs, and over the budget
    listed = tool(stack, "reap", "--dry-run")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    for instance_id, name in held.items():
        (line,) = [x for x in lines if x.startswith(f"would destroy instance {instance_id} ")]
        assert f"({name}): past its TTL" in line
        assert ("over budget" in line) == (name == "budget")
    assert any(x.startswith(f"would destroy instance {lost}: it carries") for x in lines)
    assert len(billing(sim_admin, vast_account)) == 3, "--dry-run destroys nothing"

    costs = tool(stack, "cost", "--json")
    assert costs.returncode == 0, costs.stderr
    ledger = {row["id"]: row for row in sim_admin.ledger(vast_account)["instances"]}
    rows: list[dict[str, Any]] = json.loads(costs.stdout)
    assert {row["id"]: row["resource"] for row in rows} == held
    for row in rows:
        assert row["so_far"] == pytest.approx(ledger[row["id"]]["total_cost"], abs=0.002)
        assert row["per_hour"] == pytest.approx(ledger[row["id"]]["dph_now"])
    assert "USD/h now" in tool(stack, "cost").stdout

    # Vast refuses every attempt to destroy the first one: the others still go, and it says so
    refusals = {"count": DEFAULT_RETRY.max_attempts, "status": 503}
    sim_admin.set_faults(vast_account, errors={"destroy_instance": refusals})
    first = next(iter(held))
    refused = tool(stack, "reap")
    assert refused.returncode == 1
    assert f"could not destroy instance {first} ({held[first]})" in refused.stderr
    assert f"destroyed instance {lost}: it carries the stack's tag" in refused.stdout
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [first]

    reaped = tool(stack, "reap")
    assert reaped.returncode == 0, reaped.stderr
    assert f"destroyed instance {first} ({held[first]}): past its TTL" in reaped.stdout
    assert billing(sim_admin, vast_account) == []
    stack.refresh()
    assert instances_in_state(stack) == []
    assert "nothing to reap" in tool(stack, "reap").stdout
    stack.destroy()
