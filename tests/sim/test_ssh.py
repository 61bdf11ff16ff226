"""The simulator's per-instance SSH server, driven by a real SSH client (asyncssh)."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import asyncssh
import pytest

from pulumi_vast.sim.ssh import SshHost, ensure_host_key
from tests.remote.sshhosts import ClientKey, new_client_key, processes_named, unique_name

ENV = {"CONTAINER_ID": "C.4242", "VAST_CONTAINERLABEL": "C.4242", "MY_SETTING": "from -e"}


@pytest.fixture(scope="module")
def key_a(tmp_path_factory: pytest.TempPathFactory) -> ClientKey:
    return new_client_key(tmp_path_factory.mktemp("a"), "id_a")


@pytest.fixture(scope="module")
def key_b(tmp_path_factory: pytest.TempPathFactory) -> ClientKey:
    return new_client_key(tmp_path_factory.mktemp("b"), "id_b")


def _host(
    tmp_path: Path, keys: Callable[[], Iterable[str]], env: Mapping[str, str] = ENV
) -> SshHost:
    return SshHost(
        root=tmp_path / "instance",
        env=env,
        authorized_keys=keys,
        host_key_path=tmp_path / "data" / "ssh_host_key",
    )


@asynccontextmanager
async def serving(
    tmp_path: Path, keys: Callable[[], Iterable[str]], ports: tuple[int, ...] = (0, 0)
) -> AsyncIterator[SshHost]:
    host = _host(tmp_path, keys)
    await host.start(ports)
    try:
        yield host
    finally:
        await host.stop()


async def connect(
    host: SshHost, key: ClientKey, *, user: str = "root", port_index: int = 0
) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect(
        "127.0.0.1",
        host.ports[port_index],
        username=user,
        client_keys=[str(key.path)],
        known_hosts=None,
        agent_path=None,
        encoding=None,
    )


@asynccontextmanager
async def logged_in(
    tmp_path: Path, key: ClientKey, port_index: int = 0
) -> AsyncIterator[tuple[SshHost, asyncssh.SSHClientConnection]]:
    """A host authorizing only ``key``, and a connection to it."""
    async with (
        serving(tmp_path, lambda: [key.public_line]) as host,
        await connect(host, key, port_index=port_index) as conn,
    ):
        yield host, conn


async def _eventually(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


def run_async(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), 60))


# authentication


def test_only_listed_keys_and_only_root_may_log_in(
    tmp_path: Path, key_a: ClientKey, key_b: ClientKey
) -> None:
    async def body() -> None:
        async with serving(tmp_path, lambda: [key_a.public_line]) as host:
            async with await connect(host, key_a) as conn:
                assert (await conn.run("whoami >/dev/null; echo in")).stdout == b"in\n"
            with pytest.raises(asyncssh.PermissionDenied):
                await connect(host, key_b)
            with pytest.raises(asyncssh.PermissionDenied):
                await connect(host, key_a, user="ubuntu")

    run_async(body)


def test_key_set_changes_apply_to_new_connections(
    tmp_path: Path, key_a: ClientKey, key_b: ClientKey
) -> None:
    keys = [key_a.public_line]

    async def body() -> None:
        async with serving(tmp_path, lambda: keys) as host, await connect(host, key_a) as kept:
            keys[:] = [key_b.public_line]
            with pytest.raises(asyncssh.PermissionDenied):
                await connect(host, key_a)
            async with await connect(host, key_b) as conn:
                assert (await conn.run("true")).exit_status == 0
            # like sshd: a session opened before the change stays open
            assert (await kept.run("true")).exit_status == 0

    run_async(body)


def test_bad_lines_are_skipped_and_a_failing_lookup_refuses(
    tmp_path: Path, key_a: ClientKey
) -> None:
    lookups = {"broken": False}

    def keys() -> list[str]:
        if lookups["broken"]:
            raise RuntimeError("database is locked")
        return ["not a key", "# comment", f'from="127.0.0.1" {key_a.public_line}']

    async def body() -> None:
        async with serving(tmp_path, keys) as host:
            async with await connect(host, key_a) as conn:
                assert (await conn.run("true")).exit_status == 0
            lookups["broken"] = True
            with pytest.raises(asyncssh.PermissionDenied):
                await connect(host, key_a)

    run_async(body)


# commands


def test_exec_runs_bash_in_root_with_the_instance_env(tmp_path: Path, key_a: ClientKey) -> None:
    async def body() -> None:
        async with logged_in(tmp_path, key_a, port_index=1) as (_, conn):
            result = await conn.run(
                'echo "$PWD|$HOME|$USER|$CONTAINER_ID|$MY_SETTING|$PATH|$BASH_VERSION"'
                "; echo problem >&2; exit 7"
            )
        assert isinstance(result.stdout, bytes)
        pwd, home, user, container, setting, path, bash = result.stdout.decode().strip().split("|")
        root = str(tmp_path / "instance")
        assert (pwd, home, user, container, setting) == (root, root, "root", "C.4242", "from -e")
        assert path == os.environ["PATH"]
        assert bash
        assert result.stderr == b"problem\n"
        assert result.exit_status == 7

    run_async(body)


def test_an_instance_path_without_bash_still_runs_commands(
    tmp_path: Path, key_a: ClientKey
) -> None:
    async def body() -> None:
        host = _host(tmp_path, lambda: [key_a.public_line], env={"PATH": "/opt/conda/bin"})
        await host.start()
        try:
            async with await connect(host, key_a) as conn:
                result = await conn.run("echo $PATH")
        finally:
            await host.stop()
        assert (result.exit_status, result.stdout) == (0, b"/opt/conda/bin\n")

    run_async(body)


def test_stdin_and_large_output_stream_through(tmp_path: Path, key_a: ClientKey) -> None:
    async def body() -> None:
        async with logged_in(tmp_path, key_a) as (_, conn):
            counted = await conn.run("wc -c", input=b"x" * 300_000)
            big = await conn.run("head -c 3000000 /dev/zero")
        assert isinstance(counted.stdout, bytes) and isinstance(big.stdout, bytes)
        assert counted.stdout.strip() == b"300000"
        assert len(big.stdout) == 3_000_000

    run_async(body)


def test_a_command_killed_by_a_signal_reports_it(tmp_path: Path, key_a: ClientKey) -> None:
    async def body() -> None:
        async with logged_in(tmp_path, key_a) as (_, conn):
            result = await conn.run("kill -TERM $$")
        assert result.exit_signal is not None and result.exit_signal[0] == "TERM"

    run_async(body)


def test_pty_shell_is_interactive_bash(tmp_path: Path, key_a: ClientKey) -> None:
    async def body() -> None:
        async with logged_in(tmp_path, key_a) as (_, conn):
            shell = await conn.create_process(term_type="xterm", term_size=(120, 40))
            shell.stdin.write(b"echo id=$CONTAINER_ID; stty size; tty; echo flags=$-\n")
            shell.stdin.write(b"echo END$((40 + 2))\n")
            before = await shell.stdout.readuntil(b"END42")
            shell.change_terminal_size(100, 30)
            shell.stdin.write(b"stty size; exit\n")
            after = await shell.stdout.read()
            await shell.wait()
        text = (before + after).decode()
        assert "id=C.4242" in text
        assert "40 120" in text and "30 100" in text
        assert "/dev/pts/" in text
        flags = re.search(r"flags=(\w+)", text)
        assert flags is not None and "i" in flags[1]  # an interactive shell
        assert shell.exit_status == 0

    run_async(body)


def test_port_forwarding_reaches_local_services(tmp_path: Path, key_a: ClientKey) -> None:
    async def body() -> None:
        async with logged_in(tmp_path, key_a) as (host, conn):
            reader, writer = await conn.open_connection("127.0.0.1", host.ports[1])
            banner = await reader.readline()
            writer.close()
        assert banner.startswith(b"SSH-2.0-")

    run_async(body)


# files


def test_sftp_maps_container_paths_into_the_folder(tmp_path: Path, key_a: ClientKey) -> None:
    root = tmp_path / "instance"

    async def body() -> None:
        async with logged_in(tmp_path, key_a) as (_, conn), conn.start_sftp_client() as sftp:
            assert await sftp.realpath(".") == "/root"
            async with sftp.open("/workspace/model.txt", "wb") as out:
                await out.write(b"weights")
            async with sftp.open("/root/model.txt", "rb") as copy:
                assert await copy.read() == b"weights"  # type: ignore[comparison-overlap]
            assert "model.txt" in await sftp.listdir("/")
            await sftp.mkdir("../../etc")
            await asyncssh.scp(str(tmp_path / "data" / "ssh_host_key"), (conn, "etc/k"))
        assert (root / "model.txt").read_text() == "weights"
        assert (root / "etc" / "k").is_file()

    run_async(body)


# lifecycle


def test_stop_closes_sessions_and_ends_every_process(tmp_path: Path, key_a: ClientKey) -> None:
    names = [unique_name() for _ in range(5)]

    async def body() -> None:
        host = _host(tmp_path, lambda: [key_a.public_line])
        ports = await host.start()
        conn = await connect(host, key_a)
        await conn.create_process(f"exec -a {names[0]} sleep 600")
        shell = await conn.create_process(term_type="xterm")
        shell.stdin.write(f"(exec -a {names[1]} sleep 600) &\n".encode())
        await conn.run(f"nohup bash -c 'exec -a {names[2]} sleep 600' >/dev/null 2>&1 &")
        await conn.run(
            f"setsid bash -c 'exec -a {names[3]} sleep 600' </dev/null >/dev/null 2>&1 &"
        )
        await host.run_background(f"exec -a {names[4]} sleep 600")
        await _eventually(lambda: all(processes_named(name) for name in names))
        assert all(processes_named(name) for name in names)

        await host.stop()

        assert [name for name in names if processes_named(name)] == []
        await asyncio.wait_for(conn.wait_closed(), 10)
        assert host.ports == []
        for port in ports:
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()

    run_async(body)


def test_a_dropped_client_hangs_up_its_commands_but_not_nohup_jobs(
    tmp_path: Path, key_a: ClientKey
) -> None:
    hung_up, detached = unique_name(), unique_name()

    async def body() -> None:
        async with serving(tmp_path, lambda: [key_a.public_line]) as host:
            conn = await connect(host, key_a)
            await conn.run(f"nohup bash -c 'exec -a {detached} sleep 600' >/dev/null 2>&1 &")
            await conn.create_process(f"exec -a {hung_up} sleep 600")
            await _eventually(lambda: bool(processes_named(hung_up)))
            conn.close()
            await _eventually(lambda: not processes_named(hung_up))
            assert processes_named(hung_up) == []
            assert processes_named(detached) != []
        assert processes_named(detached) == []

    run_async(body)


def test_run_background_appends_to_its_log(tmp_path: Path, key_a: ClientKey) -> None:
    log = tmp_path / "instance" / "onstart.log"

    async def body() -> None:
        host = _host(tmp_path, lambda: [key_a.public_line])
        await host.run_background('echo "first $CONTAINER_ID"')
        await host.run_background('echo "second in $PWD" >&2')
        await host.run_background("echo custom", log_name="other.log")
        other = tmp_path / "instance" / "other.log"
        await _eventually(
            lambda: len(log.read_text().splitlines()) == 2 and other.read_text() != ""
        )
        await host.stop()

    run_async(body)
    assert sorted(log.read_text().splitlines()) == [
        "first C.4242",
        f"second in {tmp_path / 'instance'}",
    ]
    assert (tmp_path / "instance" / "other.log").read_text() == "custom\n"


def test_requested_ports_are_used_and_busy_ones_fall_back(tmp_path: Path, key_a: ClientKey) -> None:
    async def body() -> None:
        with socket.socket() as busy, socket.socket() as spare:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            spare.bind(("127.0.0.1", 0))
            busy_port, free_port = busy.getsockname()[1], spare.getsockname()[1]
            spare.close()
            host = _host(tmp_path, lambda: [key_a.public_line])
            ports = await host.start((busy_port, free_port))
            try:
                assert ports[1] == free_port
                assert ports[0] not in (busy_port, 0)
                assert host.ports == ports
                async with await connect(host, key_a, port_index=0) as conn:
                    assert (await conn.run("true")).exit_status == 0
            finally:
                await host.stop()
            assert await host.start((0,)) != []  # a stopped host can start again
            await host.stop()

    run_async(body)


def test_host_key_is_created_once_and_presented(tmp_path: Path, key_a: ClientKey) -> None:
    path = tmp_path / "data" / "ssh_host_key"
    ensure_host_key(path)
    first = path.read_bytes()
    ensure_host_key(path)
    public = asyncssh.read_private_key(path).convert_to_public()

    async def body() -> None:
        async with serving(tmp_path, lambda: [key_a.public_line]) as host:
            pinned = asyncssh.connect(
                "127.0.0.1",
                host.ports[0],
                username="root",
                client_keys=[str(key_a.path)],
                known_hosts=([public], [], []),
            )
            async with pinned as conn:
                assert (await conn.run("true")).exit_status == 0

    run_async(body)
    assert path.read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
