"""pulumi-vast's host for dynamic providers, run by `pulumi-resource-pulumi-python`.

`provider_plugin` (the plugin the engine starts) runs it in the program's Python when that
environment has pulumi-vast. It serves the SDK's own `DynamicResourceProviderServicer`
(from `pulumi.dynamic.__main__`) with these differences from `python -m pulumi.dynamic`:

- a large worker pool (`PULUMI_VAST_PROVIDER_THREADS`, default 64) instead of 4, which
  capped parallel creates at 4 and made 16 instances boot in 4 waves;
- SIGINT/SIGTERM with calls in flight mean the engine is going away without them (a
  second Ctrl-C): the host asks them to stop (`pulumi_vast._stopping`; a create gives
  back what it rented, which would otherwise bill outside any state) and waits for them;
  a second signal abandons them (see `_grpc_host`);
- every call runs inside `progress.operation(urn)` and the SDK's logging is wired to the
  engine, so `progress.report(...)` and `pulumi.log.info/warn(...)` from a provider show
  on that resource's row instead of as anonymous stderr lines;
- a `Read` without a provider (an `import_`) gets one from the package's registered
  provider class (`adoption`), so dynamic resources can be imported;
- it takes part in previews (`supportsPreview`): a preview of an update shows the outputs
  the update leaves as they are, so what a program derives from them stays known;
- a create that failed after making something that still exists (`CreatedButFailed`) is
  answered as the engine's partial failure, so the engine keeps it in the state (to be
  replaced by the next `up`, destroyed by `destroy`) instead of forgetting it.

Secrets are handled as under the SDK's host, on purpose: `Configure` answers
``acceptSecrets: false``, so the engine strips secret markers from what it sends and
re-marks a result's properties by name only (pkg/resource/plugin/provider_plugin.go,
`annotateSecrets`). A provider marks secrets in its results itself, which keeps them safe
under either host.

`pulumi.dynamic.__main__` calls `main()` at import time (it is a script), so the module
is loaded from its source with that last statement removed; `load_sdk_servicer_module`
checks the shape it relies on. An SDK whose module has another shape (a later release may
change it) gets the SDK's stock host instead, with a note on stderr: the providers work,
without the differences above.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from pulumi.runtime.proto import provider_pb2_grpc

from pulumi_vast import _stopping as stopping
from pulumi_vast._partial import CreatedButFailed
from pulumi_vast.engine import adoption, progress
from pulumi_vast.engine._grpc_host import exit_now, parse_host_args, serve
from pulumi_vast.engine.errors import EngineError

__all__ = [
    "DEFAULT_THREADS",
    "THREADS_ENV_VAR",
    "SdkShapeChanged",
    "UrnDefaultingEngine",
    "describe_error",
    "load_sdk_servicer_module",
    "main",
    "serve_stock",
    "worker_threads",
]

THREADS_ENV_VAR = "PULUMI_VAST_PROVIDER_THREADS"
DEFAULT_THREADS = 64
SDK_MODULE = "pulumi.dynamic.__main__"
PROVIDER_KEY = "__provider"
"""Where a dynamic resource's state keeps its pickled provider (the SDK's name)."""
_PROG = "pulumi-resource-pulumi-python"


class SdkShapeChanged(EngineError):
    """The SDK's `pulumi.dynamic.__main__` is not what this host adapts."""


def load_sdk_servicer_module() -> ModuleType:
    """`pulumi.dynamic.__main__` without its trailing `main()` call.

    Registered in sys.modules under its own name, so a later import gets this tame copy
    rather than running the SDK's server.
    """
    loaded = sys.modules.get(SDK_MODULE)
    if loaded is not None and hasattr(loaded, "DynamicResourceProviderServicer"):
        return loaded
    spec = importlib.util.find_spec(SDK_MODULE)
    if spec is None or spec.origin is None or spec.loader is None:
        raise SdkShapeChanged(f"cannot find {SDK_MODULE} in the installed pulumi SDK")
    source = Path(spec.origin).read_text(encoding="utf-8")
    tree = ast.parse(source, filename=spec.origin)
    last = tree.body[-1] if tree.body else None
    if not (
        isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Call)
        and isinstance(last.value.func, ast.Name)
        and last.value.func.id == "main"
        and not last.value.args
    ):
        raise SdkShapeChanged(
            f"{spec.origin} does not end with `main()`; the provider host must be adapted "
            "to this pulumi SDK version"
        )
    tree.body.pop()
    module = ModuleType(SDK_MODULE)
    module.__file__ = spec.origin
    module.__package__ = "pulumi.dynamic"
    exec(compile(tree, spec.origin, "exec"), module.__dict__)
    for needed in ("DynamicResourceProviderServicer", "get_provider", "configure"):
        if not hasattr(module, needed):
            raise SdkShapeChanged(
                f"{SDK_MODULE} of this pulumi SDK has no `{needed}`: adapt the provider host"
            )
    sys.modules[SDK_MODULE] = module
    return module


class UrnDefaultingEngine:
    """An engine stub whose `Log` fills in the URN of the call being served.

    `pulumi.log.info(msg)` sends `urn=""`; inside a provider call it belongs to the
    resource being worked on.
    """

    def __init__(self, stub: Any) -> None:
        self._stub = stub

    def Log(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.urn:
            request.urn = progress.current_urn()
        # A hung engine must not hang the provider call that reports progress.
        kwargs.setdefault("timeout", progress.LOG_TIMEOUT_S)
        return self._stub.Log(request, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stub, name)


def _route_sdk_logging_to_engine(module: ModuleType, stub: Any) -> None:
    """The SDK's `get_provider` configures the runtime with no engine in each call's
    context, which sends `pulumi.log` to stderr; re-point it at the engine afterwards."""
    sdk_configure = module.configure
    engine = UrnDefaultingEngine(stub)

    def configure(settings: Any) -> None:
        sdk_configure(settings)
        settings.engine = engine

    setattr(module, "configure", configure)  # noqa: B010 - a module global the SDK looks up


def worker_threads(env: dict[str, str] | None = None) -> int:
    raw = (os.environ if env is None else env).get(THREADS_ENV_VAR, "")
    if not raw:
        return DEFAULT_THREADS
    try:
        threads = int(raw)
    except ValueError:
        threads = 0
    if threads < 1:
        raise EngineError(f"{THREADS_ENV_VAR}={raw!r}: expected a whole number of at least 1")
    return threads


def describe_error(exc: Exception) -> str:
    """What the user reads for a provider exception, instead of gRPC's
    "Exception calling application: ..." wrapping.

    Raised on purpose, an exception's message is the story; a builtin one (KeyError,
    TypeError...) is likely a bug, and its type says as much as its message.
    """
    message = str(exc)
    if type(exc).__module__ == "builtins" and type(exc) is not Exception:
        return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return message or type(exc).__name__


def _preview_updates(module: ModuleType, servicer: Any) -> None:
    """Take part in previews: tell the engine so (`supportsPreview`), answer a preview's
    Create with its inputs (as the engine does itself otherwise) and a preview's Update with
    what the provider says the update will leave (`preview_update`: no call to Vast).
    Without this the engine takes an updated resource's inputs for its outputs, and what a
    program derives from its outputs shows as unknown."""
    import asyncio

    from pulumi.runtime import rpc
    from pulumi.runtime.proto import provider_pb2

    sdk_configure, sdk_create, sdk_update = servicer.Configure, servicer.Create, servicer.Update

    def configure(request: Any, context: Any) -> Any:
        response = sdk_configure(request, context)
        response.supportsPreview = True
        return response

    def serialized(outs: dict[str, Any], provider_blob: Any) -> Any:
        outs[PROVIDER_KEY] = provider_blob
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(rpc.serialize_properties(outs, {}))
        finally:
            loop.close()

    def create(request: Any, context: Any) -> Any:
        if not request.preview:
            return sdk_create(request, context)
        props = rpc.deserialize_properties(request.properties, True)
        previewing = getattr(module.get_provider(props, servicer._config), "preview_create", None)
        if previewing is None:  # another package's dynamic provider: as the engine would
            return provider_pb2.CreateResponse(properties=request.properties)
        outs = previewing(props)
        return provider_pb2.CreateResponse(properties=serialized(outs, props[PROVIDER_KEY]))

    def update(request: Any, context: Any) -> Any:
        if not request.preview:
            return sdk_update(request, context)
        olds = rpc.deserialize_properties(request.olds, True)
        news = rpc.deserialize_properties(request.news, True)
        previewing = getattr(module.get_provider(news, servicer._config), "preview_update", None)
        if previewing is None:
            return provider_pb2.UpdateResponse(properties=request.news)
        outs = previewing(request.id, olds, news)
        return provider_pb2.UpdateResponse(properties=serialized(outs, news[PROVIDER_KEY]))

    servicer.Configure, servicer.Create, servicer.Update = configure, create, update


def partial_failure(method: str, request: Any, exc: Exception) -> list[Any]:
    """A create that failed after making something (`CreatedButFailed`) as the engine's
    partial failure, so that it records the object (to be replaced, refreshed or deleted)
    instead of forgetting it."""
    if method != "Create" or not isinstance(exc, CreatedButFailed):
        return []
    import asyncio

    from google.protobuf import struct_pb2  # type: ignore[import-untyped]
    from pulumi.runtime import rpc
    from pulumi.runtime.proto import provider_pb2

    inputs = rpc.deserialize_properties(request.properties)
    outputs = {**exc.outputs, PROVIDER_KEY: inputs.get(PROVIDER_KEY)}
    loop = asyncio.new_event_loop()
    try:
        properties = loop.run_until_complete(rpc.serialize_properties(outputs, {}))
    finally:
        loop.close()
    assert isinstance(properties, struct_pb2.Struct)
    return [
        provider_pb2.ErrorResourceInitFailed(
            id=exc.resource_id,
            properties=properties,
            reasons=[str(exc)],
            inputs=request.properties,
            refresh_before_update=True,
        )
    ]


def _as_operation(
    preloading: threading.Thread,
) -> Callable[[str, Any], AbstractContextManager[None]]:
    @contextmanager
    def around(method: str, request: Any) -> Iterator[None]:
        # Two threads importing one package's modules at once can see each other's
        # half-imported modules: calls, which unpickle providers, wait for the preload.
        preloading.join()
        if method == "Read":
            adoption.supply_provider(request)
        with progress.operation(getattr(request, "urn", "")):
            yield

    return around


def serve_stock() -> NoReturn:
    """Serve with the SDK's own host, `python -m pulumi.dynamic` (it reads sys.argv)."""
    import runpy

    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)
    exit_now(0)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = parse_host_args(sys.argv[1:] if argv is None else argv, _PROG)
    try:
        threads = worker_threads()
    except EngineError as exc:
        sys.stderr.write(f"{_PROG}: {exc}\n")
        exit_now(1)
    try:
        module = load_sdk_servicer_module()
    except SdkShapeChanged as exc:
        sys.stderr.write(f"{_PROG}: {exc}; serving with the SDK's stock host instead\n")
        serve_stock()
    stopping.mark_hosted()  # not before: the stock host above needs the guard
    # After the SDK is loaded here, so the two threads never import the same package.
    preloading = adoption.preload_providers()
    progress.attach_engine(args.engine_address)
    if progress.engine() is not None:
        _route_sdk_logging_to_engine(module, progress.engine())
    servicer = module.DynamicResourceProviderServicer()
    _preview_updates(module, servicer)

    def register(server: Any) -> None:
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)

    status = serve(
        register,
        name=_PROG,
        max_workers=threads,
        engine_address=args.engine_address,
        announce_drain=True,
        around_call=_as_operation(preloading),
        describe_error=describe_error,
        error_details=partial_failure,
        # Closed with calls in flight, the engine is going away and will not record their
        # results: a create must give back what it rented rather than finish.
        wind_up=stopping.request,
    )
    exit_now(status)


if __name__ == "__main__":
    main()
