"""`/api/v0/secrets/` over HTTP: the account's env vars, and a new instance's SSH sessions
that have them."""

from __future__ import annotations

import httpx
import pytest

from pulumi_vast.sim.testing import SimAdmin
from tests.sim.renting import rent
from tests.sim.sshutil import new_key, public_line, ssh_run

pytestmark = pytest.mark.slow


def test_env_vars_over_http(vast_api: httpx.Client, sim_admin: SimAdmin) -> None:
    created = vast_api.post("/api/v0/secrets/", json={"key": "hf_token", "value": "abc.1"})
    assert created.json() == {"success": True, "msg": "Environment variable added successfully"}
    vast_api.put("/api/v0/secrets/", json={"key": "HF_TOKEN", "value": "abc.2"})
    vast_api.post("/api/v0/secrets/", json={"key": "OTHER", "value": "x"})
    listed = vast_api.get("/api/v0/secrets/").json()
    assert listed == {"success": True, "secrets": {"HF_TOKEN": "abc.2", "OTHER": "x"}}
    deleted = vast_api.request("DELETE", "/api/v0/secrets/", json={"key": "OTHER"})
    assert deleted.json()["success"] is True
    assert vast_api.get("/api/v0/secrets/").json()["secrets"] == {"HF_TOKEN": "abc.2"}

    again = vast_api.post("/api/v0/secrets/", json={"key": "HF_TOKEN", "value": "y"})
    gone = vast_api.request("DELETE", "/api/v0/secrets/", json={"key": "OTHER"})
    spaced = vast_api.put("/api/v0/secrets/", json={"key": "HF_TOKEN", "value": "a b"})
    for refused, code in ((again, "existing_key"), (gone, "nonexistent_key")):
        assert (refused.status_code, refused.json()["error"]) == (400, code)
    assert (spaced.status_code, spaced.json()["error"]) == (400, "invalid_characters")
    assert "a b" not in spaced.text


def test_a_new_instances_ssh_sessions_have_the_accounts_vars_its_own_env_winning(
    vast_api: httpx.Client, sim_admin: SimAdmin
) -> None:
    key = new_key()
    vast_api.post("/api/v0/ssh/", json={"ssh_key": public_line(key)})
    vast_api.post("/api/v0/secrets/", json={"key": "FROM_ACCOUNT", "value": "acct"})
    vast_api.post("/api/v0/secrets/", json={"key": "BOTH", "value": "acct"})
    instance = rent(vast_api, sim_admin, env="-e BOTH=own")

    status, out = ssh_run(instance["ssh_port"], key, "echo $FROM_ACCOUNT $BOTH")

    assert (status, out) == (0, "acct own\n")
