"""`pulumi up / preview / refresh / destroy` of the project's own program, end to end.

Real CLI, real language host and provider plugin, real simulator (HTTP + SSH); every test
ends by proving from the simulator's ledger that nothing is left billing.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from typing import Any

import pytest

from pulumi_vast.api import VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance, write_config

pytestmark = pytest.mark.slow

INSTANCE_TYPE = "pulumi-python:dynamic/vast:Instance"


def steps(workspace: PulumiWorkspace) -> dict[str, str]:
    """What a preview would do, per resource name: create, update, replace, same..."""
    done = workspace.preview("--json")
    plan = json.loads(done.stdout)
    return {step["urn"].split("::")[-1]: step["op"] for step in plan.get("steps", [])}


def instances_in_state(workspace: PulumiWorkspace) -> list[dict[str, Any]]:
    return [r for r in workspace.resources() if r["type"] == INSTANCE_TYPE]


def billing(sim_admin: SimAdmin, key: str) -> list[dict[str, Any]]:
    """Ledger rows of instances that exist (and so still cost money)."""
    ledger = sim_admin.ledger(key)
    return [row for row in ledger["instances"] if row.get("destroyed_at") is None]


def test_up_preview_update_replace_refresh_destroy(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    stack = vast_stack()

    assert steps(stack) == {"pulumi-vast-e2e": "create", "dev": "create", "gpu": "create"}
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 0

    # up: an instance from the query, ready over SSH, described by the outputs
    stack.up()
    gpu = stack.outputs()["gpu"]
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [gpu["instance_id"]]
    assert gpu["gpu"].startswith("1x ") and gpu["dph_total"] > 0
    pasted = subprocess.run(
        [
            *shlex.split(gpu["ssh"]),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "echo $CONTAINER_ID",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert pasted.stdout.strip() == str(gpu["instance_id"]), pasted.stderr

    # a second preview: no changes, and not one API call
    sim_admin.reset_request_counts(vast_account)
    stack.preview("--expect-no-changes")
    assert sim_admin.request_counts(vast_account) == {}

    # the label updates in place
    write_config(stack, instances=[instance(label="renamed")])
    assert steps(stack)["gpu"] == "update"
    stack.up()
    client = VastClient(sim_url, vast_account)
    live = client.instances.get(gpu["instance_id"])
    assert live is not None and live.label == "renamed"

    # the image replaces: the old instance is gone, one new one bills
    write_config(stack, instances=[instance(label="renamed", image="nvidia/cuda:12.4.1-base")])
    assert steps(stack)["gpu"] == "replace"
    stack.up()
    replaced = stack.outputs()["gpu"]["instance_id"]
    assert replaced != gpu["instance_id"]
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [replaced]

    # destroyed behind Pulumi's back: refresh drops it from state
    client.instances.destroy(replaced)
    stack.refresh()
    assert instances_in_state(stack) == []

    stack.destroy()
    assert stack.resources() == []
    assert billing(sim_admin, vast_account) == []
    assert client.ssh_keys.list() == []


def test_a_bad_query_fails_preview_naming_it_and_creates_nothing(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(query="gpu_rma>=24 reliability>0.95")])

    done = stack.preview(check=False)

    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "pulumi-vast:instances[0].query" in output
    assert "gpu_rma" in output and "gpu_ram" in output
    assert "Traceback" not in output
    stack.up(check=False)
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 0
    assert stack.resources() == []
