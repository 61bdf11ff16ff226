"""A file-backed dynamic provider for the engine's end-to-end programs.

Each resource is a JSON file `<dir>/<name>.json`. Knobs (resource inputs) make a create
slow, gated on a file, failing, or chatty, and every create is recorded so tests can
count them:

    <dir>/<name>.json        the resource
    <dir>/creates.log        one line per create that completed: its name
    <dir>/started/<name>     touched when a create starts (tests wait for it)
    <dir>/max-concurrency    most creates ever running at once

The programs import this module by name (the tests put this folder on PYTHONPATH), so
the provider is pickled by reference, exactly as pulumi_vast's own providers are.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from pulumi_vast import _stopping as stopping
from pulumi_vast.engine import progress

CONFIG_DUMP_ENV = "FILESTORE_CONFIG_DUMP"
GATE_TIMEOUT_S = 120.0


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with (directory / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _running(directory: Path, name: str) -> Iterator[None]:
    """Count this create among those running, and keep the high-water mark."""
    (directory / "started").mkdir(exist_ok=True)
    running = directory / "running"
    running.mkdir(exist_ok=True)
    with _locked(directory):
        (running / name).touch()
        now = len(list(running.iterdir()))
        mark = directory / "max-concurrency"
        best = int(mark.read_text()) if mark.exists() else 0
        mark.write_text(str(max(best, now)))
    (directory / "started" / name).touch()
    try:
        yield
    finally:
        with _locked(directory):
            (running / name).unlink()


class FileStoreProvider(dyn.ResourceProvider):
    def configure(self, req: dyn.ConfigureRequest) -> None:
        dump = os.environ.get(CONFIG_DUMP_ENV)
        if dump:
            raw: dict[str, Any] = req.config._props
            Path(dump).write_text(
                json.dumps({k: {"type": type(v).__name__, "value": v} for k, v in raw.items()})
            )

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        directory = Path(props["dir"])
        directory.mkdir(parents=True, exist_ok=True)
        name = props["name"]
        with _running(directory, name):
            for message in props.get("progress") or []:
                progress.report(message)
            if props.get("log"):
                pulumi.log.info(props["log"])
            gate = props.get("gate")
            if gate:
                deadline = time.monotonic() + GATE_TIMEOUT_S
                # A "stoppable" create gives up when the host is stopped (like a rental).
                nap = stopping.sleep if props.get("stoppable") else time.sleep
                while not Path(gate).exists() and time.monotonic() < deadline:
                    nap(0.05)
            elif props.get("sleep"):
                time.sleep(float(props["sleep"]))
            if props.get("fail"):
                raise RuntimeError(props["fail"])
        (directory / f"{name}.json").write_text(json.dumps(props.get("content")))
        with _locked(directory), (directory / "creates.log").open("a") as log:
            log.write(name + "\n")
        return dyn.CreateResult(id_=name, outs=dict(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = olds.get("content") != news.get("content")
        return dyn.DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        Path(news["dir"], f"{news['name']}.json").write_text(json.dumps(news.get("content")))
        return dyn.UpdateResult(outs=dict(news))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        path = Path(props["dir"], f"{id_}.json")
        if not path.exists():
            return dyn.ReadResult(None, {})
        return dyn.ReadResult(id_, {**props, "content": json.loads(path.read_text())})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        Path(props["dir"], f"{id_}.json").unlink(missing_ok=True)


class Entry(dyn.Resource, module="filestore", name="Entry"):
    content: pulumi.Output[Any]

    def __init__(
        self,
        name: str,
        directory: str,
        content: Any = None,
        opts: pulumi.ResourceOptions | None = None,
        **knobs: Any,
    ) -> None:
        props = {"dir": directory, "name": name, "content": content, **knobs}
        super().__init__(FileStoreProvider(), name, props, opts)
