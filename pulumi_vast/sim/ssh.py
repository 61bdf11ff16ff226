"""A real SSH server for each simulated instance, on asyncssh.

What a user meets on a Vast instance, on loopback: user ``root``, public-key login only
(against the keys the account and the instance have *at that moment*), commands run by bash
in the instance's folder with Vast's environment, an interactive shell when a terminal is
requested, SFTP and scp where ``/root`` and ``/workspace`` are the instance's folder, and
local port forwarding (``ssh -L``), which users lean on for Jupyter and TensorBoard.

The simulator owns one :class:`SshHost` per running instance and listens on two ports, as
Vast exposes two routes to port 22: the proxy ``ssh_host:ssh_port`` and the direct mapping
of ``22/tcp``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import asyncssh

from pulumi_vast.sim._ssh_procs import BASH, ProcessTracker
from pulumi_vast.sim._ssh_session import SessionRunner
from pulumi_vast.sim._ssh_sftp import ContainerSFTPServer

__all__ = ["LOGIN_USER", "SshHost", "ensure_host_key"]

logger = logging.getLogger(__name__)

#: The only account on a Vast instance that SSH accepts.
LOGIN_USER = "root"
_HOST_KEY_ALGORITHM = "ssh-ed25519"
_PORT_UNAVAILABLE = (errno.EADDRINUSE, errno.EACCES)
#: How long stop() waits for sessions and connections to wind down after their processes end.
_CLOSE_TIMEOUT_SECONDS = 5.0


def ensure_host_key(path: Path) -> None:
    """Create an ed25519 host key at ``path`` (mode 0600) unless one is there already.

    Safe when several simulators share a data dir: the key appears atomically, and the
    first one written wins.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key(_HOST_KEY_ALGORITHM, comment="pulumi-vast simulator")
    draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(key.export_private_key("openssh"))
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink()


class _InstanceServer(asyncssh.SSHServer):
    """Authentication and connection bookkeeping for one client connection."""

    def __init__(self, host: SshHost) -> None:
        self._host = host
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._host._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._host._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        if username != LOGIN_USER:
            logger.info("refused SSH login as %r: only %r may log in", username, LOGIN_USER)
            return False
        peer = self._conn.get_extra_info("peername", ("",))[0] if self._conn else ""
        return self._host._is_authorized(key, peer)

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> bool:
        return True


class SshHost:
    """A real SSH server (asyncssh) for one simulated instance, rooted in its own folder."""

    def __init__(
        self,
        *,
        root: Path,
        env: Mapping[str, str],
        authorized_keys: Callable[[], Iterable[str]],
        host_key_path: Path,
        bind_host: str = "127.0.0.1",
    ) -> None:
        """
        Args:
            root: the instance's folder: cwd of every command, SFTP root, ``HOME``.
            env: Vast's variables (CONTAINER_ID, CONTAINER_API_KEY, ...) plus the user's
                ``-e`` variables; read again for every session.
            authorized_keys: OpenSSH public key lines; called at each login attempt.
            host_key_path: private host key, created by :func:`ensure_host_key` if missing.
            bind_host: the address to listen on.
        """
        self._root = root
        self._env = env
        self._authorized_keys = authorized_keys
        self._host_key_path = host_key_path
        self._bind_host = bind_host
        self._listeners: list[asyncssh.SSHAcceptor] = []
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._sessions: set[asyncio.Task[None]] = set()
        self._tracker = ProcessTracker()
        self._runner = SessionRunner(
            root=root, environment=self._environment, tracker=self._tracker
        )

    @property
    def ports(self) -> list[int]:
        """The ports listened on, in the order asked of :meth:`start`; empty when stopped."""
        return [listener.get_port() for listener in self._listeners]

    async def start(self, ports: Sequence[int] = (0, 0)) -> list[int]:
        """Listen on each port (0 = pick a free one; a busy requested port falls back to a
        free one); return the bound ports in order.
        """
        if self._listeners:
            raise RuntimeError(f"the SSH server of {self._root} is already listening")
        ensure_host_key(self._host_key_path)
        host_key = asyncssh.read_private_key(self._host_key_path)
        self._root.mkdir(parents=True, exist_ok=True)
        try:
            for port in ports:
                self._listeners.append(await self._listen(port, host_key))
        except BaseException:
            await self._close_listeners()
            raise
        return self.ports

    async def stop(self) -> None:
        """Close the listeners and every open session; kill processes started by sessions
        and by :meth:`run_background`.
        """
        await self._close_listeners()
        connections = list(self._connections)
        for conn in connections:
            conn.close()
        await self._tracker.terminate_all()
        await _settle(self._sessions)
        await _settle({asyncio.ensure_future(conn.wait_closed()) for conn in connections})
        await self._tracker.wait_reaped()

    async def run_background(self, script: str, *, log_name: str = "onstart.log") -> None:
        """Start ``bash -c script`` in root with env (the instance's onstart), output appended
        to ``root/log_name``; don't wait.
        """
        self._root.mkdir(parents=True, exist_ok=True)
        with (self._root / log_name).open("ab") as log:
            await self._tracker.spawn(
                [BASH, "-c", script],
                cwd=self._root,
                env=self._environment(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )

    async def _listen(self, port: int, host_key: asyncssh.SSHKey) -> asyncssh.SSHAcceptor:
        try:
            return await self._listen_exactly(port, host_key)
        except OSError as exc:
            if port == 0 or exc.errno not in _PORT_UNAVAILABLE:
                raise
            logger.info("SSH port %d is taken; listening on a free port instead", port)
            return await self._listen_exactly(0, host_key)

    async def _listen_exactly(self, port: int, host_key: asyncssh.SSHKey) -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            self._bind_host,
            port,
            server_factory=functools.partial(_InstanceServer, self),
            server_host_keys=[host_key],
            process_factory=self._run_session,
            sftp_factory=functools.partial(ContainerSFTPServer, root=self._root),
            allow_scp=True,
            encoding=None,
            line_editor=False,
            agent_forwarding=False,
            x11_forwarding=False,
        )

    async def _close_listeners(self) -> None:
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener.close()
        for listener in listeners:
            await listener.wait_closed()

    async def _run_session(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            await self._runner(process)
        finally:
            self._sessions.discard(task)

    def _environment(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", os.defpath),
            **self._env,
            "HOME": str(self._root),
            "USER": LOGIN_USER,
            "LOGNAME": LOGIN_USER,
            "SHELL": BASH,
        }

    def _is_authorized(self, key: asyncssh.SSHKey, peer: str) -> bool:
        try:
            lines = [line for line in self._authorized_keys() if line.strip()]
        except Exception:  # the simulator's key lookup failed: refuse rather than crash
            logger.exception("could not read the authorized keys of %s", self._root)
            return False
        if not lines:
            return False
        try:
            authorized = asyncssh.import_authorized_keys("\n".join(lines))
        except ValueError:  # not one line parsed as a key
            logger.warning("no valid authorized key for %s", self._root)
            return False
        return authorized.validate(key, peer, peer) is not None


async def _settle(tasks: Iterable[asyncio.Future[None]]) -> None:
    pending = set(tasks)
    if not pending:
        return
    _, late = await asyncio.wait(pending, timeout=_CLOSE_TIMEOUT_SECONDS)
    for task in late:
        task.cancel()
