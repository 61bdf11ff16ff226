"""The language runtime service: runs a Pulumi Python program for the engine, in-process.

The Go Python host cannot be built here (../shared/ENGINE.md), so this one stands in. It
builds on the SDK's Automation-API servicer (`pulumi.automation._server.LanguageServer`,
private, hence the exact SDK pin) for the metadata calls, and replaces its `Run`: that
one runs a Python callable and reports failures as "inline source runtime error" with
the host's frames, where a CLI user needs their program's file run the way the Go host
runs it (`pulumi-language-python-exec`) and an error that shows their frames only.

Only one program runs at a time (the engine sends one `Run` per host); cwd, sys.path and
sys.argv are process-wide, and `program.program_surroundings` restores them after.
`language_host` is the executable that serves it.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib.metadata
import logging
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi import log
from pulumi.automation._server import LanguageServer
from pulumi.errors import RunError
from pulumi.runtime import reset_options, run_in_stack, set_all_config
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

from pulumi_vast.engine.program import (
    EntryPoint,
    ProgramNotFound,
    describe_failure,
    program_surroundings,
    run_entry_point,
)

__all__ = ["LanguageHost", "generic_handler"]

# What the SDK's own executors use: the engine's parallelism times 4 threads.
THREADS_PER_PARALLEL_STEP = 4


def _no_program() -> None:
    """Placeholder for LanguageServer's `program`: our Run names the program per request."""


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

    def GetProgramDependencies(
        self, request: language_pb2.GetProgramDependenciesRequest, context: Any
    ) -> language_pb2.GetProgramDependenciesResponse:
        # Everything installed in this interpreter, which is what the program can import.
        found: dict[str, str] = {}
        for dist in importlib.metadata.distributions():
            name = dist.metadata["Name"]
            if name and name.lower() not in found:
                found[name.lower()] = dist.version
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[
                language_pb2.DependencyInfo(name=name, version=version)
                for name, version in sorted(found.items())
            ]
        )

    def InstallDependencies(
        self, request: language_pb2.InstallDependenciesRequest, context: Any
    ) -> Iterator[language_pb2.InstallDependenciesResponse]:
        # The interpreter running this host is the program's, and `./dev setup` fills it.
        yield from ()

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
        except ProgramNotFound as exc:
            return language_pb2.RunResponse(error=str(exc))
        # The SDK keeps its settings and config in context variables: a fresh context per
        # run keeps one run's state out of the next.
        return contextvars.copy_context().run(self._run, request, entry)

    def _run(self, request: language_pb2.RunRequest, entry: EntryPoint) -> language_pb2.RunResponse:
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # as the SDK's hosts do
        reset_options(
            project=request.project,
            stack=request.stack,
            root_directory=str(entry.root),
            parallel=request.parallel,
            engine_address=self.engine_address,
            monitor_address=request.monitor_address,
            preview=request.dryRun,
            organization=request.organization or "organization",
        )
        set_all_config(dict(request.config), list(request.configSecretKeys))

        loop = asyncio.new_event_loop()
        executor = ThreadPoolExecutor(
            max_workers=max(request.parallel, 1) * THREADS_PER_PARALLEL_STEP,
            thread_name_prefix="pulumi-program",
        )
        loop.set_default_executor(executor)
        loop.set_exception_handler(self._exception_handler)
        asyncio.set_event_loop(loop)
        try:
            with program_surroundings(entry, pwd=request.pwd, args=list(request.args)):
                loop.run_until_complete(run_in_stack(lambda: run_entry_point(entry)))
        except RunError as exc:
            return _failed(str(exc))
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                # The engine is shutting the deployment down (cancelled or failed
                # elsewhere) and reports why itself.
                return language_pb2.RunResponse()
            return _failed(f"RPC error: {exc.details()}")
        except SystemExit as exc:
            if exc.code in (0, None):
                return language_pb2.RunResponse()
            return _failed(f"the program exited with status {exc.code}")
        except BaseException as exc:  # anything the program raised is reported
            return _failed(describe_failure(exc, entry.root))
        finally:
            _close_loop(loop)
            asyncio.set_event_loop(None)
            executor.shutdown(wait=False, cancel_futures=True)
            sys.stdout.flush()
            sys.stderr.flush()
        return language_pb2.RunResponse()


def _failed(message: str) -> language_pb2.RunResponse:
    """Show `message` once, as the stack's error, and tell the engine it has been shown."""
    try:
        log.error(message)
    except grpc.RpcError:
        return language_pb2.RunResponse(error=message)
    return language_pb2.RunResponse(bail=True)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    # A failed program leaves tasks pending; cancel them so closing the loop is quiet.
    for task in asyncio.all_tasks(loop):
        task.cancel()
        with suppress(BaseException):
            loop.run_until_complete(task)
    loop.close()


def generic_handler(host: LanguageHost) -> Any:
    """The gRPC handler serving ``host`` as the engine's LanguageRuntime service."""
    handlers: list[Any] = []

    class _Collect:
        def add_generic_rpc_handlers(self, more: Sequence[Any]) -> None:
            handlers.extend(more)

    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, _Collect())
    (handler,) = handlers
    return handler
