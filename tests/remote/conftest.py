"""Real SSH servers on loopback for the remote layer's tests (no mocks of SSH)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from pulumi_vast.sim.ssh import SshHost
from tests.remote.sshhosts import ClientKey, LoopThread, ServedHost, new_client_key


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def client_key(tmp_path_factory: pytest.TempPathFactory) -> ClientKey:
    return new_client_key(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def other_key(tmp_path_factory: pytest.TempPathFactory) -> ClientKey:
    return new_client_key(tmp_path_factory.mktemp("other-keys"), "id_other")


MakeHost = Callable[..., ServedHost]


@pytest.fixture
def make_host(tmp_path: Path, loop_thread: LoopThread, client_key: ClientKey) -> Iterator[MakeHost]:
    """Build (and by default start) SshHosts authorizing ``client_key``; stopped at teardown."""
    hosts: list[ServedHost] = []

    def make(
        *, start: bool = True, env: Mapping[str, str] | None = None, name: str = "instance"
    ) -> ServedHost:
        keys = [client_key.public_line]
        served = ServedHost(
            host=SshHost(
                root=tmp_path / name,
                env=dict(env or {"CONTAINER_ID": "C.4242"}),
                authorized_keys=lambda: list(keys),
                host_key_path=tmp_path / "ssh_host_ed25519_key",
            ),
            root=tmp_path / name,
            loop=loop_thread,
            keys=keys,
        )
        hosts.append(served)
        if start:
            served.start()
        return served

    yield make
    for served in hosts:
        served.stop()


@pytest.fixture
def served(make_host: MakeHost) -> ServedHost:
    return make_host()
