"""Where a local simulator keeps its world by default: never in the current folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pulumi_vast._sim_home import default_sim_data_dir
from pulumi_vast.resources._settings import ProviderSettings
from pulumi_vast.sim.options import SimOptions
from pulumi_vast.sim.server import live_server, stop_server


def test_the_default_is_a_per_user_state_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/me")

    assert default_sim_data_dir({}) == Path("/home/me/.local/state/pulumi-vast/sim")
    assert default_sim_data_dir({"XDG_STATE_HOME": "/var/me"}) == Path("/var/me/pulumi-vast/sim")
    # the XDG spec: a relative path is invalid and ignored
    assert default_sim_data_dir({"XDG_STATE_HOME": "state"}) == default_sim_data_dir({})
    assert default_sim_data_dir({"PULUMI_VAST_SIM_DATA": "~/sim"}) == Path("/home/me/sim")


def test_the_simulator_serves_the_default_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_VAST_SIM_DATA", "/data/sim")

    assert SimOptions().data_dir == Path("/data/sim")


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No PULUMI_VAST_SIM_DATA (./dev sets it), and an XDG state folder of the test's own."""
    monkeypatch.delenv("PULUMI_VAST_SIM_DATA", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def test_a_local_stack_keeps_its_world_in_the_state_folder(state_home: Path) -> None:
    settings = ProviderSettings.from_config({"vast:apiUrl": "local"})

    assert settings.sim_data_dir == state_home / "pulumi-vast" / "sim"


@pytest.mark.slow
def test_offers_url_local_starts_the_simulator_there_not_here(
    state_home: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    data = state_home / "pulumi-vast" / "sim"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pulumi_vast.cli", "offers", "gpu_ram>=24", "--url", "local"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert live_server(data) is not None
        assert list(project.iterdir()) == []
    finally:
        stop_server(data)
        stop_server(project / ".state" / "sim")


def test_sim_status_run_anywhere_looks_in_the_state_folder_and_leaves_none_behind(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    home = tmp_path / "home"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}

    done = subprocess.run(
        [sys.executable, "-m", "pulumi_vast.sim", "status"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.stdout.strip() == f"no simulator serves {home}/.local/state/pulumi-vast/sim"
    assert list(project.iterdir()) == []
