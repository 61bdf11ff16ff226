"""A training cluster declared in stack config, end to end: placed as a gang on one
physical cluster's overlay, scaled rank by rank, repaired after an out-of-band destroy,
and destroyed with nothing left billing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pulumi_vast.api import VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, write_config
from tests.e2e.test_lifecycle import billing, over_ssh, set_path, steps

pytestmark = pytest.mark.slow

GANG_TYPE = "pulumi-python:dynamic/vast:TrainingGang"
_INET = re.compile(r"inet (\d+\.\d+\.\d+\.\d+)/")


def training(**fields: Any) -> dict[str, Any]:
    return {
        "name": "llm",
        "nodes": 2,
        "query": "gpu_ram>=24 reliability>0.9",
        "gpus_per_node": 1,
        "image": "pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel",
        "disk_gb": 20,
        "ssh_keys": ["dev"],
        "ready": {"ssh": True, "timeout": 120},
        **fields,
    }


def eth0(ssh_command: str) -> str:
    found = _INET.search(over_ssh(ssh_command, "ip -4 addr show eth0"))
    assert found is not None
    return found.group(1)


def ranks(workspace: PulumiWorkspace) -> dict[int, int]:
    """Instance id per rank, as the stack's output lists them."""
    members = workspace.outputs()["llm"]["members"]
    return {int(m["node_rank"]): int(m["instance_id"]) for m in members}


def gang_state(workspace: PulumiWorkspace) -> dict[str, Any]:
    [gang] = [r for r in workspace.resources() if r["type"] == GANG_TYPE]
    return gang["outputs"]


def test_a_training_cluster_from_stack_config_up_scale_repair_destroy(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    stack = vast_stack([])
    write_config(stack, trainingClusters=[training()])
    client = VastClient(sim_url, vast_account)

    # up: 2 nodes on one physical cluster's overlay, rank 0's eth0 the rendezvous
    stack.up()
    out = stack.outputs()["llm"]
    first = ranks(stack)
    assert sorted(first) == [0, 1]
    assert sorted(row["id"] for row in billing(sim_admin, vast_account)) == sorted(first.values())
    [overlay] = client.overlays.list()
    assert sorted(overlay.instance_ids) == sorted(first.values())
    ssh = {int(m["node_rank"]): m["ssh_command"] for m in out["members"]}
    assert eth0(ssh[0]) == out["master_addr"]
    assert eth0(ssh[1]) != out["master_addr"]
    assert out["world_size"] == 2
    for rank, line in enumerate(out["torchrun"]):
        assert line.startswith("NCCL_SOCKET_IFNAME=eth0 torchrun --nnodes=2 ")
        assert f"--node_rank={rank} --master_addr={out['master_addr']} --master_port=29500" in line

    # no change: a preview makes not one API call
    sim_admin.reset_request_counts(vast_account)
    stack.preview("--expect-no-changes")
    assert sim_admin.request_counts(vast_account) == {}

    # 2 -> 3: rank 2 is rented on the same overlay; ranks 0 and 1 are untouched
    set_path(stack, "pulumi-vast:trainingClusters[0].nodes", "3")
    assert steps(stack)["llm"] == "update"
    stack.up()
    grown = ranks(stack)
    assert {r: grown[r] for r in (0, 1)} == first
    assert sorted(row["id"] for row in billing(sim_admin, vast_account)) == sorted(grown.values())
    assert sorted(client.overlays.list()[0].instance_ids) == sorted(grown.values())
    assert stack.outputs()["llm"]["world_size"] == 3

    # 3 -> 2: only rank 2 is destroyed
    set_path(stack, "pulumi-vast:trainingClusters[0].nodes", "2")
    stack.up()
    assert ranks(stack) == first
    assert sorted(row["id"] for row in billing(sim_admin, vast_account)) == sorted(first.values())

    # rank 1 destroyed out of band: refresh drops it, the next up rents rank 1 again
    client.instances.destroy(first[1])
    stack.refresh()
    assert [int(m["node_rank"]) for m in gang_state(stack)["members"]] == [0]
    stack.up()
    repaired = ranks(stack)
    assert repaired[0] == first[0] and repaired[1] != first[1]
    assert eth0(stack.outputs()["llm"]["members"][0]["ssh_command"]) == out["master_addr"]

    # a new image replaces the gang: the preview names the nodes it takes down; the old
    # gang goes first, and the new one reuses its overlay's name
    set_path(stack, "pulumi-vast:trainingClusters[0].image", "nvidia/cuda:12.4.1")
    preview = stack.preview().stdout
    nodes = f"instances {repaired[0]}, {repaired[1]}"
    assert f"destroys its 2 node(s) ({nodes}) and its overlay" in preview
    stack.up()
    replaced = ranks(stack)
    assert set(replaced.values()).isdisjoint(repaired.values())
    assert sorted(row["id"] for row in billing(sim_admin, vast_account)) == sorted(
        replaced.values()
    )
    [overlay] = client.overlays.list()
    assert sorted(overlay.instance_ids) == sorted(replaced.values())

    # destroy: the nodes, then the overlay; nothing bills
    stack.destroy()
    assert billing(sim_admin, vast_account) == []
    assert client.overlays.list() == []


def test_too_many_nodes_fail_preview_naming_the_best_cluster(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([])
    write_config(stack, trainingClusters=[training(nodes=60)])

    done = stack.preview(check=False)

    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "nodes: no physical cluster has 60 offers matching" in output
    assert re.search(r"the best of \d+ cluster\(s\), cluster \d+, has \d+ offer", output)
    assert "Traceback" not in output
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 0
