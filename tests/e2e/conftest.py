"""The repository's own Pulumi project, run by the real CLI against the simulator.

`vast_stack(instances=[...])` copies the project (Pulumi.yaml, __main__.py) into a tmp
folder, makes a stack whose config points at the session's simulator with the test's own
account, and returns its `PulumiWorkspace`. Config edits go through `write_config`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_vast.engine import PulumiWorkspace
from tests.fixtures.engine import WorkspaceFactory

REPO = Path(__file__).resolve().parents[2]
STACK = "e2e"


def copy_tracked_files(destination: Path) -> Path:
    """The repository's tracked files (what a fresh clone has) copied to `destination`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, destination / name)
    return destination


VastStack = Callable[..., PulumiWorkspace]


def stack_file(workspace: PulumiWorkspace) -> Path:
    return workspace.project_dir / "stacks" / f"Pulumi.{STACK}.yaml"


def write_config(workspace: PulumiWorkspace, **changes: Any) -> None:
    """Replace `pulumi-vast:<key>` entries of the stack's config (e.g. instances=[...])."""
    path = stack_file(workspace)
    document = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        document["config"][f"pulumi-vast:{key}"] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def instance(name: str = "gpu", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "query": "gpu_ram>=24 num_gpus=1 reliability>0.95",
        "image": "pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel",
        "disk_gb": 20,
        "ssh_keys": ["dev"],
        "ready": {"ssh": True, "probe": 'test -n "$CONTAINER_ID"', "timeout": 60},
        **fields,
    }


@pytest.fixture
def vast_stack(
    tmp_path: Path, pulumi_workspace: WorkspaceFactory, sim_url: str, vast_account: str
) -> VastStack:
    def make(
        instances: list[dict[str, Any]] | None = None,
        *,
        backend_url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> PulumiWorkspace:
        # The repository's own project: its Pulumi.yaml and program, with a stacks folder.
        project = tmp_path / "pulumi-vast"
        (project / "stacks").mkdir(parents=True)
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(REPO / name, project / name)
        # Pulumi.yaml's `virtualenv: .venv`: this environment, as in the repository.
        (project / ".venv").symlink_to(sys.prefix)
        workspace = pulumi_workspace(project, stack=STACK, backend_url=backend_url, env=env)
        workspace.set_config("vast:apiUrl", sim_url)
        workspace.set_config("vast:apiKey", vast_account, secret=True)
        workspace.set_config("vast:sshPrivateKeyFile", str(tmp_path / "ssh" / "id_ed25519"))
        write_config(
            workspace,
            sshKeys=[
                {
                    "name": "dev",
                    "publicKeyFile": str(tmp_path / "ssh" / "id_ed25519.pub"),
                    "generate": True,
                }
            ],
            instances=[instance()] if instances is None else instances,
        )
        return workspace

    return make
