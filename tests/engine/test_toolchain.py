"""Which Python a project runs with: Pulumi.yaml's virtualenv, toolchain and typechecker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from pulumi_vast.engine.toolchain import (
    Interpreter,
    PythonOptions,
    ToolchainError,
    install_dependencies,
    resolve,
    typecheck,
)
from tests.fixtures import ONLY_HERE

OUR_PACKAGES = Path(sysconfig.get_paths()["purelib"])
"""This environment's site-packages (the Pulumi SDK, grpc...), which a test's own virtualenv
can see through a .pth file without installing anything."""


def make_venv(path: Path, *extra_paths: Path) -> Path:
    """A real virtual environment (no pip), seeing `extra_paths` through a .pth file."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    if extra_paths:
        [site] = (path / "lib").glob("python3*/site-packages")
        (site / "extra.pth").write_text("".join(f"{p}\n" for p in extra_paths))
    return path


def fake_tool(folder: Path, name: str, script: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!/bin/sh\n{script}\n")
    tool.chmod(0o755)
    return tool


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    return root


def test_options_default_to_pip_and_refuse_what_pulumi_does_not_know(project: Path) -> None:
    options = PythonOptions.parse(project, project, {})

    assert (options.virtualenv, options.toolchain, options.typechecker) == (None, None, None)
    assert options.chosen_toolchain == "pip"
    with pytest.raises(ToolchainError, match=r"toolchain option.*'conda'.*pip, poetry, uv"):
        PythonOptions.parse(project, project, {"toolchain": "conda"})
    with pytest.raises(ToolchainError, match=r"typechecker option.*'pytype'.*mypy, pyright"):
        PythonOptions.parse(project, project, {"typechecker": "pytype"})
    with pytest.raises(ToolchainError, match=r"virtualenv option .* must be a string"):
        PythonOptions.parse(project, project, {"virtualenv": True})


def test_a_lock_file_in_the_program_folder_or_above_picks_the_toolchain(project: Path) -> None:
    program = project / "infra"
    program.mkdir()
    (project / "poetry.lock").write_text("")

    assert PythonOptions.parse(project, program, {}).chosen_toolchain == "poetry"
    (program / "uv.lock").write_text("")
    assert PythonOptions.parse(project, program, {}).chosen_toolchain == "uv"
    assert PythonOptions.parse(project, program, {"toolchain": "pip"}).chosen_toolchain == "pip"


def test_virtualenv_is_relative_to_the_project_folder(project: Path) -> None:
    venv = make_venv(project / "venv")
    program = project / "infra"

    interpreter = resolve(PythonOptions.parse(project, program, {"virtualenv": "venv"}))

    assert interpreter == Interpreter(python=venv / "bin" / "python", virtualenv=venv)
    assert not interpreter.is_current


def test_a_missing_virtualenv_says_to_run_pulumi_install(project: Path) -> None:
    options = PythonOptions.parse(project, project, {"virtualenv": "venv"})

    with pytest.raises(ToolchainError, match=r"'venv'.*doesn't exist.*`pulumi install`"):
        resolve(options)
    (project / "venv").mkdir()
    with pytest.raises(ToolchainError, match="doesn't appear to be a virtual environment"):
        resolve(options)


def test_without_virtualenv_the_python_on_path_runs_it(project: Path, tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "activated")
    path = os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"])
    options = PythonOptions.parse(project, project, {})

    assert resolve(options, env={"PATH": path}) == Interpreter(venv / "bin" / "python3", venv)
    custom = resolve(options, env={"PATH": path, "PULUMI_PYTHON_CMD": "python"})
    assert custom.python == venv / "bin" / "python"
    with pytest.raises(ToolchainError, match="no python3 or python on PATH"):
        resolve(options, env={"PATH": str(tmp_path / "nowhere")})


def test_this_processes_own_environment_is_current(project: Path) -> None:
    options = PythonOptions.parse(project, project, {"virtualenv": sys.prefix})

    assert resolve(options).is_current


def test_an_activated_environment_is_what_the_program_sees() -> None:
    interpreter = Interpreter(Path("/v/bin/python"), Path("/v"))

    env = interpreter.environment({"PATH": "/usr/bin", "PYTHONHOME": "/x", "VIRTUAL_ENV": "/o"})

    assert env == {"PATH": f"/v/bin{os.pathsep}/usr/bin", "VIRTUAL_ENV": "/v"}


def test_poetry_names_the_environment(project: Path, tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "poetry-env")
    tools = tmp_path / "tools"
    fake_tool(tools, "poetry", f'[ "$*" = "env info --path" ] && echo {venv} || exit 3')
    options = PythonOptions.parse(project, project, {"toolchain": "poetry"})

    assert resolve(options, env={"PATH": str(tools)}).virtualenv == venv
    with pytest.raises(ToolchainError, match="`poetry` is not on PATH"):
        resolve(options, env={"PATH": str(tmp_path / "nowhere")})


def test_uv_syncs_the_environment_beside_its_lock_file_first(project: Path, tmp_path: Path) -> None:
    (project / "uv.lock").write_text("")
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    venv = make_venv(project / ".venv")
    tools = tmp_path / "tools"
    log = tmp_path / "uv.log"
    fake_tool(tools, "uv", f'echo "$* $UV_PROJECT_ENVIRONMENT" >> {log}')

    interpreter = resolve(PythonOptions.parse(project, project, {}), env={"PATH": str(tools)})

    assert interpreter.virtualenv == venv
    assert log.read_text() == f"sync --inexact {venv}\n"


def test_a_typechecker_that_is_not_installed_is_named(project: Path) -> None:
    options = PythonOptions.parse(project, project, {"typechecker": "pyright"})

    with pytest.raises(ToolchainError, match="set to pyright, but pyright is not installed"):
        typecheck(
            options, resolve(PythonOptions.parse(project, project, {"virtualenv": sys.prefix}))
        )


@pytest.mark.slow
def test_mypy_runs_before_the_program_and_its_errors_stop_it(project: Path) -> None:
    (project / "__main__.py").write_text("count: int = 'three'\n")
    options = PythonOptions.parse(project, project, {"typechecker": "mypy"})
    mine = resolve(PythonOptions.parse(project, project, {"virtualenv": sys.prefix}))

    with pytest.raises(ToolchainError, match=r"mypy failed \(exit status 1\)"):
        typecheck(options, mine)
    (project / "__main__.py").write_text("count: int = 3\n")
    typecheck(options, mine)


@pytest.mark.slow
def test_pulumi_install_makes_the_virtualenv_and_installs_requirements(
    project: Path, tmp_path: Path
) -> None:
    package = shutil.copytree(ONLY_HERE, tmp_path / "only_here")
    (project / "requirements.txt").write_text(f"{package}\n")
    options = PythonOptions.parse(project, project, {"virtualenv": "venv"})
    shown: list[str] = []
    env = {**os.environ, "PIP_NO_INDEX": "1", "PATH": f"{Path(sys.executable).parent}:/usr/bin"}

    install_dependencies(options, shown.append, env=env)

    interpreter = resolve(options)
    assert interpreter.virtualenv == project / "venv"
    assert ("only-here", "1.0") in interpreter.distributions()
    assert shown[0] == f"Creating virtual environment {project / 'venv'} ..."
    assert any("Successfully installed only-here-1.0" in line for line in shown)
