"""Every example under examples/ runs as its README says, on a fresh clone.

A fresh clone here is the repository's tracked files copied into a temp folder (nothing a
previous run left in the example folder: stack files, keys), with this checkout's `.venv`
linked in so `./dev` finds everything installed. The README's commands then run as
written, in the example's folder, through that clone's `./dev`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_vast.api import VastClient
from pulumi_vast.resources._settings import LOCAL_API_KEY
from pulumi_vast.sim.server import live_server, stop_server
from pulumi_vast.sim.testing import SimAdmin, worker_statuses
from tests.e2e.conftest import REPO, copy_tracked_files
from tests.e2e.test_lifecycle import over_ssh

pytestmark = pytest.mark.slow

COMMAND_TIMEOUT_S = 600


class Clone:
    """The repository as a fresh clone has it, and commands run in one of its folders."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "PULUMI_HOME": str(home / ".pulumi"),
            **{k: v for k, v in os.environ.items() if k == "PULUMI_VAST_CACHE"},
        }

    @classmethod
    def of_repo(cls, where: Path) -> Clone:
        root = copy_tracked_files(where / "clone")
        (root / ".venv").symlink_to(REPO / ".venv")
        return cls(root, where / "home")

    def run(self, line: str, folder: Path) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", line],
            cwd=folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        assert done.returncode == 0, f"$ {line}\n{done.stdout}{done.stderr}"
        return done


def readme_blocks(example: Path) -> list[list[str]]:
    """The shell blocks of an example's README, as command lines (comments dropped)."""
    text = (example / "README.md").read_text()
    return [
        [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
        for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    ]


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Clone]:
    made = Clone.of_repo(tmp_path)
    yield made
    stop_server(made.root / ".state" / "sim")  # in case the test stopped before the README


def test_python_instance_example_runs_as_its_readme_says(clone: Clone) -> None:
    deploy, clean_up = readme_blocks(REPO / "examples" / "python-instance")
    assert deploy[0] == "cd examples/python-instance"
    example = clone.root / "examples" / "python-instance"

    for line in deploy[1:]:
        clone.run(line, example)

    shown = clone.run("../../dev pulumi stack output --json", example).stdout
    outputs = json.loads(shown)
    assert outputs["dollars_per_hour"] <= 1.0
    assert outputs["chosen_because"].startswith("best of")
    assert over_ssh(outputs["ssh"], "nvidia-smi -L").startswith("GPU 0: ")
    clone.run("../../dev pulumi preview --expect-no-changes", example)
    ledger = clone.run("../../dev vast sim ledger --json", example).stdout
    [rented] = json.loads(ledger)["instances"]
    assert rented["id"] == outputs["instance_id"]

    for line in clean_up:
        clone.run(line, example)

    ledger = clone.run("../../dev vast sim ledger --json", example).stdout
    assert json.loads(ledger)["totals"]["alive"] == 0
    left = sorted(p.name for p in example.iterdir() if p.name != "__pycache__")
    assert left == [
        ".gitignore",
        ".state",
        "Pulumi.dev.yaml",
        "Pulumi.yaml",
        "README.md",
        "__main__.py",
    ]
    assert sorted(p.name for p in (example / ".state").iterdir()) == [
        "id_ed25519",
        "id_ed25519.pub",
    ]


def test_serverless_llm_example_recruits_workers_under_load(clone: Clone) -> None:
    deploy, look, clean_up = readme_blocks(REPO / "examples" / "serverless-llm")
    assert deploy[0] == "cd examples/serverless-llm"
    example = clone.root / "examples" / "serverless-llm"
    for line in deploy[1:]:
        clone.run(line, example)
    outputs = json.loads(clone.run("../../dev pulumi stack output --json", example).stdout)
    assert outputs["endpoint"] == "llm"
    assert outputs["route_url"].endswith("/route/")

    data_dir = clone.root / ".state" / "sim"
    server = live_server(data_dir)
    assert server is not None
    with SimAdmin(server.url, data_dir=data_dir) as admin:
        admin.set_load(outputs["endpoint_id"], 30.0)  # 30 req/s, 10 per worker, 80% busy: 4
        admin.wait_for_endpoint(
            outputs["endpoint_id"],
            lambda view: worker_statuses(view).get("running", 0) == 4,
            timeout=COMMAND_TIMEOUT_S,
        )
    for line in look:
        clone.run(line, example)
    refreshed = json.loads(clone.run("../../dev pulumi stack output --json", example).stdout)
    assert refreshed["worker_count"] == 4, "refresh shows the workers recruited for the load"
    assert {w["status"] for w in refreshed["workers"]} == {"running"}
    client = VastClient(server.url, LOCAL_API_KEY)
    assert outputs["route_url"] == client.serverless.route_url
    routed = client.serverless.route(outputs["endpoint"])  # what a client of it does first
    assert routed["worker_id"] in {w["id"] for w in refreshed["workers"]}
    clone.run("../../dev pulumi preview --expect-no-changes", example)

    for line in clean_up:
        clone.run(line, example)
    ledger = clone.run("../../dev vast sim ledger --json", example).stdout
    assert json.loads(ledger)["totals"]["alive"] == 0, "destroy leaves no worker billing"


def test_image_generation_example_publishes_its_port_and_keeps_the_token_secret(
    clone: Clone,
) -> None:
    deploy, clean_up = readme_blocks(REPO / "examples" / "image-generation")
    assert deploy[0] == "cd examples/image-generation"
    example = clone.root / "examples" / "image-generation"
    for line in deploy[1:]:
        clone.run(line, example)

    outputs = json.loads(clone.run("../../dev pulumi stack output --json", example).stdout)
    [rented] = json.loads(clone.run("../../dev vast sim ledger --json", example).stdout)[
        "instances"
    ]
    assert rented["id"] == outputs["instance_id"]
    data_dir = clone.root / ".state" / "sim"
    server = live_server(data_dir)
    assert server is not None
    live = VastClient(server.url, LOCAL_API_KEY).instances.get(outputs["instance_id"])
    assert live is not None
    host_port = live.mapped_port(7860)
    assert host_port is not None, "the template's port is published"
    assert outputs["webui"] == f"http://{live.public_ipaddr}:{host_port}"
    state = clone.run("../../dev pulumi stack export", example).stdout
    assert "hf_example_token" not in state, "the token is a secret in the state"
    assert over_ssh(outputs["ssh"], "printenv HF_TOKEN") == "hf_example_token", "it reached"

    for line in clean_up:
        clone.run(line, example)
    ledger = clone.run("../../dev vast sim ledger --json", example).stdout
    assert json.loads(ledger)["totals"]["alive"] == 0


def test_multi_node_training_example_gives_each_node_the_rendezvous_of_rank_0(
    clone: Clone,
) -> None:
    deploy, clean_up = readme_blocks(REPO / "examples" / "multi-node-training")
    assert deploy[0] == "cd examples/multi-node-training"
    example = clone.root / "examples" / "multi-node-training"

    for line in deploy[1:]:
        clone.run(line, example)

    outputs = json.loads(clone.run("../../dev pulumi stack output --json", example).stdout)
    master = outputs["master_addr"]
    assert outputs["node_ranks"] == [0, 1] and outputs["world_size"] == 2
    rank0, rank1 = outputs["ssh"]
    # Logged in with the printed commands: rank 0's eth0 is the rendezvous, and rank 1's
    # own line points there, from another address of the same overlay.
    assert f"inet {master}/" in over_ssh(rank0, "ip -4 addr show eth0")
    found = re.search(r"inet (\S+)", over_ssh(rank1, "ip -4 addr show eth0"))
    assert found is not None
    rank1_eth0 = ipaddress.ip_interface(found.group(1))
    assert rank1_eth0.ip != ipaddress.ip_address(master)
    assert ipaddress.ip_address(master) in rank1_eth0.network, "reachable on rank 1's eth0"
    assert f"--node_rank=1 --master_addr={master} --master_port=29500" in outputs["torchrun"][1]
    assert outputs["torchrun"][1].startswith("NCCL_SOCKET_IFNAME=eth0 torchrun --nnodes=2 ")
    ledger = json.loads(clone.run("../../dev vast sim ledger --json", example).stdout)
    assert ledger["totals"]["alive"] == 2

    for line in clean_up:
        clone.run(line, example)

    ledger = json.loads(clone.run("../../dev vast sim ledger --json", example).stdout)
    assert ledger["totals"]["alive"] == 0
