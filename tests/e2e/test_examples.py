"""Every example under examples/ runs: up, outputs, no-change preview, destroy."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import REPO
from tests.e2e.test_lifecycle import billing, over_ssh
from tests.fixtures.engine import WorkspaceFactory

pytestmark = pytest.mark.slow


def test_python_instance_example(
    pulumi_workspace: WorkspaceFactory,
    tmp_path: Path,
    sim_url: str,
    vast_account: str,
    sim_admin: SimAdmin,
) -> None:
    stack = pulumi_workspace(REPO / "examples" / "python-instance", stack="dev")
    key = tmp_path / "keys" / "id_ed25519"
    stack.set_config("vast:apiUrl", sim_url)
    stack.set_config("vast:apiKey", vast_account, secret=True)
    stack.set_config("vast:sshPrivateKeyFile", str(key))
    stack.set_config("keyFile", str(key))

    stack.up()

    outputs = stack.outputs()
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [outputs["instance_id"]]
    assert outputs["dollars_per_hour"] <= 1.0
    assert outputs["chosen_because"].startswith("best of")
    assert over_ssh(outputs["ssh"], "nvidia-smi -L").startswith("GPU 0: ")
    stack.preview("--expect-no-changes")
    stack.destroy()
    assert billing(sim_admin, vast_account) == []
