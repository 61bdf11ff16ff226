"""What a simulator keeps of the user who started it: its data folder, not their secrets.

The instances' commands run as the user and can read the simulator's own process
(`/proc/PID/environ`, `/proc/PID/cwd`), so the process itself must not hold them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_vast.sim.server import (
    ServerInfo,
    confined_environment,
    ensure_running,
    live_server,
    stop_server,
)

pytestmark = pytest.mark.slow

SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "canary-aws",
    "PULUMI_CONFIG_PASSPHRASE": "canary-passphrase",
    "PULUMI_ACCESS_TOKEN": "canary-token",
    "VAST_API_KEY": "canary-vast",
}
START_TIMEOUT_S = 60.0


def _process_environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = [entry.split(b"=", 1) for entry in raw.split(b"\0") if b"=" in entry]
    return {key.decode(): value.decode() for key, value in pairs}


def _assert_confined(info: ServerInfo, data: Path) -> None:
    environment = _process_environment(info.pid)
    assert not set(SECRETS) & set(environment)
    assert not [name for name, value in environment.items() if value.startswith("canary")]
    assert environment["HOME"] == str(data.resolve())
    assert os.readlink(f"/proc/{info.pid}/cwd") == str(data.resolve())


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user's project folder as the working directory, and secrets in the environment."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    yield folder


def test_a_simulator_started_on_demand_runs_confined_in_its_data_folder(
    project: Path, tmp_path: Path
) -> None:
    data = tmp_path / "sim"
    ensure_running(data, boot_delay=0)
    try:
        info = live_server(data)
        assert info is not None
        _assert_confined(info, data)
        assert list(project.iterdir()) == []
    finally:
        stop_server(data)


def test_pulumi_vast_sim_in_the_foreground_restarts_itself_confined(
    project: Path, tmp_path: Path
) -> None:
    data = tmp_path / "sim"
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi_vast.sim", "--port", "0", "--data", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        info = live_server(data)
        while info is None and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            info = live_server(data)
        assert info is not None, process.stderr.read() if process.poll() is not None else ""
        assert info.pid == process.pid  # the same process, re-executed
        _assert_confined(info, data)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert err.count("pulumi-vast sim: serving") == 1


def test_the_confined_environment_keeps_what_finds_programs_and_packages(tmp_path: Path) -> None:
    caller = {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": "/src",
        "HOME": "/home/me",
        "PULUMI_VAST_PROVIDER_THREADS": "8",
        **SECRETS,
    }

    confined = confined_environment(caller, tmp_path)

    assert {k: confined[k] for k in ("PATH", "LANG", "LC_ALL", "PYTHONPATH")} == {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": "/src",
    }
    assert confined["HOME"] == str(tmp_path)
    assert "PYTHONUSERBASE" in confined  # `pip install --user` packages stay importable
    assert not {"PULUMI_VAST_PROVIDER_THREADS", *SECRETS} & set(confined)
    assert confined_environment(confined, tmp_path) == confined
