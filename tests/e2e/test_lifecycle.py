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
from tests.e2e.conftest import VastStack, instance

pytestmark = pytest.mark.slow

INSTANCE_TYPE = "pulumi-python:dynamic/vast:Instance"


def steps(workspace: PulumiWorkspace) -> dict[str, str]:
    """What a preview would do, per resource name: create, update, replace, same..."""
    done = workspace.preview("--json")
    plan = json.loads(done.stdout)
    return {step["urn"].split("::")[-1]: step["op"] for step in plan.get("steps", [])}


def instances_in_state(workspace: PulumiWorkspace) -> list[dict[str, Any]]:
    return [r for r in workspace.resources() if r["type"] == INSTANCE_TYPE]


def set_path(workspace: PulumiWorkspace, path: str, value: str, *, secret: bool = False) -> None:
    """`pulumi config set --path`, as a user edits one field of the structured config."""
    flag = "--secret" if secret else "--plaintext"
    workspace.run("config", "set", "--stack", "e2e", flag, "--path", path, "--", value)


def over_ssh(ssh_command: str, command: str) -> str:
    """Run `command` with the `ssh ...` line of an output, as printed, as a script would."""
    done = subprocess.run(
        [*shlex.split(ssh_command), "-o", "BatchMode=yes", command],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def billing(sim_admin: SimAdmin, key: str) -> list[dict[str, Any]]:
    """Ledger rows of instances that exist (and so still cost money)."""
    ledger = sim_admin.ledger(key)
    return [row for row in ledger["instances"] if row.get("destroyed_at") is None]


def test_up_preview_update_replace_refresh_destroy(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    stack = vast_stack()
    # a secret inside the structured config, as `pulumi config set --secret --path` writes it
    set_path(stack, "pulumi-vast:instances[0].env.HF_TOKEN", "hf_not_for_state", secret=True)

    assert steps(stack) == {
        "pulumi-vast-e2e": "create",
        "vast-stack-tag": "create",
        "dev": "create",
        "gpu": "create",
    }
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 0

    # up: an instance from the query, ready over SSH, described by the outputs
    stack.up()
    gpu = stack.outputs()["gpu"]
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [gpu["instance_id"]]
    assert gpu["gpu"].startswith("1x ") and gpu["dph_total"] > 0
    assert over_ssh(gpu["ssh"], "echo $CONTAINER_ID $HF_TOKEN") == (
        f"{gpu['instance_id']} hf_not_for_state"
    )
    state = json.dumps(stack.export_state())
    assert vast_account not in state  # the API key stays in config, encrypted
    assert "hf_not_for_state" not in state  # env values are secret, as inputs and outputs

    # a second preview: no changes, and not one API call
    sim_admin.reset_request_counts(vast_account)
    stack.preview("--expect-no-changes")
    assert sim_admin.request_counts(vast_account) == {}

    # the label updates in place
    set_path(stack, "pulumi-vast:instances[0].label", "renamed")
    assert steps(stack)["gpu"] == "update"
    stack.up()
    client = VastClient(sim_url, vast_account)
    live = client.instances.get(gpu["instance_id"])
    assert live is not None and live.label == "renamed"

    # the image replaces: the old instance is gone, one new one bills
    set_path(stack, "pulumi-vast:instances[0].image", "nvidia/cuda:12.4.1")
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
