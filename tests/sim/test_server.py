"""The simulator as processes: clean shutdown, persistence across restarts, one server per
data folder, `ensure_running` reuse and races, `--api-key`, and the `sim` CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_vast.sim.datadir import read_admin_token
from pulumi_vast.sim.server import SERVER_FILE, ensure_running, live_server, stop_server
from pulumi_vast.sim.testing import SimAdmin, SimulatorProcess
from tests.sim.sshutil import container_key, new_key, public_line, ssh_run

pytestmark = pytest.mark.slow


def _client(url: str, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=url, headers=headers, trust_env=False, timeout=30)


def _boot(client: httpx.Client, admin: Any, **body: Any) -> dict[str, Any]:
    offer = client.post("/api/v0/bundles/", json={"num_gpus": {"eq": 1}}).json()["offers"][0]
    created = client.put(f"/api/v0/asks/{offer['id']}/", json={"image": "img", **body}).json()
    admin.advance(1)
    instance: dict[str, Any] = client.get(f"/api/v0/instances/{created['new_contract']}/").json()[
        "instances"
    ]
    return instance


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def test_sigterm_shuts_down_cleanly(tmp_path: Path) -> None:
    sim = SimulatorProcess.start(tmp_path, boot_delay=0)
    key = new_key()
    with _client(sim.url, "k") as client:
        client.post("/api/v0/ssh/", json={"ssh_key": public_line(key)})
        instance = _boot(client, sim.admin, onstart="sleep 600 & echo $! > sleeper.pid")
    folder = Path(sim.admin.instance(instance["id"])["folder"])
    deadline = time.monotonic() + 10
    while not (folder / "sleeper.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    sleeper = int((folder / "sleeper.pid").read_text())
    assert ssh_run(instance["ssh_port"], key, "echo up")[1] == "up\n"
    assert sim.stop() == 0
    assert not (tmp_path / SERVER_FILE).exists()
    assert not _alive(sleeper), "processes started in instances die with the simulator"
    with pytest.raises(OSError):
        ssh_run(instance["ssh_port"], key, "true", timeout=3)


def test_sigint_shuts_down_cleanly_too(tmp_path: Path) -> None:
    sim = SimulatorProcess.start(tmp_path)
    sim.process.send_signal(signal.SIGINT)
    assert sim.process.wait(timeout=30) == 0
    assert not (tmp_path / SERVER_FILE).exists()
    assert "Traceback" not in sim.log_path.read_text()


def test_world_and_ssh_come_back_after_a_restart(tmp_path: Path) -> None:
    key = new_key()
    with SimulatorProcess.start(tmp_path, boot_delay=0) as first:
        with _client(first.url, "k") as client:
            client.post("/api/v0/ssh/", json={"ssh_key": public_line(key)})
            instance = _boot(client, first.admin, label="survivor")
        first.admin.advance(3600)
        before = first.admin.ledger()
    with SimulatorProcess.start(tmp_path, boot_delay=0) as second:
        with _client(second.url, "k") as client:
            again = client.get(f"/api/v0/instances/{instance['id']}/").json()["instances"]
            assert (again["actual_status"], again["label"]) == ("running", "survivor")
            assert client.get("/api/v0/ssh/").json()[0]["key"] == public_line(key)
        assert again["ssh_port"] == instance["ssh_port"], "same ports when free"
        assert ssh_run(again["ssh_port"], key, "echo back")[1] == "back\n"
        after = second.admin.ledger()
        assert after["now"] >= before["now"], "the clock's advance persisted"
        assert after["instances"][0]["running_seconds"] >= before["instances"][0]["running_seconds"]


def test_one_server_per_data_folder(tmp_path: Path) -> None:
    with SimulatorProcess.start(tmp_path):
        second = subprocess.run(
            [sys.executable, "-m", "pulumi_vast.sim", "--data", str(tmp_path), "--port", "0"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert second.returncode == 1
    assert "already serves" in second.stderr


@pytest.fixture
def detached_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    stop_server(tmp_path)


def test_ensure_running_starts_one_detached_server_for_concurrent_callers(
    detached_dir: Path,
) -> None:
    script = (
        "import sys; from pathlib import Path; from pulumi_vast.sim.server import ensure_running;"
        "print(ensure_running(Path(sys.argv[1]), boot_delay=0))"
    )
    callers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(detached_dir)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    urls = {caller.communicate(timeout=90)[0].strip() for caller in callers}
    assert all(caller.returncode == 0 for caller in callers)
    assert len(urls) == 1
    (url,) = urls
    info = live_server(detached_dir)
    assert info is not None and info.url == url
    assert _alive(info.pid), "the server outlives the processes that asked for it"
    assert ensure_running(detached_dir) == url, "a live server is reused"
    assert (detached_dir / "sim.log").exists()
    stopped = stop_server(detached_dir)
    assert stopped is not None and not _alive(stopped.pid)
    assert live_server(detached_dir) is None


def test_fixed_api_key_rejects_others_as_vast_does(tmp_path: Path) -> None:
    with SimulatorProcess.start(tmp_path, api_key="the-key", boot_delay=0) as sim:
        with _client(sim.url, "the-key") as owner:
            assert owner.get("/api/v0/users/current/").status_code == 200
            instance = _boot(owner, sim.admin)
            scoped_key = container_key(owner, instance["ssh_port"])
        with _client(sim.url, "wrong") as stranger:
            user = stranger.get("/api/v0/users/current/")
            assert (user.status_code, user.json()["msg"]) == (401, "Invalid user key")
            listings = {stranger.get("/api/v1/instances/").status_code for _ in range(8)}
            assert listings == {401}, "a bad key is answered as such, never with a 429"
            assert stranger.post("/api/v0/bundles/", json={}).status_code == 404
            assert (
                stranger.request("DELETE", f"/api/v0/instances/{instance['id']}/").status_code
                == 404
            )
        with _client(sim.url, None) as anonymous:
            assert anonymous.get("/api/v0/users/current/").status_code == 401
        with _client(sim.url, scoped_key) as own:
            shown = own.get(f"/api/v0/instances/{instance['id']}/").json()["instances"]
            assert shown["id"] == instance["id"]


def _sim_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulumi_vast.cli", "sim", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sim_cli_status_ledger_stop(detached_dir: Path) -> None:
    data = str(detached_dir)
    assert _sim_cli("status", "--data", data).returncode == 1
    url = ensure_running(detached_dir, boot_delay=0)
    status = _sim_cli("--data", data, "status")
    assert status.returncode == 0
    assert url in status.stdout
    with _client(url, "ledger-key") as client, SimAdmin(url, data_dir=detached_dir) as admin:
        instance = _boot(client, admin, label="billed")
    table = _sim_cli("ledger", "--data", data)
    assert table.returncode == 0, table.stderr
    assert str(instance["id"]) in table.stdout
    assert "billed" in table.stdout
    assert "1 running" in table.stdout
    token = read_admin_token(detached_dir)
    as_json = json.loads(_sim_cli("ledger", "--url", url, "--token", token, "--json").stdout)
    assert as_json["totals"]["running"] == 1
    refused = _sim_cli("ledger", "--url", url, "--token", "wrong")
    assert refused.returncode == 1
    assert "403" in refused.stderr and "wrong admin token" in refused.stderr
    stop = _sim_cli("stop", "--data", data)
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert _sim_cli("status", "--data", data).returncode == 1
    offline = _sim_cli("ledger", "--data", data, "--json")
    assert offline.returncode == 0, offline.stderr
    assert [e["id"] for e in json.loads(offline.stdout)["instances"]] == [instance["id"]]
    missing = _sim_cli("ledger", "--data", str(detached_dir / "nothing"))
    assert missing.returncode == 1
    assert "no simulator data" in missing.stderr


def test_serve_in_the_foreground_announces_and_refuses_a_busy_port(tmp_path: Path) -> None:
    with SimulatorProcess.start(tmp_path / "a") as running:
        port = running.url.rsplit(":", 1)[1]
        busy = subprocess.run(
            [
                sys.executable,
                "-m",
                "pulumi_vast.sim",
                "--data",
                str(tmp_path / "b"),
                "--port",
                port,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ},
        )
    assert busy.returncode == 1
    assert "--port 0" in busy.stderr
    log = (tmp_path / "a" / "sim.log").read_text()
    assert f"serving {running.url}" in log


def test_idle_server_exits_only_when_no_instance_is_running(tmp_path: Path) -> None:
    sim = SimulatorProcess.start(tmp_path, boot_delay=0, idle_timeout=0.5)
    try:
        with _client(sim.url, "k") as client:
            instance = _boot(client, sim.admin)
            time.sleep(1.5)
            assert sim.process.poll() is None, "a running instance keeps the simulator up"
            client.request("DELETE", f"/api/v0/instances/{instance['id']}/")
        assert sim.process.wait(timeout=30) == 0
        assert not (tmp_path / SERVER_FILE).exists()
    finally:
        sim.stop()
