"""The language runtime service: runs a Pulumi Python program for the engine.

The Go Python host cannot be built here (../shared/ENGINE.md), so this one stands in. It
reads the project's Python as the Go host does (`toolchain`: Pulumi.yaml's `virtualenv`,
`toolchain`, `typechecker`), and runs the program with it:

- when that Python is this host's own (the repository's environment, an activated one),
  in this process (`program.run_program`), which spares each run a Python start and an
  SDK import;
- otherwise with that Python, running `program.py`'s `main` (`program.EXEC_BOOTSTRAP`),
  as the Go host runs its `pulumi-language-python-exec`: the program imports what its own
  environment holds, pulumi-vast included.

It builds on the SDK's Automation-API servicer (`pulumi.automation._server.LanguageServer`,
private: `language_host` checks that it is there) for the calls it does not override.
Only one program runs at a time (the engine sends one `Run` per host); cwd, sys.path and
sys.argv are process-wide, and `program.program_surroundings` restores them after.
`language_host` is the executable that serves it.
"""

from __future__ import annotations

import importlib.metadata
import os
import queue
import subprocess
import threading
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2, json_format  # type: ignore[import-untyped]
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

from pulumi_vast.engine import program, toolchain
from pulumi_vast.engine.program import (
    BAIL_STATUS,
    EXEC_BOOTSTRAP,
    EntryPoint,
    ProgramNotFound,
    RunOutcome,
    RunSettings,
    run_program,
)
from pulumi_vast.engine.toolchain import Interpreter, PythonOptions, ToolchainError

__all__ = ["LanguageHost", "generic_handler", "python_options", "run_with"]


def _no_program() -> None:
    """Placeholder for LanguageServer's `program`: our Run names the program per request."""


def python_options(info: language_pb2.ProgramInfo) -> PythonOptions:
    """The project's Python settings, from the request's ProgramInfo."""
    options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
    return PythonOptions.parse(info.root_directory, info.program_directory, options)


class LanguageHost(LanguageServer):
    def __init__(self, engine_address: str | None) -> None:
        super().__init__(_no_program)
        self.engine_address = engine_address or ""

    def Handshake(self, request: language_pb2.LanguageHandshakeRequest, context: Any) -> Any:
        if request.engine_address:
            self.engine_address = request.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: empty_pb2.Empty, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=importlib.metadata.version("pulumi"))

    def About(self, request: language_pb2.AboutRequest, context: Any) -> Any:
        try:
            executable, version = toolchain.resolve(python_options(request.info)).about()
        except ToolchainError as exc:
            _abort(context, str(exc))
        return language_pb2.AboutResponse(executable=executable, version=version)

    def GetProgramDependencies(
        self, request: language_pb2.GetProgramDependenciesRequest, context: Any
    ) -> language_pb2.GetProgramDependenciesResponse:
        # Everything installed in the program's environment, which is what it can import.
        try:
            found = toolchain.resolve(python_options(request.info)).distributions()
        except ToolchainError as exc:
            _abort(context, str(exc))
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[
                language_pb2.DependencyInfo(name=name, version=version) for name, version in found
            ]
        )

    def InstallDependencies(
        self, request: language_pb2.InstallDependenciesRequest, context: Any
    ) -> Iterator[language_pb2.InstallDependenciesResponse]:
        """`pulumi install`: the toolchain's install, its output streamed as it comes."""
        lines: queue.Queue[str | BaseException | None] = queue.Queue()

        def install() -> None:
            try:
                toolchain.install_dependencies(python_options(request.info), lines.put)
            except BaseException as exc:  # handed to the streaming side, which reports it
                lines.put(exc)
            finally:
                lines.put(None)

        threading.Thread(target=install, name="pulumi-install", daemon=True).start()
        while (line := lines.get()) is not None:
            if isinstance(line, ToolchainError):
                _abort(context, str(line))
            if isinstance(line, BaseException):
                raise line
            yield language_pb2.InstallDependenciesResponse(stdout=f"{line}\n".encode())

    def RuntimeOptionsPrompts(
        self, request: language_pb2.RuntimeOptionsRequest, context: Any
    ) -> language_pb2.RuntimeOptionsResponse:
        return language_pb2.RuntimeOptionsResponse()

    def Cancel(self, request: empty_pb2.Empty, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def Run(self, request: language_pb2.RunRequest, context: Any) -> language_pb2.RunResponse:
        if request.attach_debugger:
            return language_pb2.RunResponse(
                error="attaching a debugger is not supported by pulumi-vast's language host"
            )
        info = request.info
        try:
            entry = EntryPoint.resolve(
                info.root_directory, info.program_directory, info.entry_point or request.program
            )
            options = python_options(info)
            interpreter = toolchain.resolve(options)
            toolchain.typecheck(options, interpreter)
        except (ProgramNotFound, ToolchainError) as exc:
            return language_pb2.RunResponse(error=str(exc))
        settings = RunSettings(
            project=request.project,
            stack=request.stack,
            engine_address=self.engine_address,
            monitor_address=request.monitor_address,
            dry_run=request.dryRun,
            parallel=request.parallel,
            organization=request.organization,
            pwd=request.pwd,
            args=tuple(request.args),
            config=dict(request.config),
            config_secret_keys=tuple(request.configSecretKeys),
        )
        if interpreter.is_current:
            outcome = run_program(entry, settings)
        else:
            outcome = run_with(interpreter, entry, settings)
        return language_pb2.RunResponse(error=outcome.error, bail=outcome.bail)


def run_with(interpreter: Interpreter, entry: EntryPoint, settings: RunSettings) -> RunOutcome:
    """Run the program with another environment's Python; its output is ours (the engine's)."""
    argv = [
        str(interpreter.python),
        "-u",
        "-c",
        EXEC_BOOTSTRAP,
        str(program.__file__),
        *settings.exec_argv(entry),
    ]
    env = {**interpreter.environment(os.environ), **settings.exec_environment()}
    try:
        done = subprocess.run(argv, env=env, cwd=settings.pwd or entry.directory, check=False)
    except OSError as exc:
        return RunOutcome(error=f"cannot run {interpreter.python}: {exc}")
    if done.returncode == 0:
        return RunOutcome()
    if done.returncode == BAIL_STATUS:
        return RunOutcome(bail=True)
    return RunOutcome(
        error=f"the program exited with status {done.returncode} (run by {interpreter.python})"
    )


def _abort(context: Any, message: str) -> NoReturn:
    """Fail the call with `message` (as the engine shows it); without a gRPC context (a
    direct call in a test), raise it."""
    if context is not None:
        context.abort(grpc.StatusCode.UNKNOWN, message)  # raises
    raise ToolchainError(message)


def generic_handler(host: LanguageHost) -> Any:
    """The gRPC handler serving ``host`` as the engine's LanguageRuntime service."""
    handlers: list[Any] = []

    class _Collect:
        def add_generic_rpc_handlers(self, more: Sequence[Any]) -> None:
            handlers.extend(more)

    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, _Collect())
    (handler,) = handlers
    return handler
