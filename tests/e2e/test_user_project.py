"""A Pulumi user's own project, set up the way users set one up, against the simulator.

The wheel is built from the repository's files; the project lives outside the repository
with its own virtualenv, made by `pulumi install` from a requirements.txt naming the wheel
(and `only-here`, a package no other environment has), with the SDK constraints.txt pins
or the oldest the package declares it supports. The CLI is the repository's engine
build, called by its path with the user's virtualenv active and the repository's nowhere
on PATH: the plugins it runs are the ones beside it, as for any user of that build. The
program declares an SSH key and two instances; `up`, a no-change `preview` and `destroy`
follow, and the simulator's ledger says what was rented and given back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.engine.workspace import venv_bin_dir
from pulumi_vast.sim.testing import SimAdmin
from pulumi_vast.stack import generate_key_pair
from tests.e2e.conftest import REPO, copy_tracked_files
from tests.e2e.test_lifecycle import billing, over_ssh
from tests.fixtures import ONLY_HERE

pytestmark = pytest.mark.slow

INSTALL_TIMEOUT_S = 900


def _oldest_declared_sdk() -> str:
    """The lower bound of the SDK range pyproject.toml declares (`pulumi>=X,<4`)."""
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    [bound] = [m.group(1) for d in dependencies if (m := re.fullmatch(r"pulumi>=([\d.]+),<4", d))]
    return bound


OLDEST_SDK = _oldest_declared_sdk()
OLDEST_SDK_OWN_PINS = ("pulumi", "protobuf", "grpcio", "semver")
"""constraints.txt lines that SDK cannot share (it pins protobuf~=4.21, grpcio~=1.66.2,
semver~=2.13)."""
PROGRAM = """\
import importlib.metadata
import sys

import only_here
import pulumi

import pulumi_vast as vast

config = pulumi.Config()
key = vast.SshKey("me", public_key=open(config.require("publicKeyFile")).read())
query = vast.Query.where(vast.F.gpu_ram >= 24, vast.F.num_gpus == 1, vast.F.reliability > 0.95)
gpus = [
    vast.Instance(
        f"gpu-{n}",
        vast.InstanceArgs(
            query=query,
            image="pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel",
            disk_gb=20,
            ready=vast.ReadyArgs(ssh=True, probe='test -n "$CONTAINER_ID"', timeout=120),
        ),
        pulumi.ResourceOptions(depends_on=[key]),
    )
    for n in range(2)
]
pulumi.export("python", sys.prefix)
pulumi.export("sdk", importlib.metadata.version("pulumi"))
pulumi.export("only_here", only_here.WHERE)
pulumi.export("instance_ids", [gpu.instance_id for gpu in gpus])
pulumi.export("ssh", gpus[0].ssh_command)
"""


def build_wheel(where: Path) -> Path:
    """`pip wheel --no-deps` of a fresh copy of the repository (the build writes into it)."""
    source = copy_tracked_files(where / "source")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(where), str(source)],
        check=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    [wheel] = where.glob("pulumi_vast-*.whl")
    return wheel


def requirements(sdk: str, wheel: Path, where: Path) -> str:
    """A requirements.txt for the project: the wheel, only-here, and `sdk` pinned."""
    pins = (REPO / "constraints.txt").read_text().splitlines()
    if sdk != _pinned_sdk(pins):
        pins = [line for line in pins if line.split("==")[0] not in OLDEST_SDK_OWN_PINS]
        pins.append(f"pulumi=={sdk}")
    (where / "constraints.txt").write_text("\n".join(pins) + "\n")
    only_here = shutil.copytree(ONLY_HERE, where / "only_here")
    return f"-c {where / 'constraints.txt'}\npulumi=={sdk}\n{wheel}\n{only_here}\n"


def _pinned_sdk(pins: list[str]) -> str:
    [version] = [line.split("==")[1] for line in pins if line.startswith("pulumi==")]
    return version


PINNED_SDK = _pinned_sdk((REPO / "constraints.txt").read_text().splitlines())


@pytest.mark.parametrize("sdk", [PINNED_SDK, OLDEST_SDK], ids=["pinned-sdk", "oldest-sdk"])
def test_a_users_own_project_and_virtualenv_with_the_wheel(
    sdk: str, tmp_path: Path, sim_url: str, vast_account: str, sim_admin: SimAdmin
) -> None:
    wheel = build_wheel(tmp_path / "dist")
    project = tmp_path / "my-gpus"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: my-gpus\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )
    (project / "__main__.py").write_text(PROGRAM)
    (project / "requirements.txt").write_text(requirements(sdk, wheel, tmp_path))
    key = tmp_path / "keys" / "id_ed25519"
    generate_key_pair(key.with_suffix(".pub"))
    venv = project / "venv"
    user = PulumiWorkspace(
        project,
        backend_url=(tmp_path / "backend").as_uri(),
        pulumi_bin=venv_bin_dir() / "pulumi",  # this repository's engine build, by path
        pulumi_home=tmp_path / "pulumi-home",
        # the user's virtualenv active; this repository's nowhere
        env={"PATH": os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"])},
    )
    (tmp_path / "backend").mkdir()

    installed = user.run("install", timeout=INSTALL_TIMEOUT_S)
    user.init_stack("dev")
    user.set_config("vast:apiUrl", sim_url)
    user.set_config("vast:apiKey", vast_account, secret=True)
    user.set_config("vast:sshPrivateKeyFile", str(key))
    user.set_config("publicKeyFile", str(key.with_suffix(".pub")))

    assert (venv / "bin" / "pulumi-vast").exists()
    assert not list((venv / "bin").glob("pulumi-*-python")), "the wheel installs no plugin"
    up = user.up()
    outputs = user.outputs()
    preview = user.preview("--expect-no-changes")

    assert "only-here-1.0" in installed.stdout and "pulumi-vast-0.1.0" in installed.stdout
    assert outputs["python"] == str(venv)
    assert Version(outputs["sdk"]) == Version(sdk)
    assert outputs["only_here"] == "the project's own virtualenv"
    rented = sorted(row["id"] for row in billing(sim_admin, vast_account))
    assert sorted(outputs["instance_ids"]) == rented and len(rented) == 2
    assert over_ssh(outputs["ssh"], "echo $CONTAINER_ID") == str(outputs["instance_ids"][0])
    for done in (installed, up, preview):
        assert "from $PATH" not in done.stdout + done.stderr
        assert "stock host" not in done.stdout + done.stderr  # pulumi-vast's own served
    user.destroy()
    assert billing(sim_admin, vast_account) == []
    assert json.loads(user.run("stack", "output", "--json").stdout) == {}
