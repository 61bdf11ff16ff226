"""progress.report: to the engine with the current URN, else to stderr."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator

import pytest
from pulumi.runtime.proto import engine_pb2

from pulumi_vast.engine import progress
from tests.fixtures.engine import FakeEngine

URN = "urn:pulumi:dev::proj::pulumi-python:dynamic:Resource::gpu"


@pytest.fixture
def attached(fake_engine: FakeEngine) -> Iterator[FakeEngine]:
    progress.attach_engine(fake_engine.address)
    yield fake_engine
    progress.attach_engine(None)


def test_without_an_engine_messages_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.operation(URN):
        progress.report("waiting for SSH")

    assert capsys.readouterr().err == "waiting for SSH\n"


def test_messages_carry_the_urn_of_the_operation(attached: FakeEngine) -> None:
    with progress.operation(URN):
        progress.report("renting offer 7")
        progress.report("kept in the diagnostics", ephemeral=False)
    progress.report("outside any operation")

    assert [(log.message, log.urn, log.ephemeral, log.severity) for log in attached.logs] == [
        ("renting offer 7", URN, True, engine_pb2.INFO),
        ("kept in the diagnostics", URN, False, engine_pb2.INFO),
        ("outside any operation", "", True, engine_pb2.INFO),
    ]


def test_operations_are_per_thread_context(attached: FakeEngine) -> None:
    seen: dict[str, str] = {}

    def worker(name: str) -> None:
        seen[name] = progress.current_urn()

    with progress.operation(URN):
        plain = threading.Thread(target=worker, args=("plain",))
        carried = threading.Thread(target=contextvars.copy_context().run, args=(worker, "carried"))
        for thread in (plain, carried):
            thread.start()
            thread.join()

    assert seen == {"plain": "", "carried": URN}
    assert progress.current_urn() == ""


def test_an_unreachable_engine_falls_back_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{sock.getsockname()[1]}"
    progress.attach_engine(dead)
    try:
        progress.report("still shown")
    finally:
        progress.attach_engine(None)

    assert capsys.readouterr().err == "still shown\n"
