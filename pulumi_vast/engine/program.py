"""Running a Pulumi Python program: where it is, its surroundings, the run, its failures.

What the engine sends (`RunRequest.info`, v3.250.0): `rootDirectory` (where Pulumi.yaml
is), `programDirectory` (root, or root/`main:` when `main` names a folder) and
`entryPoint` (a file name in that folder, or "." for the folder itself, which then needs a
`__main__.py`). This is how the Go Python host reads them too.

`run_program` runs one in this process; the language host calls it when the program's
Python is its own. For a program in another virtual environment the host runs this very
file with that environment's Python (`python -c EXEC_BOOTSTRAP program.py ARGS...`, see
`main`), as the Go host runs `pulumi-language-python-exec`: so this module imports only the
standard library and, when a program runs, the Pulumi SDK the program's environment has,
never pulumi_vast (which that environment may lack, or hold in another version).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import inspect
import json
import logging
import os
import runpy
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BAIL_STATUS",
    "EXEC_BOOTSTRAP",
    "EntryPoint",
    "ProgramNotFound",
    "RunOutcome",
    "RunSettings",
    "describe_failure",
    "main",
    "program_surroundings",
    "run_entry_point",
    "run_program",
]

MAIN_FILE = "__main__.py"
FAILURE_HEADING = "Program failed with an unhandled exception:"
BAIL_STATUS = 32
"""`main`'s exit status once the program's failure has been shown to the user (the Go
host's convention): the host then tells the engine to stop without repeating it."""
CONFIG_ENV = "PULUMI_CONFIG"
CONFIG_SECRET_KEYS_ENV = "PULUMI_CONFIG_SECRET_KEYS"
# What the SDK's own executors use: the engine's parallelism times 4 threads.
THREADS_PER_PARALLEL_STEP = 4
EXEC_BOOTSTRAP = (
    "import importlib.util as u, sys\n"
    # -c put the working directory first on sys.path; the program's folder goes there
    "del sys.path[0]\n"
    "spec = u.spec_from_file_location('_pulumi_vast_program', sys.argv[1])\n"
    "module = u.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "sys.exit(module.main(sys.argv[2:]))\n"
)
"""`python -c EXEC_BOOTSTRAP PATH_OF_THIS_FILE ARGS...` runs `main` in another interpreter
without putting this file's folder (pulumi_vast/engine: errors.py, setup.py...) on its
sys.path, where it would shadow the program's own modules."""


class ProgramNotFound(Exception):
    """The request names no runnable Python program.

    Not an `EngineError`: this module cannot import the engine layer's error tree."""


@dataclass(frozen=True)
class EntryPoint:
    path: Path
    """What runpy runs: a `.py` file, or a folder holding `__main__.py`."""
    directory: Path
    """The program folder: first on sys.path while the program runs."""
    root: Path
    """The project folder (Pulumi.yaml): frames from files below it are the user's."""

    @classmethod
    def resolve(cls, root: str, program_directory: str, entry_point: str) -> EntryPoint:
        directory = Path(program_directory or root).resolve()
        root_path = Path(root).resolve() if root else directory
        entry = entry_point or "."
        path = directory if entry == "." else directory / entry
        if path.is_dir():
            if not (path / MAIN_FILE).is_file():
                raise ProgramNotFound(
                    f"no {MAIN_FILE} in {path}: add one, or point `main:` in Pulumi.yaml at "
                    "the program's file or folder"
                )
        elif not path.is_file():
            raise ProgramNotFound(
                f"the program {path} does not exist (check `main:` in Pulumi.yaml)"
            )
        return cls(path=path, directory=directory, root=root_path)


@contextmanager
def program_surroundings(entry: EntryPoint, *, pwd: str, args: Sequence[str]) -> Iterator[None]:
    """cwd, sys.path and sys.argv as the program expects them; everything restored after.

    Modules imported from the project folder are forgotten afterwards so that a second
    run in the same host imports them afresh, as a fresh interpreter would.
    """
    saved_cwd = os.getcwd()
    saved_path = list(sys.path)
    saved_argv = list(sys.argv)
    before = set(sys.modules)
    os.chdir(pwd or entry.directory)
    sys.path.insert(0, str(entry.directory))
    sys.argv = [str(entry.path), *args]
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.argv = saved_argv
        for name in set(sys.modules) - before:
            if _is_user_file(getattr(sys.modules[name], "__file__", None), entry.root):
                del sys.modules[name]


def run_entry_point(entry: EntryPoint) -> None:
    runpy.run_path(str(entry.path), run_name="__main__")


def describe_failure(exc: BaseException, root: Path) -> str:
    """The message a user sees for an exception that escaped their program.

    The traceback starts at the first frame from a file in the project folder, so the
    host's and the SDK's machinery above it is not shown; with no frame of theirs at all
    (an error raised inside the SDK), only the exception line is shown.
    """
    summary = traceback.TracebackException.from_exception(exc)
    chain: list[traceback.TracebackException] = []
    link: traceback.TracebackException | None = summary
    while link is not None and len(chain) < _MAX_CHAIN:
        chain.append(link)
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    for part in chain:
        part.stack = _from_first_user_frame(part.stack, root)
    return FAILURE_HEADING + "\n" + "".join(summary.format()).rstrip()


_MAX_CHAIN = 10


def _from_first_user_frame(stack: traceback.StackSummary, root: Path) -> traceback.StackSummary:
    frames = list(stack)
    for index, frame in enumerate(frames):
        if _is_user_file(frame.filename, root):
            return traceback.StackSummary.from_list(frames[index:])
    return traceback.StackSummary.from_list([])


# Never the user's, even when the project folder contains them (a venv in the project,
# or this repository's own dev stack): the interpreter, its packages, and pulumi_vast.
_LIBRARY_ROOTS = tuple(
    {
        Path(sys.prefix).resolve(),
        Path(sys.base_prefix).resolve(),
        Path(__file__).resolve().parents[1],
    }
)


def _is_user_file(filename: str | None, root: Path) -> bool:
    if not filename or filename.startswith("<"):
        return False
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return False
    return path.is_relative_to(root) and not any(path.is_relative_to(lib) for lib in _LIBRARY_ROOTS)


# ---- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSettings:
    """What the engine's `RunRequest` says about one run, besides where the program is."""

    project: str
    stack: str
    engine_address: str
    monitor_address: str
    dry_run: bool
    parallel: int
    organization: str
    pwd: str = ""
    args: tuple[str, ...] = ()
    config: Mapping[str, str] = field(default_factory=dict)
    config_secret_keys: tuple[str, ...] = ()

    def exec_argv(self, entry: EntryPoint) -> list[str]:
        """`main`'s arguments for running `entry` so (config goes in `exec_environment`)."""
        return [
            *("--project", self.project, "--stack", self.stack),
            *("--engine", self.engine_address, "--monitor", self.monitor_address),
            *("--dry-run", "true" if self.dry_run else "false"),
            *("--parallel", str(self.parallel), "--organization", self.organization),
            *("--pwd", self.pwd, "--root", str(entry.root)),
            *("--program-directory", str(entry.directory), "--entry", str(entry.path)),
            "--",
            *self.args,
        ]

    def exec_environment(self) -> dict[str, str]:
        """The config, as the SDK reads it from the environment (`get_config_env`)."""
        return {
            CONFIG_ENV: json.dumps(dict(self.config)),
            CONFIG_SECRET_KEYS_ENV: json.dumps(list(self.config_secret_keys)),
        }


@dataclass(frozen=True)
class RunOutcome:
    error: str = ""
    """A failure the user has not been shown yet: the engine shows it."""
    bail: bool = False
    """The failure has been shown (as the stack's error); the engine stops without it."""


def run_program(entry: EntryPoint, settings: RunSettings) -> RunOutcome:
    """Run the program of `entry` in this process, connected to the engine by `settings`.

    The SDK keeps its settings and config in context variables: a fresh context per run
    keeps one run's state out of the next.
    """
    return contextvars.copy_context().run(_run, entry, settings)


def _run(entry: EntryPoint, settings: RunSettings) -> RunOutcome:
    import grpc  # type: ignore[import-untyped]
    from pulumi.errors import RunError
    from pulumi.runtime import reset_options, run_in_stack, set_all_config

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # as the SDK's hosts do
    options: dict[str, Any] = {
        "project": settings.project,
        "stack": settings.stack,
        "root_directory": str(entry.root),
        "parallel": settings.parallel,
        "engine_address": settings.engine_address,
        "monitor_address": settings.monitor_address,
        "preview": settings.dry_run,
        "organization": settings.organization or "organization",
    }
    # An older SDK (3.139) has no root_directory yet; what it has is enough.
    known = inspect.signature(reset_options).parameters
    reset_options(**{name: value for name, value in options.items() if name in known})
    set_all_config(dict(settings.config), list(settings.config_secret_keys))

    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(
        max_workers=max(settings.parallel, 1) * THREADS_PER_PARALLEL_STEP,
        thread_name_prefix="pulumi-program",
    )
    loop.set_default_executor(executor)
    loop.set_exception_handler(_stop_on_rpc_error)
    asyncio.set_event_loop(loop)
    try:
        with program_surroundings(entry, pwd=settings.pwd, args=settings.args):
            loop.run_until_complete(run_in_stack(lambda: run_entry_point(entry)))
    except RunError as exc:
        return _failed(str(exc))
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNAVAILABLE:
            # The engine is shutting the deployment down (cancelled or failed elsewhere)
            # and reports why itself.
            return RunOutcome()
        return _failed(f"RPC error: {exc.details()}")
    except SystemExit as exc:
        if exc.code in (0, None):
            return RunOutcome()
        return _failed(f"the program exited with status {exc.code}")
    except BaseException as exc:  # anything the program raised is reported
        return _failed(describe_failure(exc, entry.root))
    finally:
        _close_loop(loop)
        asyncio.set_event_loop(None)
        executor.shutdown(wait=False, cancel_futures=True)
        sys.stdout.flush()
        sys.stderr.flush()
    return RunOutcome()


def _stop_on_rpc_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """An RPC error that reached the loop means the engine is gone: stop (as the SDK's
    Automation API server does); anything else is logged as usual."""
    import grpc

    if isinstance(context.get("exception"), grpc.RpcError):
        loop.stop()
    else:
        loop.default_exception_handler(context)


def _failed(message: str) -> RunOutcome:
    """Show `message` once, as the stack's error, and say that it has been shown."""
    import grpc
    from pulumi import log

    try:
        log.error(message)
    except grpc.RpcError:
        return RunOutcome(error=message)
    return RunOutcome(bail=True)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    # A failed program leaves tasks pending; cancel them so closing the loop is quiet.
    for task in asyncio.all_tasks(loop):
        task.cancel()
        with suppress(BaseException):
            loop.run_until_complete(task)
    loop.close()


# ---- in another interpreter ------------------------------------------------------------------

_NO_SDK = (
    "The Pulumi SDK is not installed in {python}'s environment ({error}). Add `pulumi` to "
    "the project's dependencies (pulumi-vast brings it) and run `pulumi install`."
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a program as the language host asks (`RunSettings.exec_argv`); the exit status is
    0, `BAIL_STATUS` (its failure shown already) or 1 (the failure written to stderr)."""
    parser = argparse.ArgumentParser(prog="pulumi-vast program runner")
    for name in (
        "project",
        "stack",
        "engine",
        "monitor",
        "dry-run",
        "parallel",
        "organization",
        "pwd",
        "root",
        "program-directory",
        "entry",
    ):
        parser.add_argument(f"--{name}", default="")
    parser.add_argument("args", nargs="*")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import pulumi.runtime  # noqa: F401 - fail here, with a hint, not inside the run
    except ImportError as exc:
        sys.stderr.write(_NO_SDK.format(python=sys.executable, error=exc) + "\n")
        return 1
    try:
        entry = EntryPoint.resolve(args.root, args.program_directory, args.entry)
    except ProgramNotFound as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    settings = RunSettings(
        project=args.project,
        stack=args.stack,
        engine_address=args.engine,
        monitor_address=args.monitor,
        dry_run=args.dry_run == "true",
        parallel=int(args.parallel or 0),
        organization=args.organization,
        pwd=args.pwd,
        args=tuple(args.args),
        config=_json_env(CONFIG_ENV, {}),
        config_secret_keys=tuple(_json_env(CONFIG_SECRET_KEYS_ENV, [])),
    )
    outcome = run_program(entry, settings)
    if outcome.bail:
        return BAIL_STATUS
    if outcome.error:
        sys.stderr.write(outcome.error + "\n")
        return 1
    return 0


def _json_env(name: str, default: Any) -> Any:
    text = os.environ.get(name)
    return json.loads(text) if text else default
