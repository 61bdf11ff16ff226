"""Operations in flight, and the guard that is inert outside the SDK's stock host (the e2e
tests in tests/e2e/test_stock_host.py run it there)."""

from __future__ import annotations

import socket
import sys
import threading
from importlib.machinery import ModuleSpec
from types import ModuleType

import pytest

from pulumi_vast import _stopping as stopping


def test_wait_idle_waits_for_the_operations_in_flight() -> None:
    entered, leave = threading.Event(), threading.Event()

    def operation() -> None:
        with stopping.in_flight():
            entered.set()
            leave.wait()

    worker = threading.Thread(target=operation)
    worker.start()
    entered.wait()
    assert not stopping.wait_idle(0.0)
    leave.set()
    assert stopping.wait_idle(30.0)
    worker.join()


def test_the_engine_is_reachable_while_it_listens() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        address = f"127.0.0.1:{listening.getsockname()[1]}"
        assert stopping.engine_reachable(address)
    assert not stopping.engine_reachable(address)
    assert not stopping.engine_reachable("no port")


def _watchers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pulumi-vast-engine-watch"]


@pytest.mark.parametrize("where", ["a program", "our host"])
def test_the_guard_is_inert_outside_the_stock_host(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stopping, "_guarded", False)
    if where == "our host":
        stock = ModuleType("__main__")
        stock.__spec__ = ModuleSpec(stopping.STOCK_HOST_MODULE, None)
        monkeypatch.setitem(sys.modules, "__main__", stock)
        monkeypatch.setattr(stopping, "_hosted", False)
        stopping.mark_hosted()

    stopping.guard_unhosted(["pulumi.dynamic", "127.0.0.1:1"])

    assert not stopping._guarded
    assert _watchers() == []
