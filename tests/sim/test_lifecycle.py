"""Running instances are real: an SSH server on the proxy and direct ports, rooted in the
instance's folder, with Vast's environment, the onstart script, and keys that follow the
account; stop and destroy take all of it away."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest

from pulumi_vast.sim.masking import mask_key
from pulumi_vast.sim.testing import SimAdmin
from tests.sim.sshutil import new_key, public_line, ssh_run

pytestmark = pytest.mark.slow


@pytest.fixture
def api(vast_http: httpx.Client, vast_account: str, sim_admin: SimAdmin) -> httpx.Client:
    sim_admin.set_rate_limits(vast_account, False)
    return vast_http


def _boot(api: httpx.Client, sim_admin: SimAdmin, **body: Any) -> dict[str, Any]:
    offer = api.post(
        "/api/v0/bundles/", json={"num_gpus": {"eq": 1}, "rented": {"eq": False}}
    ).json()["offers"][0]
    response = api.put(
        f"/api/v0/asks/{offer['id']}/", json={"image": "ubuntu:22.04", "disk": 10, **body}
    )
    assert response.status_code == 200, response.text
    instance_id = response.json()["new_contract"]
    sim_admin.advance(1)
    instance: dict[str, Any] = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
    assert instance["actual_status"] == "running"
    return instance


def _wait_for(predicate: Any, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.05)


def test_ssh_on_both_ports_with_vast_environment_and_onstart(
    api: httpx.Client, sim_admin: SimAdmin
) -> None:
    key = new_key()
    api.post("/api/v0/ssh/", json={"ssh_key": public_line(key)})
    instance = _boot(
        api,
        sim_admin,
        env="-e GREETING=hello -p 8080:8080",
        onstart='echo "onstart $GREETING" > started.txt',
        label="job",
    )
    instance_id = instance["id"]
    direct = int(instance["ports"]["22/tcp"][0]["HostPort"])
    web = int(instance["ports"]["8080/tcp"][0]["HostPort"])
    folder = Path(sim_admin.instance(instance_id)["folder"])
    _wait_for(lambda: (folder / "started.txt").exists(), "onstart")
    assert (folder / "started.txt").read_text() == "onstart hello\n"
    script = (
        "echo $CONTAINER_ID $VAST_CONTAINERLABEL $PUBLIC_IPADDR $VAST_TCP_PORT_22 "
        "$VAST_TCP_PORT_8080 $GREETING; pwd; cat started.txt"
    )
    for port in (instance["ssh_port"], direct):
        status, out = ssh_run(port, key, script)
        assert status == 0
        assert out.splitlines() == [
            f"{instance_id} C.{instance_id} 127.0.0.1 {direct} {web} hello",
            str(folder),
            "onstart hello",
        ]
    assert ssh_run(instance["ssh_port"], key, "exit 3")[0] == 3
    scoped_key = ssh_run(direct, key, "echo $CONTAINER_API_KEY")[1].strip()
    assert sim_admin.instance(instance_id)["container_key"] == mask_key(scoped_key)


def test_keys_follow_the_account_and_the_instance(api: httpx.Client, sim_admin: SimAdmin) -> None:
    account_key, attached_key = new_key(), new_key()
    created = api.post("/api/v0/ssh/", json={"ssh_key": public_line(account_key)}).json()["key"]
    instance = _boot(api, sim_admin)
    port = instance["ssh_port"]
    with pytest.raises(asyncssh.PermissionDenied):
        ssh_run(port, attached_key, "true")
    api.post(
        f"/api/v0/instances/{instance['id']}/ssh/", json={"ssh_key": public_line(attached_key)}
    )
    assert ssh_run(port, attached_key, "echo in")[1] == "in\n"
    api.request("DELETE", f"/api/v0/ssh/{created['id']}/", json={})
    with pytest.raises(asyncssh.PermissionDenied):
        ssh_run(port, account_key, "true")
    later = new_key()
    api.post("/api/v0/ssh/", json={"ssh_key": public_line(later)})
    assert ssh_run(port, later, "echo later")[1] == "later\n", (
        "new account keys reach running instances"
    )


def test_stop_start_and_destroy_take_ssh_away_and_back(
    api: httpx.Client, sim_admin: SimAdmin
) -> None:
    key = new_key()
    api.post("/api/v0/ssh/", json={"ssh_key": public_line(key)})
    instance = _boot(api, sim_admin, onstart="sleep 600 & echo $! > sleeper.pid")
    instance_id, port = instance["id"], instance["ssh_port"]
    folder = Path(sim_admin.instance(instance_id)["folder"])
    _wait_for(lambda: (folder / "sleeper.pid").exists(), "onstart")
    sleeper = int((folder / "sleeper.pid").read_text())
    assert Path(f"/proc/{sleeper}").exists()
    api.put(f"/api/v0/instances/{instance_id}/", json={"state": "stopped"})
    with pytest.raises(OSError):
        ssh_run(port, key, "true", timeout=3)
    _wait_for(lambda: not Path(f"/proc/{sleeper}").exists(), "the onstart process to be killed")
    (folder / "kept.txt").write_text("data survives a stop")
    api.put(f"/api/v0/instances/{instance_id}/", json={"state": "running"})
    sim_admin.advance(1)
    back = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
    assert back["ssh_port"] == port, "a restart keeps its ports"
    assert ssh_run(port, key, "cat kept.txt")[1] == "data survives a stop"
    api.request("DELETE", f"/api/v0/instances/{instance_id}/", json={})
    with pytest.raises(OSError):
        ssh_run(port, key, "true", timeout=3)
    assert not folder.exists()


def test_an_instance_can_destroy_itself_with_its_own_key(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    watchdog = (
        'python3 -c "import os, urllib.request as u; e = os.environ; u.urlopen(u.Request('
        "e['VAST_URL'] + '/api/v0/instances/' + e['CONTAINER_ID'] + '/', method='DELETE', "
        "headers={'Authorization': 'Bearer ' + e['CONTAINER_API_KEY']}))\""
    )
    instance = _boot(api, sim_admin, onstart=watchdog)
    _wait_for(
        lambda: api.get(f"/api/v0/instances/{instance['id']}/").json()["instances"] is None,
        "the self-destroy",
    )
    (entry,) = sim_admin.ledger(vast_account)["instances"]
    assert entry["status"] == "destroyed"


def test_nvidia_smi_shows_the_instances_own_gpus(api: httpx.Client, sim_admin: SimAdmin) -> None:
    key = new_key()
    api.post("/api/v0/ssh/", json={"ssh_key": public_line(key)})
    instance = _boot(api, sim_admin)

    status, out = ssh_run(instance["ssh_port"], key, "nvidia-smi -L && nvidia-smi")

    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"GPU 0: {instance['gpu_name']} (UUID: GPU-sim-0)"
    assert f"CUDA Version: {instance['cuda_max_good']}" in out


def _answers_ssh(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        return conn.recv(64).startswith(b"SSH-2.0-")


def test_whatever_says_running_already_has_its_ports_and_a_listening_ssh_server(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 0.05)
    offers = api.post(
        "/api/v0/bundles/", json={"num_gpus": {"eq": 1}, "rented": {"eq": False}, "limit": 3}
    ).json()["offers"]
    body = {"image": "ubuntu:22.04", "disk": 10, "env": "-p 8080:8080"}
    ids = [api.put(f"/api/v0/asks/{o['id']}/", json=body).json()["new_contract"] for o in offers]
    seen_running: list[dict[str, Any]] = []
    pending = set(ids)
    while pending:  # as tight as a client that trusts `running` polls
        listed = api.get("/api/v1/instances/").json()["instances"]
        shown = [api.get(f"/api/v0/instances/{i}/").json()["instances"] for i in sorted(pending)]
        for row in [*listed, *shown]:
            if row["actual_status"] == "running" and row["id"] in pending:
                pending.discard(row["id"])
                seen_running.append(row)
    for row in seen_running:
        assert row["ports"]["22/tcp"][0]["HostPort"].isdigit(), row["ports"]
        assert row["ports"]["8080/tcp"][0]["HostPort"].isdigit(), row["ports"]
        assert (row["ssh_host"], type(row["ssh_port"])) == ("127.0.0.1", int)
        assert _answers_ssh(row["ssh_port"])
        assert _answers_ssh(int(row["ports"]["22/tcp"][0]["HostPort"]))


def _ledger_entry(sim_admin: SimAdmin, instance_id: int) -> dict[str, Any]:
    entries = {entry["id"]: entry for entry in sim_admin.ledger()["instances"]}
    entry: dict[str, Any] = entries[instance_id]
    return entry


def test_onstart_destroys_its_own_instance_with_its_scoped_key(
    api: httpx.Client, sim_admin: SimAdmin
) -> None:
    """What a TTL watchdog does on Vast: the instance's start-up calls the API with the key
    only it has (CONTAINER_API_KEY), which may destroy it and nothing else."""
    other = _boot(api, sim_admin)["id"]
    delete = (
        'curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $CONTAINER_API_KEY" '
        '"$VAST_URL/api/v0/instances/{id}/"'
    )
    instance_id = _boot(
        api,
        sim_admin,
        onstart=delete.replace("{id}", str(other)) + "; " + delete.replace("{id}", "$CONTAINER_ID"),
    )["id"]
    _wait_for(lambda: _ledger_entry(sim_admin, instance_id)["destroyed_at"], "the self-destroy")
    gone = _ledger_entry(sim_admin, instance_id)
    assert gone["status"] == "destroyed" and gone["dph_now"] == 0
    assert api.get(f"/api/v0/instances/{instance_id}/").json()["instances"] is None
    kept = _ledger_entry(sim_admin, other)
    assert kept["destroyed_at"] is None and kept["dph_now"] > 0, "its key reaches no other"
    sim_admin.advance(3600)
    assert _ledger_entry(sim_admin, instance_id)["total_cost"] == gone["total_cost"], (
        "billing stopped when it destroyed itself"
    )


def test_the_container_clock_is_the_simulators(api: httpx.Client, sim_admin: SimAdmin) -> None:
    """A test's clock advance reaches the containers too, as the ledger and start dates see
    it: an hour later for the simulator is an hour later for `date` inside the instance."""
    key = new_key()
    api.post("/api/v0/ssh/", json={"ssh_key": public_line(key)})
    port = _boot(api, sim_admin)["ssh_port"]
    sim_admin.advance(7200)
    inside = int(ssh_run(port, key, "date +%s")[1])
    assert abs(inside - sim_admin.now()) < 600, "the container reads the simulator's clock"
    assert int(ssh_run(port, key, "date -d @0 +%s")[1]) == 0, "other times: date as usual"
