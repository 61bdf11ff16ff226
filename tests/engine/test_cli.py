"""End to end with the real pulumi CLI: one tiny program per feature (tests/engine/programs)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_vast.engine.s3_backend import MotoS3
from pulumi_vast.engine.workspace import PulumiWorkspace

pytestmark = pytest.mark.slow

Program = Callable[..., PulumiWorkspace]
WAIT_S = 120.0


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


class _Streamed:
    """A started command whose stdout is collected as it comes (to wait for a line)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._out: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._out.append(line)

    def stdout(self) -> str:
        return "".join(self._out)

    def finish(self) -> tuple[int, str, str]:
        assert self.process.stderr is not None
        err = self.process.stderr.read()
        self.process.wait(WAIT_S)
        self._reader.join(WAIT_S)
        return self.process.returncode, self.stdout(), err


def _entries(ws: PulumiWorkspace) -> list[str]:
    """Names of the filestore entries recorded in the stack's state."""
    return sorted(
        r["urn"].rsplit("::", 1)[-1]
        for r in ws.resources()
        if r["type"] == "pulumi-python:dynamic/filestore:Entry"
    )


def test_stack_outputs_preview_refresh_and_destroy(tmp_path: Path, engine_program: Program) -> None:
    ws = engine_program("outputs")
    store = tmp_path / "store"
    ws.set_config("store", str(store))

    ws.up()

    assert ws.outputs() == {
        "greeting": "hello",
        "content": {"answer": 42},
        "token": "s3cr3t-output",
    }
    assert "s3cr3t-output" not in json.dumps(ws.export_state())
    ws.preview("--expect-no-changes")

    (store / "first.json").unlink()  # the resource disappears behind Pulumi's back
    ws.refresh()
    assert _entries(ws) == []

    ws.up()
    assert _entries(ws) == ["first"]
    ws.destroy()
    assert ws.resources() == []


def test_config_and_secrets_reach_program_and_provider(
    tmp_path: Path, engine_program: Program
) -> None:
    dump = tmp_path / "provider-config.json"
    ws = engine_program("config", env={"FILESTORE_CONFIG_DUMP": str(dump)})
    ws.set_config("store", str(tmp_path / "store"))
    ws.set_config("plain", "visible")
    ws.set_config("password", "hunter2", secret=True)
    ws.set_config("vast:apiUrl", "local")
    ws.set_config("vast:apiKey", "key-0123", secret=True)

    shown = ws.up()

    assert ws.outputs() == {"plain": "visible", "password": "hunter2", "api_url": "local"}
    for secret in ("hunter2", "key-0123"):
        assert secret not in shown.stdout
        assert secret not in json.dumps(ws.export_state())
    # What a dynamic provider's configure() receives: the whole stack config, keys with
    # their namespace, secrets already unwrapped to plain strings.
    assert json.loads(dump.read_text()) == {
        "vast:apiUrl": {"type": "str", "value": "local"},
        "vast:apiKey": {"type": "str", "value": "key-0123"},
        "engine-config:plain": {"type": "str", "value": "visible"},
        "engine-config:password": {"type": "str", "value": "hunter2"},
        "engine-config:store": {"type": "str", "value": str(tmp_path / "store")},
    }


def test_a_raising_program_shows_its_own_frames_and_fails(
    tmp_path: Path, engine_program: Program
) -> None:
    ws = engine_program("raises")
    ws.set_config("store", str(tmp_path / "store"))

    done = ws.up(check=False)

    assert done.returncode != 0
    out = done.stdout
    assert out.count("Program failed with an unhandled exception:") == 2  # row + diagnostics
    assert "Traceback (most recent call last):" in out
    assert re.search(r'File ".*__main__\.py", line 13, in <module>', out)
    assert "ValueError: the answer must be 42, not 41" in out
    for noise in ("language_host", "runpy", "grpc", "_grpc_host", "pulumi/runtime"):
        assert noise not in out + done.stderr


@pytest.mark.parametrize("signalled", ["terminal", "every-process"])
def test_ctrl_c_during_a_create_keeps_the_state_consistent(
    tmp_path: Path, engine_program: Program, signalled: str
) -> None:
    """ "terminal" is what Ctrl-C does (SIGINT to pulumi's process group; the engine starts
    plugins in groups of their own); "every-process" also signals the plugins, whose
    provider host asks the create in flight to stop and waits for it (this one does not
    stop early: it finishes, and is recorded)."""
    store, gate = tmp_path / "store", tmp_path / "gate"
    ws = engine_program("interrupt")
    ws.set_config("store", str(store))
    ws.set_config("gate", str(gate))

    running = _Streamed(ws.start("up", "--yes", "--non-interactive", "--skip-preview"))
    _wait_for(lambda: (store / "started" / "slow").exists(), "the slow create to start")
    pid = running.process.pid
    groups = [pid] + (_descendants(pid) if signalled == "every-process" else [])
    for group in groups:
        os.killpg(group, signal.SIGINT)
    _wait_for(lambda: "^C received; cancelling" in running.stdout(), "the CLI to cancel")
    if signalled == "every-process":
        _wait_for(
            lambda: "operation(s) in flight" in running.stdout(), "the provider host to drain"
        )
    gate.touch()
    status, out, _err = running.finish()

    assert status != 0
    assert "update canceled" in out
    assert _entries(ws) == ["quick", "slow"]  # the create in flight finished and was recorded
    assert (store / "creates.log").read_text().splitlines() == ["quick", "slow"]
    assert _descendants(pid) == []

    ws.up()
    ws.preview("--expect-no-changes")
    assert (store / "creates.log").read_text().splitlines() == ["quick", "slow"]


def _descendants(pid: int) -> list[int]:
    """Live processes below `pid` (the engine's plugins)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_more_than_four_dynamic_creates_run_at_once(
    tmp_path: Path, engine_program: Program
) -> None:
    store, gate, count = tmp_path / "store", tmp_path / "gate", 12
    ws = engine_program("parallel")
    ws.set_config("store", str(store))
    ws.set_config("gate", str(gate))
    ws.set_config("count", str(count))

    # The engine's default parallelism is 4 per CPU: ask for enough on small machines.
    running = _Streamed(ws.start("up", "--yes", "--non-interactive", "--skip-preview", "-p", "16"))
    _wait_for(lambda: len(list((store / "started").glob("*"))) == count, "all creates to start")
    gate.touch()
    status, out, err = running.finish()

    assert status == 0, out + err
    assert int((store / "max-concurrency").read_text()) == count


def test_provider_progress_shows_on_the_resource_row(
    tmp_path: Path, engine_program: Program
) -> None:
    ws = engine_program("progress")
    ws.set_config("store", str(tmp_path / "store"))

    out = ws.up("--skip-preview").stdout

    rows = [line for line in out.splitlines() if "filestore:Entry chatty" in line]
    assert any(row.endswith("phase one: renting") for row in rows), out
    assert any(row.endswith("phase two: waiting for SSH") for row in rows), out
    diagnostics = out.split("Diagnostics:", 1)[1]
    assert "pulumi-python:dynamic/filestore:Entry (chatty):" in diagnostics
    assert "a pulumi.log.info line from the provider" in diagnostics
    assert "phase one" not in diagnostics  # ephemeral: shown while running, not kept


def test_an_s3_backend_on_moto_holds_the_stack(
    tmp_path: Path, engine_program: Program, moto_s3: MotoS3
) -> None:
    ws = engine_program("outputs", backend_url=moto_s3.backend_url, env=moto_s3.env)
    ws.set_config("store", str(tmp_path / "store"))

    ws.up()
    ws.preview("--expect-no-changes")

    assert ws.outputs()["greeting"] == "hello"
    assert any(key.endswith("test.json") for key in moto_s3.objects()), moto_s3.objects()
    ws.destroy()
    assert ws.resources() == []


@pytest.mark.parametrize(
    ("main", "entry_file"), [("src/", "__main__.py"), ("src/infra.py", "infra.py")]
)
def test_main_in_pulumi_yaml_names_the_program(
    tmp_path: Path, engine_program: Program, main: str, entry_file: str
) -> None:
    ws = engine_program("outputs")
    ws.set_config("store", str(tmp_path / "store"))
    (ws.project_dir / "src").mkdir()
    (ws.project_dir / "__main__.py").rename(ws.project_dir / "src" / entry_file)
    yaml = ws.project_dir / "Pulumi.yaml"
    yaml.write_text(yaml.read_text() + f"main: {main}\n")

    out = ws.preview().stdout

    assert "pulumi-python:dynamic/filestore:Entry first create" in out
