"""Lookups in a program run by the real CLI: `get` reads objects made outside Pulumi
without managing them, and `get_offers` ranks the market with the stack's settings, its
best offer rented as the docs show it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulumi_vast.api import CHEAPEST_FIRST, CreateInstanceRequest, VastClient
from pulumi_vast.cli import main
from pulumi_vast.sim.testing import SimAdmin
from pulumi_vast.stack import generate_key_pair
from tests.e2e.conftest import REPO
from tests.e2e.test_lifecycle import billing
from tests.fixtures.engine import WorkspaceFactory

pytestmark = pytest.mark.slow

QUERY = "gpu_ram>=24 num_gpus=1"


def test_get_reads_without_managing_and_get_offers_ranks_the_market(
    pulumi_workspace: WorkspaceFactory,
    tmp_path: Path,
    sim_url: str,
    vast_account: str,
    sim_admin: SimAdmin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    generate_key_pair(tmp_path / "id_ed25519.pub")
    with VastClient(sim_url, vast_account) as client:
        offer = client.offers.search(QUERY, order=CHEAPEST_FIRST, storage_gb=16)[0]
        request = CreateInstanceRequest(image="ubuntu:22.04", disk=16, label="made-by-hand")
        instance_id = client.instances.create(offer.id, request)
        key = client.ssh_keys.create((tmp_path / "id_ed25519.pub").read_text().strip())
    stack = pulumi_workspace(REPO / "tests" / "e2e" / "programs" / "lookups")
    stack.set_config("vast:apiUrl", sim_url)
    stack.set_config("vast:apiKey", vast_account, secret=True)
    stack.set_config("instanceId", str(instance_id))
    stack.set_config("keyId", str(key.id))
    stack.set_config("query", QUERY)
    monkeypatch.setenv("VAST_API_KEY", vast_account)
    assert main(["offers", QUERY, "--url", sim_url, "--limit", "3", "--hours", "10", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)

    stack.up()

    outputs = stack.outputs()
    assert outputs["seen_gpu"] == offer.gpu_name
    assert outputs["seen_label"] == "made-by-hand"
    assert outputs["seen_image"] == "ubuntu:22.04"
    assert outputs["key_fingerprint"].startswith("SHA256:")
    assert outputs["offer_ids"] == [row["offer"] for row in listed]
    assert outputs["best_cost"] == pytest.approx(listed[0]["est. cost"], abs=0.01)
    assert outputs["picked_offer"] == listed[0]["offer"]
    assert outputs["vast_cost"]["instances"] == 1, "what get() reads is not the stack's to pay"
    read = {r["urn"].split("::")[-1]: r for r in stack.resources()}
    assert read["seen"]["external"] and read["their-key"]["external"]
    # The offer rented has left the market, so the best is another now; the instance stays.
    assert main(["offers", QUERY, "--url", sim_url, "--limit", "3", "--json"]) == 0
    assert listed[0]["offer"] not in [row["offer"] for row in json.loads(capsys.readouterr().out)]
    stack.preview("--expect-no-changes")

    stack.destroy()

    # Read, never managed: both are still there.
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [instance_id]
    with VastClient(sim_url, vast_account) as client:
        assert [k.id for k in client.ssh_keys.list()] == [key.id]
        client.instances.destroy(instance_id)
