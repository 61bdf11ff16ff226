"""The Python a Pulumi project runs with, from Pulumi.yaml's `runtime.options`.

The options Pulumi documents for Python, read as its Go language host reads them
(sdk/python/toolchain, v3.250.0):

    virtualenv   a virtual environment, relative to the project folder (Pulumi.yaml's)
    toolchain    pip (the default), poetry or uv; unset, a uv.lock or poetry.lock in the
                 program folder or above picks uv or poetry
    typechecker  mypy or pyright, run as `python -m CHECKER PROGRAM_FOLDER` before the
                 program, which runs only if it passes

pip without `virtualenv` means the Python on PATH (`$PULUMI_PYTHON_CMD`, else `python3`,
else `python`): an activated virtual environment's. With poetry the environment is the one
`poetry env info --path` names; with uv, `virtualenv` or the `.venv` beside the nearest
uv.lock or pyproject.toml, synced (`uv sync --inexact`) before each run as `uv run` would.

`install_dependencies` is `pulumi install`: pip creates the environment (`python3 -m venv`)
and installs requirements.txt; poetry runs `poetry install`, uv `uv sync`. Unlike the Go
host, it does not turn a requirements.txt into a pyproject.toml for poetry or uv.

Stdlib only: the dynamic-provider launcher imports this before choosing an interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from pulumi_vast.engine.errors import EngineError

__all__ = [
    "PYTHON_CMD_ENV",
    "TOOLCHAINS",
    "TYPECHECKERS",
    "Interpreter",
    "PythonOptions",
    "ToolchainError",
    "install_dependencies",
    "resolve",
    "typecheck",
]

Toolchain = Literal["pip", "poetry", "uv"]
Typechecker = Literal["mypy", "pyright"]
TOOLCHAINS: tuple[Toolchain, ...] = ("pip", "poetry", "uv")
TYPECHECKERS: tuple[Typechecker, ...] = ("mypy", "pyright")
PYTHON_CMD_ENV = "PULUMI_PYTHON_CMD"
_LOCKFILES: tuple[tuple[str, Toolchain], ...] = (("uv.lock", "uv"), ("poetry.lock", "poetry"))
_UV_DEFAULT_VENV = ".venv"
_PROBE_TIMEOUT_S = 60.0

Output = Callable[[str], None]
"""Where `pulumi install` shows what it does, line by line."""


class ToolchainError(EngineError):
    """The project's Python cannot be found or prepared; the message says what to do."""


@dataclass(frozen=True)
class PythonOptions:
    root: Path
    """The project folder (Pulumi.yaml's)."""
    program_dir: Path
    virtualenv: str | None = None
    toolchain: Toolchain | None = None
    """None: chosen by lock files (uv.lock, poetry.lock), else pip."""
    typechecker: Typechecker | None = None

    @classmethod
    def parse(
        cls, root: str | Path, program_dir: str | Path, options: Mapping[str, object]
    ) -> PythonOptions:
        """Pulumi.yaml's `runtime.options` (other keys are the engine's, and ignored)."""
        root_path = Path(root or program_dir or ".").absolute()
        return cls(
            root=root_path,
            program_dir=Path(program_dir).absolute() if program_dir else root_path,
            virtualenv=_text(options, "virtualenv") or None,
            toolchain=cast("Toolchain | None", _choice(options, "toolchain", TOOLCHAINS)),
            typechecker=cast("Typechecker | None", _choice(options, "typechecker", TYPECHECKERS)),
        )

    @property
    def chosen_toolchain(self) -> Toolchain:
        if self.toolchain is not None:
            return self.toolchain
        for lockfile, toolchain in _LOCKFILES:
            if _search_up(self.program_dir, lockfile) is not None:
                return toolchain
        return "pip"


def _text(options: Mapping[str, object], key: str) -> str:
    value = options.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ToolchainError(f"the {key} option in Pulumi.yaml must be a string, got {value!r}")
    return value


def _choice(options: Mapping[str, object], key: str, choices: Sequence[str]) -> str | None:
    value = _text(options, key)
    if value and value not in choices:
        raise ToolchainError(
            f"unsupported {key} option in Pulumi.yaml: {value!r}; choose one of "
            f"{', '.join(choices)}"
        )
    return value or None


@dataclass(frozen=True)
class Interpreter:
    """A Python to run the program with, and the virtual environment it belongs to."""

    python: Path
    virtualenv: Path | None

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` with the virtual environment activated, as the Go host does it."""
        env = {k: v for k, v in base.items() if k not in ("PYTHONHOME", "VIRTUAL_ENV")}
        if self.virtualenv is not None:
            bin_dir = str(self.virtualenv / "bin")
            env["PATH"] = os.pathsep.join(filter(None, [bin_dir, base.get("PATH", "")]))
            env["VIRTUAL_ENV"] = str(self.virtualenv)
        return env

    @property
    def is_current(self) -> bool:
        """Whether this is the running process's own Python, with the same packages.

        A virtual environment's `python` is a link to its base interpreter, so the
        environments are compared, not the resolved executables.
        """
        if self.virtualenv is not None:
            return _same_path(self.virtualenv, Path(sys.prefix))
        return sys.prefix == sys.base_prefix and _same_path(self.python, Path(sys.executable))

    def about(self, env: Mapping[str, str] | None = None) -> tuple[str, str]:
        """Its executable and version (`sys.executable`, "3.11.2")."""
        if self.is_current:
            return sys.executable, ".".join(map(str, sys.version_info[:3]))
        lines = self._ask(_ABOUT, env).splitlines()
        if len(lines) != 2:
            raise ToolchainError(f"{self.python} did not say what it is: {lines!r}")
        return lines[0], lines[1]

    def distributions(self, env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
        """The packages installed in its environment: (name, version), by name."""
        found: list[list[str]] = json.loads(self._ask(_DISTRIBUTIONS, env))
        return [(name, version) for name, version in found]

    def _ask(self, code: str, env: Mapping[str, str] | None) -> str:
        done = subprocess.run(
            [str(self.python), "-c", code],
            env=self.environment(os.environ if env is None else env),
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise ToolchainError(f"{self.python} failed: {done.stderr.strip()}")
        return done.stdout


_ABOUT = "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"
_DISTRIBUTIONS = (
    "import importlib.metadata as m, json\n"
    "found = {}\n"
    "for d in m.distributions():\n"
    "    name = (d.metadata['Name'] or '').lower()\n"
    "    if name: found.setdefault(name, d.version)\n"
    "print(json.dumps(sorted(found.items())))\n"
)


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def resolve(
    options: PythonOptions,
    *,
    env: Mapping[str, str] | None = None,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> Interpreter:
    """The Python the program of `options` runs with; ToolchainError says why there is none
    (and what to run, usually `pulumi install`)."""
    env = os.environ if env is None else env
    toolchain = options.chosen_toolchain
    if toolchain == "poetry":
        return _with_python(_poetry_env(options, env, run), "poetry")
    if toolchain == "uv":
        venv = _uv_env(options)
        _uv(["sync", "--inexact"], options, venv, env, run=run, only_with_pyproject=True)
        return _with_python(venv, "uv")
    if options.virtualenv is None:
        python = ambient_python(env)
        return Interpreter(python=python, virtualenv=_virtualenv_of(python))
    venv = _absolute(options.root, options.virtualenv)
    if not _is_virtualenv(venv):
        raise ToolchainError(_missing_virtualenv(options.virtualenv, venv))
    return Interpreter(python=venv / "bin" / "python", virtualenv=venv)


def ambient_python(env: Mapping[str, str]) -> Path:
    """`$PULUMI_PYTHON_CMD`, else `python3`, else `python`, found on env's PATH."""
    wanted = env.get(PYTHON_CMD_ENV)
    for name in [wanted] if wanted else ["python3", "python"]:
        found = shutil.which(name, path=env.get("PATH", os.defpath))
        if found:
            return Path(found)
    names = wanted or "python3 or python"
    raise ToolchainError(f"no {names} on PATH: install Python 3, or set virtualenv in Pulumi.yaml")


def typecheck(
    options: PythonOptions,
    interpreter: Interpreter,
    *,
    env: Mapping[str, str] | None = None,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> None:
    """Run the typechecker Pulumi.yaml asks for (its output goes where ours goes); raise
    ToolchainError if it is not installed or finds errors."""
    checker = options.typechecker
    if checker is None:
        return
    activated = interpreter.environment(os.environ if env is None else env)
    installed = run(
        [
            str(interpreter.python),
            "-c",
            f"import importlib.util as u, sys; sys.exit(u.find_spec({checker!r}) is None)",
        ],
        env=activated,
        check=False,
    )
    if installed.returncode != 0:
        raise ToolchainError(
            f"the typechecker option is set to {checker}, but {checker} is not installed in "
            f"{interpreter.virtualenv or interpreter.python}: add it to the project's "
            "dependencies and run `pulumi install`"
        )
    checked = run(
        [str(interpreter.python), "-m", checker, str(options.program_dir)],
        env=activated,
        cwd=options.root,
        check=False,
    )
    if checked.returncode != 0:
        raise ToolchainError(f"{checker} failed (exit status {checked.returncode})")


def install_dependencies(
    options: PythonOptions,
    output: Output,
    *,
    env: Mapping[str, str] | None = None,
) -> None:
    """`pulumi install`: make the project's environment and install its dependencies."""
    env = os.environ if env is None else env
    toolchain = options.chosen_toolchain
    if toolchain == "poetry":
        _stream([_tool("poetry", env), "install", "--no-ansi"], options.program_dir, env, output)
        return
    if toolchain == "uv":
        _uv(["sync"], options, _uv_env(options), env, output=output)
        return
    venv = _absolute(options.root, options.virtualenv) if options.virtualenv else None
    if venv is not None and not _is_virtualenv(venv):
        output(f"Creating virtual environment {venv} ...")
        _stream([str(ambient_python(env)), "-m", "venv", str(venv)], options.root, env, output)
    python = venv / "bin" / "python" if venv is not None else ambient_python(env)
    interpreter = Interpreter(python, _virtualenv_of(python))
    requirements = options.program_dir / "requirements.txt"
    if not requirements.is_file():
        output("No requirements.txt: nothing to install.")
        return
    output(f"Installing {requirements} ...")
    _stream(
        [str(interpreter.python), "-m", "pip", "install", "-r", str(requirements)],
        options.program_dir,
        interpreter.environment(env),
        output,
    )


def _poetry_env(
    options: PythonOptions,
    env: Mapping[str, str],
    run: Callable[..., subprocess.CompletedProcess[str]],
) -> Path:
    done = run(
        [_tool("poetry", env), "env", "info", "--path"],
        cwd=options.program_dir,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=_PROBE_TIMEOUT_S,
        check=False,
    )
    path = done.stdout.strip()
    if done.returncode != 0 or not path:
        raise ToolchainError(
            f"poetry has no environment for {options.program_dir}: run `pulumi install` "
            f"(poetry install)\n{done.stderr.strip()}".rstrip()
        )
    return Path(path)


def _uv_env(options: PythonOptions) -> Path:
    if options.virtualenv:
        return _absolute(options.root, options.virtualenv)
    anchor = _search_up(options.root, "uv.lock") or _search_up(options.root, "pyproject.toml")
    return (anchor or options.root) / _UV_DEFAULT_VENV


def _uv(
    args: list[str],
    options: PythonOptions,
    venv: Path,
    env: Mapping[str, str],
    *,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    output: Output | None = None,
    only_with_pyproject: bool = False,
) -> None:
    """`uv ARGS` for the project's environment; its output shown (`output`) or captured."""
    if only_with_pyproject and _search_up(options.root, "pyproject.toml") is None:
        return
    argv = [_tool("uv", env), *args]
    uv_env = {**env, "UV_PROJECT_ENVIRONMENT": str(venv)}
    if output is not None:
        _stream(argv, options.root, uv_env, output)
        return
    done = run(argv, cwd=options.root, env=uv_env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ToolchainError(f"`uv {' '.join(args)}` failed:\n{done.stderr.strip()}")


def _with_python(venv: Path, toolchain: str) -> Interpreter:
    if not _is_virtualenv(venv):
        raise ToolchainError(
            f"{venv} is not a virtual environment ({toolchain} made none): run `pulumi install`"
        )
    return Interpreter(python=venv / "bin" / "python", virtualenv=venv)


def _tool(name: str, env: Mapping[str, str]) -> str:
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found is None:
        raise ToolchainError(
            f"the toolchain option is {name}, but `{name}` is not on PATH: install it, or "
            "set toolchain: pip in Pulumi.yaml"
        )
    return found


def _stream(
    argv: list[str], cwd: Path, env: Mapping[str, str], output: Output, *, check: bool = True
) -> int:
    """Run `argv`, passing each line it prints to `output`; raise if it fails (`check`)."""
    output(f"$ {' '.join(argv)}")
    with subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            output(line.rstrip("\n"))
    if check and process.returncode != 0:
        raise ToolchainError(f"`{' '.join(argv)}` failed with exit status {process.returncode}")
    return process.returncode


def _absolute(root: Path, path: str) -> Path:
    return Path(os.path.normpath(root / Path(path).expanduser()))


def _virtualenv_of(python: Path) -> Path | None:
    """The virtual environment `python` (as found, links not followed) belongs to, if any."""
    home = python.parent.parent
    return home if (home / "pyvenv.cfg").is_file() else None


def _is_virtualenv(folder: Path) -> bool:
    return (folder / "bin" / "python").is_file()


def _search_up(start: Path, name: str) -> Path | None:
    for folder in [start, *start.parents]:
        if (folder / name).exists():
            return folder
    return None


def _missing_virtualenv(option: str, venv: Path) -> str:
    what = "doesn't appear to be a virtual environment" if venv.exists() else "doesn't exist"
    return (
        f"The 'virtualenv' option in Pulumi.yaml is set to {option!r}, but {venv} {what}. "
        "Run `pulumi install` to create it and install requirements.txt into it, or:\n"
        f"    python3 -m venv {venv}\n"
        f"    {venv}/bin/python -m pip install -r requirements.txt"
    )
