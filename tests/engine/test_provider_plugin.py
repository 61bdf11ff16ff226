"""`pulumi-resource-pulumi-python` as ./dev installs it: the program's Python serves its
dynamic providers, with pulumi-vast's host where that environment has it, else the SDK's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import provider_pb2_grpc

from pulumi_vast.engine import provider_host
from pulumi_vast.engine.provider_host import SDK_MODULE, SdkShapeChanged
from pulumi_vast.engine.provider_plugin import runtime_options
from pulumi_vast.engine.workspace import venv_bin_dir
from tests.engine.test_toolchain import OUR_PACKAGES, make_venv
from tests.fixtures.engine import FakeEngine, HostProcess

PLUGIN = "pulumi-resource-pulumi-python"
REPO = Path(__file__).resolve().parents[2]
# pulumi-vast's host refuses a bad thread count; the SDK's host never reads it.
ONLY_OURS_REFUSES = {"PULUMI_VAST_PROVIDER_THREADS": "many"}


def _environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = [entry.split(b"=", 1) for entry in raw.split(b"\0") if b"=" in entry]
    return {key.decode(): value.decode() for key, value in pairs}


def test_runtime_options_come_from_the_engines_environment() -> None:
    env = {
        "PULUMI_RUNTIME_VIRTUALENV": "venv",
        "PULUMI_RUNTIME_TOOLCHAIN": "pip",
        "PULUMI_PROJECT": "p",
        "PATH": "/bin",
    }

    assert runtime_options(env) == {"virtualenv": "venv", "toolchain": "pip"}


@pytest.mark.slow
def test_a_virtualenv_without_pulumi_vast_serves_with_the_sdks_own_host(
    tmp_path: Path, plugin_host: Callable[..., HostProcess], fake_engine: FakeEngine
) -> None:
    venv = make_venv(tmp_path / "venv", OUR_PACKAGES)
    project = tmp_path / "project"
    project.mkdir()
    host = plugin_host(
        PLUGIN,
        fake_engine.address,
        env={"PULUMI_RUNTIME_VIRTUALENV": str(venv), **ONLY_OURS_REFUSES},
        cwd=project,
    )

    info = provider_pb2_grpc.ResourceProviderStub(host.channel).GetPluginInfo(
        empty_pb2.Empty(), timeout=10
    )

    assert info.version
    assert _environment_of(host.process.pid)["VIRTUAL_ENV"] == str(venv)


@pytest.mark.slow
def test_a_virtualenv_with_pulumi_vast_serves_with_its_host(tmp_path: Path) -> None:
    make_venv(tmp_path / "venv", OUR_PACKAGES, REPO)
    project = tmp_path / "project"
    project.mkdir()

    done = subprocess.run(
        [str(venv_bin_dir() / PLUGIN), "127.0.0.1:1"],
        cwd=project,
        env={
            "PATH": os.environ["PATH"],
            "PULUMI_RUNTIME_VIRTUALENV": "../venv",  # relative to the project folder
            **ONLY_OURS_REFUSES,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert "PULUMI_VAST_PROVIDER_THREADS='many'" in done.stderr


def test_a_missing_virtualenv_is_named(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(venv_bin_dir() / PLUGIN), "127.0.0.1:1"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "PULUMI_RUNTIME_VIRTUALENV": "venv"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert f"{PLUGIN}: The 'virtualenv' option in Pulumi.yaml is set to 'venv'" in done.stderr


def test_an_sdk_of_another_shape_gets_the_stock_host(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def changed() -> None:
        raise SdkShapeChanged("pulumi.dynamic.__main__ of this pulumi SDK has no `configure`")

    class Served(Exception):
        pass

    def stock() -> None:
        raise Served

    monkeypatch.setattr(provider_host, "load_sdk_servicer_module", changed)
    monkeypatch.setattr(provider_host, "serve_stock", stock)

    with pytest.raises(Served):
        provider_host.main(["127.0.0.1:1"])
    assert "has no `configure`; serving with the SDK's stock host instead" in (
        capsys.readouterr().err
    )


def test_an_sdk_module_without_what_the_host_adapts_is_a_changed_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    source = tmp_path / "__main__.py"
    source.write_text("def main():\n    pass\n\nmain()\n")
    monkeypatch.delitem(sys.modules, SDK_MODULE, raising=False)
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: importlib.util.spec_from_file_location(name, source),
    )

    with pytest.raises(SdkShapeChanged, match="has no `DynamicResourceProviderServicer`"):
        provider_host.load_sdk_servicer_module()
    assert SDK_MODULE not in sys.modules


def test_choosing_the_python_loads_neither_grpc_nor_the_sdk() -> None:
    probe = (
        "import sys, pulumi_vast.engine.provider_plugin\n"
        "print(sorted({'grpc', 'pulumi'} & {m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"
