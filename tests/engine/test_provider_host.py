"""Our `pulumi-resource-pulumi-python`: the SDK's servicer, a big pool, drain on SIGINT,
progress to the engine."""

from __future__ import annotations

import ast
import asyncio
import inspect
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import (
    ResourceProviderServicer,
    engine_pb2,
    provider_pb2,
    provider_pb2_grpc,
)

from pulumi_vast.engine import progress
from pulumi_vast.engine.errors import EngineError
from pulumi_vast.engine.provider_host import (
    DEFAULT_THREADS,
    THREADS_ENV_VAR,
    UrnDefaultingEngine,
    describe_error,
    load_sdk_servicer_module,
    worker_threads,
)
from tests.fixtures.engine import ENGINE_PROGRAMS, FakeEngine, HostProcess

URN = "urn:pulumi:dev::proj::pulumi-python:dynamic/filestore:Entry::{}"
HOST = "pulumi-resource-pulumi-python"
PLUGIN_ENV = {"PYTHONPATH": str(ENGINE_PROGRAMS)}
WAIT_S = 60.0


# -- what we rely on in the SDK (pinned version) ----------------------------------------


def test_the_sdk_module_loads_without_serving() -> None:
    module = load_sdk_servicer_module()

    assert issubclass(module.DynamicResourceProviderServicer, ResourceProviderServicer)
    import pulumi.dynamic.__main__ as imported  # would serve forever if it were the SDK's

    assert imported is module


def test_the_sdk_module_still_ends_by_calling_main() -> None:
    spec_file = Path(inspect.getfile(load_sdk_servicer_module()))
    last = ast.parse(spec_file.read_text()).body[-1]

    assert ast.unparse(last) == "main()"


def test_get_provider_still_configures_the_runtime_through_a_module_global() -> None:
    # provider_host re-points that global so pulumi.log reaches the engine.
    assert "configure" in load_sdk_servicer_module().get_provider.__code__.co_names


# -- small pieces ----------------------------------------------------------------------------


def test_worker_threads_default_and_override() -> None:
    assert worker_threads({}) == DEFAULT_THREADS
    assert worker_threads({THREADS_ENV_VAR: "16"}) == 16
    for bad in ("0", "many"):
        with pytest.raises(EngineError, match=THREADS_ENV_VAR):
            worker_threads({THREADS_ENV_VAR: bad})


class _ProviderError(Exception):
    pass


def test_error_messages_drop_the_grpc_wrapping() -> None:
    assert describe_error(_ProviderError("offer 42 is gone")) == "offer 42 is gone"
    assert describe_error(Exception("plain")) == "plain"
    assert describe_error(KeyError("dir")) == "KeyError: 'dir'"
    assert describe_error(RuntimeError()) == "RuntimeError"


class _RecordingStub:
    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.other = "delegated"

    def Log(self, request: Any, *, timeout: float | None = None) -> None:
        assert timeout is not None, "a hung engine must not hang the provider's call"
        self.requests.append(request)


def test_sdk_log_requests_get_the_urn_of_the_call_being_served() -> None:
    stub = _RecordingStub()
    engine = UrnDefaultingEngine(stub)

    with progress.operation(URN.format("a")):
        engine.Log(engine_pb2.LogRequest(message="anonymous"))
        engine.Log(engine_pb2.LogRequest(message="own", urn=URN.format("b")))
    engine.Log(engine_pb2.LogRequest(message="outside"))

    assert [(r.message, r.urn) for r in stub.requests] == [
        ("anonymous", URN.format("a")),
        ("own", URN.format("b")),
        ("outside", ""),
    ]
    assert engine.other == "delegated"


# -- the real plugin process -----------------------------------------------------------------


@pytest.fixture
def filestore(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(ENGINE_PROGRAMS))
    import filestore

    return filestore


def _create_request(filestore: Any, store: Path, name: str, **knobs: Any) -> Any:
    props = {
        "__provider": serialize_provider(filestore.FileStoreProvider()),
        "dir": str(store),
        "name": name,
        "content": name,
        **knobs,
    }
    struct = asyncio.run(rpc.serialize_properties(props, {}))
    return provider_pb2.CreateRequest(urn=URN.format(name), properties=struct)


def _stub(host: HostProcess) -> Any:
    return provider_pb2_grpc.ResourceProviderStub(host.channel)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def provider(plugin_host: Callable[..., HostProcess]) -> Iterator[Callable[..., HostProcess]]:
    def start(*args: str) -> HostProcess:
        return plugin_host(HOST, *args, env=PLUGIN_ENV)

    yield start


@pytest.mark.slow
def test_the_plugin_prints_its_port_and_keeps_sdk_statuses(
    provider: Callable[..., HostProcess],
) -> None:
    host = provider()

    assert host.first_line.strip().isdigit()
    assert _stub(host).GetPluginInfo(empty_pb2.Empty(), timeout=10).version
    with pytest.raises(grpc.RpcError) as failure:
        _stub(host).CheckConfig(provider_pb2.CheckRequest(), timeout=10)
    assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.slow
def test_idle_plugin_exits_quietly_on_sigint(provider: Callable[..., HostProcess]) -> None:
    host = provider()

    host.interrupt()

    assert host.finish() == (0, "", "")


@pytest.mark.slow
def test_more_than_four_creates_run_at_once(
    tmp_path: Path, provider: Callable[..., HostProcess], filestore: Any
) -> None:
    host, store, gate = provider(), tmp_path / "store", tmp_path / "gate"
    count = 12
    calls = [
        _stub(host).Create.future(
            _create_request(filestore, store, f"r{i}", gate=str(gate)), timeout=WAIT_S
        )
        for i in range(count)
    ]

    _wait_for(lambda: len(list((store / "started").glob("*"))) == count, "all creates to start")
    gate.touch()

    assert sorted(call.result().id for call in calls) == sorted(f"r{i}" for i in range(count))
    assert int((store / "max-concurrency").read_text()) == count


@pytest.mark.slow
def test_sigint_lets_a_create_in_flight_finish(
    tmp_path: Path, provider: Callable[..., HostProcess], filestore: Any
) -> None:
    host, store, gate = provider(), tmp_path / "store", tmp_path / "gate"
    call = _stub(host).Create.future(
        _create_request(filestore, store, "slow", gate=str(gate)), timeout=WAIT_S
    )
    _wait_for(lambda: (store / "started" / "slow").exists(), "the create to start")

    host.interrupt()
    with pytest.raises(subprocess.TimeoutExpired):
        host.process.wait(1.0)  # still serving: the create has not finished
    gate.touch()

    assert call.result().id == "slow"
    status, out, err = host.finish()
    assert status == 0
    assert out == ""
    assert "stopping 1 operation(s) in flight" in err
    assert f"Create {URN.format('slow')}" in err
    assert (store / "creates.log").read_text() == "slow\n"


@pytest.mark.slow
def test_sigint_asks_operations_in_flight_to_stop_and_waits_for_them(
    tmp_path: Path, provider: Callable[..., HostProcess], filestore: Any
) -> None:
    # The engine closes a provider mid-create only when it is going away (a second
    # Ctrl-C): the create's result would never be recorded, so it must give up instead.
    host, store = provider(), tmp_path / "store"
    call = _stub(host).Create.future(
        _create_request(filestore, store, "renting", gate=str(tmp_path / "never"), stoppable=True),
        timeout=WAIT_S,
    )
    _wait_for(lambda: (store / "started" / "renting").exists(), "the create to start")

    host.interrupt()

    with pytest.raises(grpc.RpcError) as failed:
        call.result()
    assert "the engine went away while this was in flight" in failed.value.details()
    status, _out, err = host.finish()
    assert status == 0
    assert "stopping 1 operation(s) in flight" in err
    assert not (store / "creates.log").exists()


@pytest.mark.slow
def test_a_second_sigint_abandons_the_operations_in_flight(
    tmp_path: Path, provider: Callable[..., HostProcess], filestore: Any
) -> None:
    host, store = provider(), tmp_path / "store"
    call = _stub(host).Create.future(
        _create_request(filestore, store, "stuck", gate=str(tmp_path / "never")), timeout=WAIT_S
    )
    _wait_for(lambda: (store / "started" / "stuck").exists(), "the create to start")

    host.interrupt()
    _wait_for(lambda: "operation(s) in flight" in host.stderr_so_far(), "the drain notice")
    host.interrupt()

    status, _out, err = host.finish()
    assert status == 0
    assert "abandoning operations still in flight" in err
    assert f"Create {URN.format('stuck')}" in err
    with pytest.raises(grpc.RpcError):
        call.result()


@pytest.mark.slow
def test_progress_and_sdk_logs_reach_the_engine_with_the_urn(
    tmp_path: Path,
    provider: Callable[..., HostProcess],
    filestore: Any,
    fake_engine: FakeEngine,
) -> None:
    host = provider(fake_engine.address)
    request = _create_request(
        filestore, tmp_path / "store", "chatty", progress=["renting", "booting"], log="sdk says hi"
    )

    _stub(host).Create(request, timeout=WAIT_S)

    logs = [(log.message, log.urn, log.ephemeral) for log in fake_engine.logs]
    assert logs == [
        ("renting", URN.format("chatty"), True),
        ("booting", URN.format("chatty"), True),
        ("sdk says hi", URN.format("chatty"), False),
    ]


@pytest.mark.slow
def test_the_plugin_stops_when_its_engine_is_gone(provider: Callable[..., HostProcess]) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{sock.getsockname()[1]}"
    host = provider(dead)

    status, out, err = host.finish(timeout=WAIT_S)

    assert (status, out, err) == (0, "", "")
