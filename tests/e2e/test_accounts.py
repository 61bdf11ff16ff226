"""Two Vast accounts in one program: each resource lands in its own account, its key kept
secret, and `destroy` gives back everything in both."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_vast.api import VastClient
from pulumi_vast.sim.testing import SimAdmin
from pulumi_vast.stack import generate_key_pair
from tests.e2e.conftest import REPO
from tests.e2e.test_lifecycle import billing
from tests.fixtures.engine import WorkspaceFactory

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("host", ["our host", "SDK host"])
def test_each_resource_is_made_in_its_own_account(
    pulumi_workspace: WorkspaceFactory,
    tmp_path: Path,
    sim_url: str,
    vast_account: str,
    sim_admin: SimAdmin,
    host: str,
    stock_host_env: dict[str, str],
) -> None:
    team_b = sim_admin.new_account()
    generate_key_pair(tmp_path / "id_ed25519.pub")
    env = stock_host_env if host == "SDK host" else {}
    stack = pulumi_workspace(REPO / "tests" / "e2e" / "programs" / "accounts", env=env)
    stack.set_config("vast:apiUrl", sim_url)
    stack.set_config("vast:apiKey", vast_account, secret=True)
    stack.set_config("teamBUrl", sim_url)
    stack.set_config("teamBKey", team_b, secret=True)
    stack.set_config("publicKey", (tmp_path / "id_ed25519.pub").read_text().strip())

    stack.up()

    outputs = stack.outputs()
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [outputs["ours"]]
    assert [row["id"] for row in billing(sim_admin, team_b)] == [outputs["theirs"]]
    with VastClient(sim_url, team_b) as client:
        assert [key.id for key in client.ssh_keys.list()] == [outputs["their_key"]]
    with VastClient(sim_url, vast_account) as client:
        assert client.ssh_keys.list() == []
    tags = {r["urn"].split("::")[-1]: r for r in stack.resources() if "StackTag" in r["type"]}
    assert sorted(tags) == ["vast-stack-tag", "vast-stack-tag-team-b"]
    assert tags["vast-stack-tag-team-b"]["provider"].split("::")[-2] == "team-b"
    backend = Path(stack.backend_url.removeprefix("file://"))
    leaked = [p for p in backend.rglob("*") if p.is_file() and team_b.encode() in p.read_bytes()]
    assert leaked == [], "team B's key is in clear in the state"

    stack.preview("--expect-no-changes")
    stack.destroy()

    assert billing(sim_admin, vast_account) == []
    assert billing(sim_admin, team_b) == []
    with VastClient(sim_url, team_b) as client:
        assert client.ssh_keys.list() == []
