"""`max_hours`: the watchdog a TTL'd instance starts with, run by the simulator as Vast runs
a start-up script, destroys its instance at the deadline with the instance's own key."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from pulumi_vast.resources import _ttl as ttl
from pulumi_vast.sim.testing import SimAdmin


def test_deadline_and_its_text() -> None:
    assert ttl.deadline(0.5, now=1_000.0) == 2_800
    assert ttl.iso(1_796_000_000) == "2026-11-30T00:53:20Z"
    assert ttl.parse_iso(ttl.iso(1_796_000_000)) == 1_796_000_000
    assert ttl.expiry_of({ttl.EXPIRES_ENV: "1796000000"}) == 1_796_000_000
    assert ttl.expiry_of({}) is None


def test_the_watchdog_never_carries_a_key_and_keeps_the_users_script() -> None:
    script = ttl.with_watchdog("https://console.vast.ai/", "pip install -r req.txt")
    assert "https://console.vast.ai/api/v0/instances/$CONTAINER_ID/" in script
    assert "$CONTAINER_API_KEY" in script and "VAST_API_KEY" not in script
    assert script.endswith("\npip install -r req.txt")
    assert ttl.with_watchdog("http://x", None) == ttl.watchdog("http://x")


def _ledger_entry(sim_admin: SimAdmin, instance_id: int) -> dict[str, Any]:
    entry: dict[str, Any] = {e["id"]: e for e in sim_admin.ledger()["instances"]}[instance_id]
    return entry


@pytest.mark.slow
def test_the_watchdog_destroys_its_instance_at_the_deadline(
    vast_api: httpx.Client, sim_url: str, sim_admin: SimAdmin
) -> None:
    offer = vast_api.post("/api/v0/bundles/", json={"num_gpus": {"eq": 1}}).json()["offers"][0]
    body = {
        "image": "ubuntu:22.04",
        "disk": 10,
        "env": {ttl.EXPIRES_ENV: str(int(sim_admin.now()) + 3600)},
        "onstart": ttl.with_watchdog(sim_url, "echo started > started.txt"),
    }
    instance_id = vast_api.put(f"/api/v0/asks/{offer['id']}/", json=body).json()["new_contract"]
    sim_admin.advance(1)
    assert _ledger_entry(sim_admin, instance_id)["destroyed_at"] is None
    sim_admin.advance(3600)  # the container's clock too (`sim.container_clock`)
    deadline = time.monotonic() + 60
    while _ledger_entry(sim_admin, instance_id)["destroyed_at"] is None:
        assert time.monotonic() < deadline, "the watchdog did not destroy its instance"
        time.sleep(0.1)
    entry = _ledger_entry(sim_admin, instance_id)
    assert entry["dph_now"] == 0
    assert vast_api.get(f"/api/v0/instances/{instance_id}/").json()["instances"] is None
