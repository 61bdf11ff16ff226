"""Where a local simulator keeps its world by default: never in the current folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pulumi_vast._sim_home import default_sim_data_dir
from pulumi_vast.resources._settings import ProviderSettings
from pulumi_vast.sim.options import SimOptions


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


@pytest.mark.xfail(
    strict=True,
    reason="needs `SIM_DATA_DIR` in resources/_settings.py to come from default_sim_data_dir "
    "(a change the toolchain branch left to the resources' owner)",
)
def test_a_local_stack_and_offers_use_the_same_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_VAST_SIM_DATA", raising=False)

    settings = ProviderSettings.from_config({"vast:apiUrl": "local"})

    assert settings.sim_data_dir == default_sim_data_dir()


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
