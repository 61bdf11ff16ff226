"""Helpers for tests that need real SSH servers (``SshHost``) and client keys."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from pulumi_vast.remote import SshTarget
from pulumi_vast.sim.ssh import SshHost

__all__ = [
    "ClientKey",
    "LoopThread",
    "ServedHost",
    "new_client_key",
    "processes_named",
    "unique_name",
]

T = TypeVar("T")


@dataclass(frozen=True)
class ClientKey:
    """A client key pair: private key file and text, and its authorized_keys line."""

    path: Path
    text: str
    public_line: str


def new_client_key(directory: Path, name: str = "id_ed25519") -> ClientKey:
    key = asyncssh.generate_private_key("ssh-ed25519", comment=f"test-{name}")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    text = key.export_private_key("openssh").decode()
    path.write_text(text)
    path.chmod(0o600)
    return ClientKey(path=path, text=text, public_line=key.export_public_key().decode().strip())


def processes_named(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (zombies excluded)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes()
            state = Path(entry.path, "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def unique_name() -> str:
    return f"pvtest-{uuid.uuid4().hex[:12]}"


class LoopThread:
    """An asyncio loop in a daemon thread, so synchronous clients (fabric) can be tested."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


@dataclass
class ServedHost:
    """An SshHost served from a LoopThread; ``keys`` is its live authorized key list."""

    host: SshHost
    root: Path
    loop: LoopThread
    keys: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    def start(self, ports: tuple[int, ...] = (0, 0)) -> list[int]:
        self.ports = self.loop.run(self.host.start(ports))
        return self.ports

    def stop(self) -> None:
        self.loop.run(self.host.stop())

    def target(self, key: ClientKey, index: int = 0, **options: Any) -> SshTarget:
        return SshTarget(host="127.0.0.1", port=self.ports[index], private_key=key.path, **options)
