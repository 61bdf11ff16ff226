"""Plumbing shared by the hosts: the engine's plugin arguments, the in-flight register."""

from __future__ import annotations

import threading

import pytest

from pulumi_vast.engine._grpc_host import InFlight, parse_host_args


@pytest.mark.parametrize(
    ("argv", "address"),
    [
        (["127.0.0.1:4000"], "127.0.0.1:4000"),
        (["--logtostderr", "-v=9", "--tracing", "http://t:1", "127.0.0.1:4000"], "127.0.0.1:4000"),
        (["-v=3", "127.0.0.1:4000"], "127.0.0.1:4000"),
        ([], None),
    ],
)
def test_the_engine_address_is_the_last_argument(argv: list[str], address: str | None) -> None:
    assert parse_host_args(argv, "host").engine_address == address


def test_in_flight_calls_are_listed_until_they_exit() -> None:
    calls = InFlight()
    calls.enter("Create urn:a")
    read = calls.enter("Read urn:b")

    calls.exit(read)

    assert calls.snapshot() == ["Create urn:a"]
    assert not calls.wait_idle(timeout=0.01)


def test_waiting_for_idle_returns_when_the_last_call_exits() -> None:
    calls = InFlight()
    token = calls.enter("Create urn:a")
    finished = threading.Event()

    def wait() -> None:
        calls.wait_idle()
        finished.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    calls.exit(token)
    waiter.join(timeout=30)

    assert finished.is_set()
    assert calls.snapshot() == []
