"""Our `pulumi-language-python`: metadata answers, Run against a fake monitor, quiet exit."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from google.protobuf import empty_pb2, json_format  # type: ignore[import-untyped]
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import (
    engine_pb2,
    language_pb2,
    language_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from pulumi_vast.engine.language_runtime import LanguageHost
from tests.engine.test_early import own_info
from tests.engine.test_toolchain import OUR_PACKAGES, make_venv
from tests.fixtures import ONLY_HERE
from tests.fixtures.engine import FakeEngine, HostProcess

SECRET_SIG = "4dabf18193072939515e22adb298388d"  # the SDK's marker of a secret value


def test_the_sdk_servicer_we_build_on_still_has_what_we_reuse() -> None:
    assert issubclass(LanguageHost, LanguageServer)
    for inherited in ("GetRequiredPlugins", "GetRequiredPackages"):
        assert inherited in vars(LanguageServer), inherited


def test_metadata_answers() -> None:
    host = LanguageHost("127.0.0.1:1")
    info = own_info()

    assert host.GetPluginInfo(empty_pb2.Empty(), None).version == importlib.metadata.version(
        "pulumi"
    )
    about = host.About(language_pb2.AboutRequest(info=info), None)
    assert about.executable == sys.executable
    assert about.version == ".".join(map(str, sys.version_info[:3]))
    assert not host.GetRequiredPlugins(language_pb2.GetRequiredPluginsRequest(), None).plugins
    assert not host.GetRequiredPackages(language_pb2.GetRequiredPackagesRequest(), None).packages
    deps = host.GetProgramDependencies(language_pb2.GetProgramDependenciesRequest(info=info), None)
    assert language_pb2.DependencyInfo(name="pulumi", version="3.250.0") in deps.dependencies


def test_handshake_takes_the_engine_address() -> None:
    host = LanguageHost(None)

    host.Handshake(language_pb2.LanguageHandshakeRequest(engine_address="127.0.0.1:99"), None)

    assert host.engine_address == "127.0.0.1:99"


def test_run_without_a_program_says_what_is_missing(tmp_path: Path) -> None:
    request = language_pb2.RunRequest(
        info=language_pb2.ProgramInfo(
            root_directory=str(tmp_path), program_directory=str(tmp_path), entry_point="."
        )
    )

    response = LanguageHost(None).Run(request, None)

    assert "no __main__.py in" in response.error
    assert not response.bail


# -- the real host process -------------------------------------------------------------


class FakeMonitor(resource_pb2_grpc.ResourceMonitorServicer):  # type: ignore[misc]
    """Enough of the engine's resource monitor for a program that registers its stack."""

    def __init__(self) -> None:
        self.registered: list[Any] = []
        self.outputs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id == "secrets")

    def RegisterResource(self, request: Any, context: Any) -> Any:
        with self._lock:
            self.registered.append(request)
        urn = f"urn:pulumi:stack::project::{request.type}::{request.name}"
        return resource_pb2.RegisterResourceResponse(urn=urn, object=request.object)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        with self._lock:
            self.outputs.update(json_format.MessageToDict(request.outputs))
        return empty_pb2.Empty()


@pytest.fixture
def fake_monitor() -> Iterator[tuple[FakeMonitor, str]]:
    monitor = FakeMonitor()
    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield monitor, f"127.0.0.1:{port}"
    server.stop(grace=None)


def _program(tmp_path: Path, source: str) -> Path:
    folder = tmp_path / "program"
    folder.mkdir()
    (folder / "__main__.py").write_text(source)
    return folder


def _run(host: HostProcess, folder: Path, monitor_address: str, **fields: Any) -> Any:
    stub = language_pb2_grpc.LanguageRuntimeStub(host.channel)
    return stub.Run(_run_request(folder, monitor_address, **fields), timeout=60)


def _run_request(
    folder: Path, monitor_address: str, *, options: dict[str, Any] | None = None, **fields: Any
) -> Any:
    info = language_pb2.ProgramInfo(
        root_directory=str(folder), program_directory=str(folder), entry_point="."
    )
    info.options.update(options or {})
    return language_pb2.RunRequest(
        project="proj",
        stack="dev",
        pwd=str(folder),
        program=".",
        monitor_address=monitor_address,
        parallel=4,
        info=info,
        **fields,
    )


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


@pytest.mark.slow
def test_the_host_prints_only_its_port_and_answers(
    plugin_host: Callable[..., HostProcess], fake_engine: FakeEngine
) -> None:
    host = plugin_host("pulumi-language-python", fake_engine.address)

    assert host.first_line.strip().isdigit()
    info = language_pb2_grpc.LanguageRuntimeStub(host.channel).GetPluginInfo(
        empty_pb2.Empty(), timeout=10
    )
    assert info.version == importlib.metadata.version("pulumi")


@pytest.mark.slow
def test_run_executes_the_program_with_config_and_secrets(
    tmp_path: Path,
    plugin_host: Callable[..., HostProcess],
    fake_engine: FakeEngine,
    fake_monitor: tuple[FakeMonitor, str],
) -> None:
    monitor, monitor_address = fake_monitor
    folder = _program(
        tmp_path,
        "import os, pulumi\n"
        "config = pulumi.Config()\n"
        "pulumi.export('plain', config.require('plain'))\n"
        "pulumi.export('password', config.require_secret('password'))\n"
        "pulumi.export('cwd', os.getcwd())\n",
    )
    host = plugin_host("pulumi-language-python", fake_engine.address)

    response = _run(
        host,
        folder,
        monitor_address,
        config={"proj:plain": "visible", "proj:password": "hunter2"},
        configSecretKeys=["proj:password"],
    )

    assert response.error == ""
    assert not response.bail
    assert [(r.type, r.name) for r in monitor.registered] == [("pulumi:pulumi:Stack", "proj-dev")]
    assert monitor.outputs["plain"] == "visible"
    assert monitor.outputs["password"] == {
        SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270",
        "value": "hunter2",
    }
    assert monitor.outputs["cwd"] == str(folder)


@pytest.mark.slow
def test_a_raising_program_reports_its_own_frames_once(
    tmp_path: Path,
    plugin_host: Callable[..., HostProcess],
    fake_engine: FakeEngine,
    fake_monitor: tuple[FakeMonitor, str],
) -> None:
    folder = _program(
        tmp_path, "def check():\n    raise ValueError('the answer must be 42')\n\ncheck()\n"
    )
    host = plugin_host("pulumi-language-python", fake_engine.address)

    response = _run(host, folder, fake_monitor[1])

    assert response.bail  # reported already: the engine must not print it again
    errors = [log.message for log in fake_engine.logs if log.severity == engine_pb2.ERROR]
    assert len(errors) == 1
    assert errors[0].startswith("Program failed with an unhandled exception:\nTraceback")
    assert f'File "{folder / "__main__.py"}", line 4, in <module>' in errors[0]
    assert errors[0].endswith("ValueError: the answer must be 42")
    for host_detail in ("language_host", "runpy", "pulumi/runtime", "grpc"):
        assert host_detail not in errors[0]


@pytest.mark.slow
def test_run_error_shows_its_message_only(
    tmp_path: Path,
    plugin_host: Callable[..., HostProcess],
    fake_engine: FakeEngine,
    fake_monitor: tuple[FakeMonitor, str],
) -> None:
    folder = _program(tmp_path, "import pulumi\nraise pulumi.RunError('vast:apiKey is not set')\n")
    host = plugin_host("pulumi-language-python", fake_engine.address)

    response = _run(host, folder, fake_monitor[1])

    assert response.bail
    errors = [log.message for log in fake_engine.logs if log.severity == engine_pb2.ERROR]
    assert errors == ["vast:apiKey is not set"]


@pytest.mark.slow
def test_sigint_stops_the_host_quietly(
    plugin_host: Callable[..., HostProcess], fake_engine: FakeEngine
) -> None:
    host = plugin_host("pulumi-language-python", fake_engine.address)

    host.interrupt()
    status, out, err = host.finish()

    assert (status, out, err) == (0, "", "")


@pytest.mark.slow
def test_sigint_during_run_lets_the_program_finish(
    tmp_path: Path,
    plugin_host: Callable[..., HostProcess],
    fake_engine: FakeEngine,
    fake_monitor: tuple[FakeMonitor, str],
) -> None:
    gate = tmp_path / "gate"
    folder = _program(
        tmp_path,
        "import pathlib, time, pulumi\n"
        f"started = pathlib.Path({str(tmp_path / 'started')!r}); started.touch()\n"
        f"gate = pathlib.Path({str(gate)!r})\n"
        "while not gate.exists():\n    time.sleep(0.05)\n"
        "pulumi.export('finished', True)\n",
    )
    host = plugin_host("pulumi-language-python", fake_engine.address)
    stub = language_pb2_grpc.LanguageRuntimeStub(host.channel)
    call = stub.Run.future(_run_request(folder, fake_monitor[1]), timeout=60)
    _wait_for((tmp_path / "started").exists)

    host.interrupt()
    with pytest.raises(subprocess.TimeoutExpired):
        host.process.wait(1.0)  # still running the program
    gate.touch()

    assert call.result().error == ""
    assert fake_monitor[0].outputs["finished"] is True
    assert host.finish() == (0, "", "")


# -- the program's own virtualenv ----------------------------------------------------------


@pytest.fixture(scope="module")
def their_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another environment, as a user's project has: the Pulumi SDK (this one's packages,
    through a .pth), `only_here`, and no pulumi-vast."""
    return make_venv(tmp_path_factory.mktemp("user") / "venv", OUR_PACKAGES, ONLY_HERE)


@pytest.mark.slow
def test_run_uses_the_virtualenv_pulumi_yaml_names(
    tmp_path: Path,
    their_venv: Path,
    plugin_host: Callable[..., HostProcess],
    fake_engine: FakeEngine,
    fake_monitor: tuple[FakeMonitor, str],
) -> None:
    monitor, monitor_address = fake_monitor
    folder = _program(
        tmp_path,
        "import importlib.util, sys, pulumi, only_here\n"
        "pulumi.export('prefix', sys.prefix)\n"
        "pulumi.export('where', only_here.WHERE)\n"
        "pulumi.export('has_pulumi_vast', importlib.util.find_spec('pulumi_vast') is not None)\n"
        "pulumi.export('password', pulumi.Config().require_secret('password'))\n",
    )
    host = plugin_host("pulumi-language-python", fake_engine.address)

    response = _run(
        host,
        folder,
        monitor_address,
        options={"virtualenv": str(their_venv)},
        config={"proj:password": "hunter2"},
        configSecretKeys=["proj:password"],
    )

    assert (response.error, response.bail) == ("", False)
    assert monitor.outputs["prefix"] == str(their_venv)
    assert monitor.outputs["where"] == "the project's own virtualenv"
    assert monitor.outputs["has_pulumi_vast"] is False
    assert monitor.outputs["password"]["value"] == "hunter2"
    assert monitor.outputs["password"][SECRET_SIG]


@pytest.mark.slow
def test_a_program_failing_in_its_own_virtualenv_reports_its_frames_once(
    tmp_path: Path,
    their_venv: Path,
    plugin_host: Callable[..., HostProcess],
    fake_engine: FakeEngine,
    fake_monitor: tuple[FakeMonitor, str],
) -> None:
    folder = _program(tmp_path, "import only_here\nraise ValueError('from their venv')\n")
    host = plugin_host("pulumi-language-python", fake_engine.address)

    failing = _run(host, folder, fake_monitor[1], options={"virtualenv": str(their_venv)})
    elsewhere = _run(host, folder, fake_monitor[1])  # the host's own Python has no only_here

    assert failing.bail
    errors = [log.message for log in fake_engine.logs if log.severity == engine_pb2.ERROR]
    assert errors[0].startswith("Program failed with an unhandled exception:\nTraceback")
    assert errors[0].endswith("ValueError: from their venv")
    assert f'File "{folder / "__main__.py"}", line 2, in <module>' in errors[0]
    assert "_pulumi_vast_program" not in errors[0] and "runpy" not in errors[0]
    assert elsewhere.bail
    assert errors[1].endswith("ModuleNotFoundError: No module named 'only_here'")
    assert len(errors) == 2


@pytest.mark.slow
def test_a_missing_virtualenv_or_typechecker_fails_the_run_with_the_fix(
    tmp_path: Path,
    plugin_host: Callable[..., HostProcess],
    fake_engine: FakeEngine,
    fake_monitor: tuple[FakeMonitor, str],
) -> None:
    folder = _program(tmp_path, "raise SystemExit('never runs')\n")
    host = plugin_host("pulumi-language-python", fake_engine.address)

    missing = _run(host, folder, fake_monitor[1], options={"virtualenv": "venv"})
    unchecked = _run(
        host, folder, fake_monitor[1], options={"virtualenv": sys.prefix, "typechecker": "pyright"}
    )

    assert "'venv'" in missing.error and "`pulumi install`" in missing.error
    assert "typechecker option is set to pyright, but pyright is not installed" in unchecked.error


def test_an_sdk_without_the_private_servicer_stops_the_host_with_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pulumi_vast.engine import language_host

    monkeypatch.delitem(sys.modules, "pulumi_vast.engine.language_runtime")
    monkeypatch.setitem(sys.modules, "pulumi.automation._server", None)  # import fails

    with pytest.raises(language_host.SdkTooOld, match=r"pulumi SDK 3\.250\.0 has no pulumi\."):
        language_host._real_handler(None)
