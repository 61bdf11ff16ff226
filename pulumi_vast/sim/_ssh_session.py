"""Run what an SSH client asks of an instance: a command or a shell, over pipes or a pty.

Like OpenSSH's sshd: an exec request runs ``bash -c COMMAND``; a shell request runs bash,
interactive when the client asked for a pseudo-terminal. The exit status (or the signal
that ended the process) goes back to the client. When the client goes away first, the
session's processes get SIGHUP, as a dropped login does; ``nohup`` jobs survive until the
instance stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import signal
import struct
import termios
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import asyncssh

from pulumi_vast.sim._ssh_procs import BASH, ProcessTracker

__all__ = ["SessionRunner"]

logger = logging.getLogger(__name__)

_CHUNK = 65536
_DEFAULT_COLUMNS, _DEFAULT_ROWS = 80, 24
_END_OF_INPUT = b"\x04"  # what a terminal sends for Ctrl-D
_INTERNAL_ERROR_STATUS = 255  # what ssh reports when the session itself fails

_ServerProcess = asyncssh.SSHServerProcess[bytes]


class SessionRunner:
    """The ``process_factory`` of one instance's SSH server."""

    def __init__(
        self,
        *,
        root: Path,
        environment: Callable[[], Mapping[str, str]],
        tracker: ProcessTracker,
    ) -> None:
        self._root = root
        self._environment = environment
        self._tracker = tracker

    async def __call__(self, process: _ServerProcess) -> None:
        try:
            returncode = await self._run(process)
        except Exception:
            logger.exception("SSH session in %s failed", self._root)
            with contextlib.suppress(OSError, asyncssh.Error):
                process.stderr.write(b"simulator: the session failed; see the simulator log\n")
            returncode = _INTERNAL_ERROR_STATUS
        if returncode is not None:
            _report_exit(process, returncode)

    async def _run(self, process: _ServerProcess) -> int | None:
        if process.subsystem is not None:
            process.stderr.write(f"subsystem {process.subsystem!r} is not available\n".encode())
            return 1
        terminal_type = process.get_terminal_type()
        env = {**self._environment(), **_session_variables(process)}
        if process.command is not None:
            argv = [BASH, "-c", process.command]
        else:
            argv = [BASH, "-i"] if terminal_type else [BASH]
        if terminal_type:
            return await self._run_in_pty(process, argv, {**env, "TERM": terminal_type})
        return await self._run_with_pipes(process, argv, env)

    async def _run_with_pipes(
        self, process: _ServerProcess, argv: Sequence[str], env: Mapping[str, str]
    ) -> int | None:
        pipe = asyncio.subprocess.PIPE
        proc = await self._tracker.spawn(
            argv, cwd=self._root, env=env, stdin=pipe, stdout=pipe, stderr=pipe
        )
        assert proc.stdin and proc.stdout and proc.stderr
        feeder = asyncio.ensure_future(_feed_pipe(process, proc))
        work = asyncio.ensure_future(
            _wait_with_output(
                proc,
                _copy_pipe(proc.stdout, process.stdout),
                _copy_pipe(proc.stderr, process.stderr),
            )
        )
        returncode: int | None = None
        try:
            returncode = await _unless_hung_up(process, work)
        finally:
            feeder.cancel()
            proc.stdin.close()
            if returncode is None:
                # hung up, like sshd; `work` keeps draining the output into nothing until the
                # command ends, so nothing that survives SIGHUP blocks on a full pipe
                self._tracker.signal_group(proc, signal.SIGHUP)
        return returncode

    async def _run_in_pty(
        self, process: _ServerProcess, argv: Sequence[str], env: Mapping[str, str]
    ) -> int | None:
        master_fd, slave_fd = os.openpty()
        try:
            terminal = _PtyMaster(master_fd)
            terminal.resize(process.get_terminal_size())
            proc = await self._tracker.spawn(
                argv,
                cwd=self._root,
                env=env,
                stdin=slave_fd,
                stdout=slave_fd,
                stderr=slave_fd,
                controlling_tty=True,
            )
        except BaseException:
            os.close(master_fd)
            raise
        finally:
            os.close(slave_fd)
        copier = asyncio.ensure_future(_copy_pty(terminal, process.stdout))
        feeder = asyncio.ensure_future(_feed_pty(process, terminal, proc))
        exited = asyncio.ensure_future(proc.wait())
        returncode: int | None = None
        try:
            returncode = await _unless_hung_up(process, exited)
            if returncode is not None:
                # output written just before exit is still in the pty: pass it on
                copier.cancel()
                await asyncio.gather(copier, return_exceptions=True)
                with contextlib.suppress(OSError, asyncssh.Error):
                    process.stdout.write(terminal.read_available())
        finally:
            for task in (copier, feeder, exited):
                task.cancel()
            await asyncio.gather(copier, feeder, return_exceptions=True)
            terminal.close()  # a hangup: SIGHUP to whatever still runs on this terminal
        return returncode


def _session_variables(process: _ServerProcess) -> dict[str, str]:
    peer_host, peer_port = process.get_extra_info("peername", ("", 0))[:2]
    own_host, own_port = process.get_extra_info("sockname", ("", 0))[:2]
    return {
        "SSH_CLIENT": f"{peer_host} {peer_port} {own_port}",
        "SSH_CONNECTION": f"{peer_host} {peer_port} {own_host} {own_port}",
    }


def _report_exit(process: _ServerProcess, returncode: int) -> None:
    with contextlib.suppress(OSError, asyncssh.Error):
        if returncode >= 0:
            process.exit(returncode)
            return
        try:
            name = signal.Signals(-returncode).name.removeprefix("SIG")
        except ValueError:  # a signal without a name (real-time): report it as a shell would
            process.exit(128 - returncode)
        else:
            process.exit_with_signal(name)


async def _unless_hung_up(process: _ServerProcess, work: asyncio.Future[int]) -> int | None:
    """``work``'s result, or None when the client closed the channel first."""
    closed = asyncio.ensure_future(process.channel.wait_closed())
    racers: list[asyncio.Future[Any]] = [work, closed]
    try:
        await asyncio.wait(racers, return_when=asyncio.FIRST_COMPLETED)
    finally:
        closed.cancel()
    return work.result() if work.done() else None


def _deliver(exc: Exception, proc: asyncio.subprocess.Process) -> bool:
    """Pass a client's signal or break on to the session; False if ``exc`` is neither."""
    if isinstance(exc, asyncssh.BreakReceived):
        ProcessTracker.signal_group(proc, signal.SIGINT)
    elif isinstance(exc, asyncssh.SignalReceived):
        signum = getattr(signal, f"SIG{exc.signal}", None)
        if isinstance(signum, signal.Signals):
            ProcessTracker.signal_group(proc, signum)
    else:
        return False
    return True


async def _read_client(
    process: _ServerProcess,
    proc: asyncio.subprocess.Process,
    on_resize: Callable[[tuple[int, int, int, int]], None],
) -> bytes | None:
    """Next chunk of the client's input; b"" at its EOF, None once the channel is gone."""
    while True:
        try:
            return await process.stdin.read(_CHUNK)
        except asyncssh.TerminalSizeChanged as exc:
            on_resize(exc.term_size)
        except (asyncssh.BreakReceived, asyncssh.SignalReceived) as exc:
            _deliver(exc, proc)
        except (asyncssh.Error, OSError):
            return None


async def _feed_pipe(process: _ServerProcess, proc: asyncio.subprocess.Process) -> None:
    assert proc.stdin
    while data := await _read_client(process, proc, lambda _: None):
        try:
            proc.stdin.write(data)
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            return  # the command stopped reading its input
    proc.stdin.close()


async def _copy_pipe(source: asyncio.StreamReader, sink: asyncssh.SSHWriter[bytes]) -> None:
    forwarding = True
    while data := await source.read(_CHUNK):
        if not forwarding:
            continue  # keep draining so the command never blocks on a full pipe
        try:
            sink.write(data)
            await sink.drain()
        except (OSError, asyncssh.Error):
            forwarding = False


async def _wait_with_output(proc: asyncio.subprocess.Process, *copies: Awaitable[None]) -> int:
    await asyncio.gather(*copies)
    return await proc.wait()


async def _feed_pty(
    process: _ServerProcess, terminal: _PtyMaster, proc: asyncio.subprocess.Process
) -> None:
    while (data := await _read_client(process, proc, terminal.resize)) is not None:
        try:
            await terminal.write(data or _END_OF_INPUT)
        except OSError:
            return  # the terminal was hung up
        if not data:
            return


async def _copy_pty(terminal: _PtyMaster, sink: asyncssh.SSHWriter[bytes]) -> None:
    while data := await terminal.read():
        sink.write(data)
        await sink.drain()


class _PtyMaster:
    """The simulator's end of a pseudo-terminal, read and written without blocking the loop."""

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self._fd: int | None = fd
        self._loop = asyncio.get_running_loop()

    @property
    def fd(self) -> int:
        if self._fd is None:
            raise OSError(errno.EBADF, "the terminal is closed")
        return self._fd

    async def read(self) -> bytes:
        """Next output of the terminal; b"" once every process has let go of it."""
        while True:
            try:
                return os.read(self.fd, _CHUNK)
            except BlockingIOError:
                await self._until(self._loop.add_reader, self._loop.remove_reader)
            except OSError as exc:
                if exc.errno == errno.EIO:  # Linux: no process has the terminal open
                    return b""
                raise

    def read_available(self) -> bytes:
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := os.read(self.fd, _CHUNK):
                chunks.append(chunk)
        return b"".join(chunks)

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                await self._until(self._loop.add_writer, self._loop.remove_writer)

    def resize(self, size: tuple[int, int, int, int]) -> None:
        columns, rows, pixel_width, pixel_height = size
        winsize = struct.pack(
            "HHHH", rows or _DEFAULT_ROWS, columns or _DEFAULT_COLUMNS, pixel_width, pixel_height
        )
        with contextlib.suppress(OSError):
            fcntl.ioctl(self.fd, termios.TIOCSWINSZ, winsize)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    async def _until(
        self,
        watch: Callable[[int, Callable[[], None]], None],
        unwatch: Callable[[int], object],
    ) -> None:
        ready: asyncio.Future[None] = self._loop.create_future()
        fd = self.fd

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        watch(fd, wake)
        try:
            await ready
        finally:
            unwatch(fd)
