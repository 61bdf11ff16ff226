"""The language host's early door: the port and the metadata answers before the SDK loads."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

from pulumi_vast.engine._early import EarlyAnswer, EarlyDoor, decode_fields, encode_strings
from pulumi_vast.engine._grpc_host import GRPC_OPTIONS
from pulumi_vast.engine.language_host import SERVICE, early_answers, program_options
from pulumi_vast.engine.language_runtime import LanguageHost, generic_handler


def test_our_server_options_are_the_sdks() -> None:
    assert list(GRPC_OPTIONS) == list(_GRPC_CHANNEL_OPTIONS)


def test_the_host_executable_does_not_load_the_sdk_before_serving() -> None:
    probe = "import sys, pulumi_vast.engine.language_host; print('pulumi' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_encoded_strings_read_back_with_the_real_messages() -> None:
    about = language_pb2.AboutResponse.FromString(encode_strings({1: "/bin/py", 2: "3.11.7"}))
    assert (about.executable, about.version) == ("/bin/py", "3.11.7")
    long = "é" * 300  # a multi-byte length prefix
    assert plugin_pb2.PluginInfo.FromString(encode_strings({1: long})).version == long
    assert encode_strings({1: ""}) == b""


def own_info(**options: object) -> language_pb2.ProgramInfo:
    """A program whose Python is this test's (its virtualenv is ours)."""
    info = language_pb2.ProgramInfo(root_directory="/p", program_directory="/p", entry_point=".")
    info.options.update({"virtualenv": sys.prefix, **options})
    return info


def test_early_answers_are_what_the_real_host_answers() -> None:
    real = LanguageHost(None)
    early = early_answers()
    empty = empty_pb2.Empty()
    about = language_pb2.AboutRequest(info=own_info())
    expected = {
        "GetPluginInfo": (empty, real.GetPluginInfo(empty, None)),
        "About": (about, real.About(about, None)),
        "GetRequiredPlugins": (empty, real.GetRequiredPlugins(None, None)),
        "GetRequiredPackages": (empty, real.GetRequiredPackages(None, None)),
        "Cancel": (empty, real.Cancel(empty, None)),
        "Handshake": (empty, language_pb2.LanguageHandshakeResponse()),
    }
    assert set(early) == set(expected)
    for name, (request, response) in expected.items():
        answer = early[name].answer(request.SerializeToString())
        assert answer == response.SerializeToString(), name
    assert real.About(about, None).executable == sys.executable


def test_about_another_python_is_left_to_the_real_host(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    about = language_pb2.AboutRequest(info=own_info(virtualenv=str(venv)))

    early = early_answers()["About"].answer(about.SerializeToString())
    real = LanguageHost(None).About(about, None)

    assert early is None
    assert real.executable == str(venv / "bin" / "python")


def test_the_runtime_options_are_read_from_the_raw_request() -> None:
    info = own_info(toolchain="uv", typechecker="mypy", flag=True, count=3)
    about = language_pb2.AboutRequest(info=info)

    root, program_dir, options = program_options(about.SerializeToString())

    assert (root, program_dir) == ("/p", "/p")
    assert options == {
        "virtualenv": sys.prefix,
        "toolchain": "uv",
        "typechecker": "mypy",
        "flag": True,
        "count": 3.0,
    }
    assert decode_fields(b"") == []
    with pytest.raises(ValueError, match="truncated"):
        decode_fields(about.SerializeToString()[:-1])


class _Door:
    """An EarlyDoor on a real gRPC server whose loading the test releases."""

    def __init__(self, build_fails: bool = False, host: LanguageHost | None = None) -> None:
        self.host = host or LanguageHost(None)
        self.release = threading.Event()

        def build() -> Any:
            self.release.wait(30)
            if build_fails:
                raise ImportError("no module named pulumi")
            return generic_handler(self.host)

        self.door = EarlyDoor(SERVICE, build, early_answers())
        self.server = grpc.server(ThreadPoolExecutor(max_workers=4))
        self.door.register(self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = language_pb2_grpc.LanguageRuntimeStub(self.channel)


@pytest.fixture
def door() -> Iterator[_Door]:
    made = _Door()
    yield made
    made.release.set()
    made.server.stop(grace=None)


def test_metadata_is_answered_while_loading_and_the_rest_waits(door: _Door) -> None:
    about = door.stub.About(language_pb2.AboutRequest(info=own_info()), timeout=10)
    assert about.executable == sys.executable
    deps = door.stub.GetProgramDependencies.future(
        language_pb2.GetProgramDependenciesRequest(info=own_info()), timeout=30
    )
    assert not door.door.wait_loaded(0.2)
    assert not deps.done()

    door.release.set()

    names = {dep.name for dep in deps.result().dependencies}
    assert "pulumi" in names


def test_a_handshake_answered_early_reaches_the_real_host(door: _Door) -> None:
    door.stub.Handshake(
        language_pb2.LanguageHandshakeRequest(engine_address="127.0.0.1:4242"), timeout=10
    )
    assert door.host.engine_address == ""

    door.release.set()
    assert door.door.wait_loaded(30)

    assert door.host.engine_address == "127.0.0.1:4242"


def test_after_loading_every_call_goes_to_the_real_host(door: _Door) -> None:
    door.release.set()
    assert door.door.wait_loaded(30)

    door.stub.Handshake(
        language_pb2.LanguageHandshakeRequest(engine_address="127.0.0.1:77"), timeout=10
    )

    assert door.host.engine_address == "127.0.0.1:77"


def test_a_failed_load_is_reported_to_the_calls_that_needed_it() -> None:
    failing = _Door(build_fails=True)
    try:
        failing.release.set()
        assert failing.door.wait_loaded(30)
        with pytest.raises(grpc.RpcError) as raised:
            failing.stub.GetProgramDependencies(
                language_pb2.GetProgramDependenciesRequest(), timeout=10
            )
        assert raised.value.code() == grpc.StatusCode.INTERNAL
        assert "no module named pulumi" in raised.value.details()
    finally:
        failing.server.stop(grace=None)


def test_a_door_ignores_other_services() -> None:
    door = EarlyDoor(SERVICE, lambda: None, {"About": EarlyAnswer(lambda _r: b"")})

    class _Details:
        method = "/pulumirpc.ResourceProvider/Create"

    assert door.service(_Details()) is None


def test_a_replay_that_fails_is_reported_and_the_rest_is_still_served(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Broken(LanguageHost):
        def Handshake(self, request: Any, context: Any) -> Any:
            raise RuntimeError("handshake replay broke")

    door = _Door(host=Broken(None))
    try:
        door.stub.Handshake(language_pb2.LanguageHandshakeRequest(engine_address="x:1"), timeout=10)
        door.release.set()

        assert door.door.wait_loaded(30)
        assert door.stub.About(language_pb2.AboutRequest(info=own_info()), timeout=10).executable
        assert "handshake replay broke" in capsys.readouterr().err
    finally:
        door.server.stop(grace=None)
