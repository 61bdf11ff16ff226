"""Serving a simulator, and finding or starting one for a data folder.

A serving process holds `<data>/serve.lock` for its lifetime (one writer per world),
writes `<data>/server.json` (url, pid) once it listens and removes it on exit; SIGINT and
SIGTERM shut it down cleanly (SSH servers and their processes closed), exit status 0. It
keeps the data folder private (`datadir`): a 077 umask for itself and what it runs, and
group and other permissions taken off what is already there.

`ensure_running(data_dir)` is what `vast:apiUrl: local` uses: it returns the URL of a
live simulator of that folder, or starts one detached (it outlives the caller; its log is
`<data>/sim.log`), safely when several processes ask at once (`<data>/spawn.lock`).

The instances' commands (onstart scripts, SSH sessions) run as the user on this machine,
and can read the simulator's own process (`/proc/PID/environ`, its working directory):
so a simulator runs in its data folder with `confined_environment` (HOME there, none of
the caller's other variables, which may hold AWS, Pulumi or Vast secrets). The detached
start passes it; `pulumi-vast sim` re-executes itself with it (`confine_process`).

The web stack is imported only when serving, so looking a server up stays cheap.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from pulumi_vast.sim.datadir import (
    PRIVATE_UMASK,
    create_private,
    make_private,
    private_folder,
)
from pulumi_vast.sim.options import SimOptions

__all__ = [
    "DETACHED_IDLE_TIMEOUT",
    "KEPT_VARIABLES",
    "LOG_FILE",
    "SERVER_FILE",
    "AlreadyServing",
    "ServerInfo",
    "SimulatorStartError",
    "confine_process",
    "confined_environment",
    "ensure_running",
    "live_server",
    "read_server_info",
    "serve",
    "stop_server",
]

SERVER_FILE = "server.json"
LOG_FILE = "sim.log"
SERVE_LOCK = "serve.lock"
SPAWN_LOCK = "spawn.lock"
HEALTH_PATH = "/_sim/health"
HEALTH_TIMEOUT = 2.0
START_TIMEOUT = 60.0
DETACHED_IDLE_TIMEOUT = 3600.0
"""A server started by `ensure_running` exits after an hour without requests while no
instance loads or runs, so forgotten simulators don't pile up; the next call restarts it."""
_POLL = 0.05
KEPT_VARIABLES = ("PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PYTHONPATH", "PYTHONUSERBASE")
"""What a simulator keeps of its caller's environment (and every `LC_*`): enough to find
its programs and Python packages and to speak the user's locale; nothing that can hold a
secret."""
_CONFINED_MARK = "PULUMI_VAST_SIM_CONFINED"


class AlreadyServing(RuntimeError):
    """Another process already serves this data folder."""


class SimulatorStartError(RuntimeError):
    """A detached simulator did not come up."""


class ServerInfo(BaseModel):
    url: str
    pid: int
    data_dir: str
    started_at: float


def read_server_info(data_dir: Path) -> ServerInfo | None:
    try:
        return ServerInfo.model_validate_json((data_dir / SERVER_FILE).read_text())
    except (OSError, ValueError):
        return None


def live_server(data_dir: Path) -> ServerInfo | None:
    """The server of `data_dir` if it answers its health check as that very process."""
    data_dir = Path(data_dir).expanduser().resolve()
    info = read_server_info(data_dir)
    if info is None:
        return None
    try:
        with httpx.Client(trust_env=False, timeout=HEALTH_TIMEOUT) as client:
            health = client.get(info.url + HEALTH_PATH).json()
    except (httpx.HTTPError, ValueError):
        return None
    if health.get("pid") != info.pid or Path(health.get("data_dir", "")) != data_dir:
        return None
    return info


# ---- confinement -----------------------------------------------------------------------------


def confined_environment(environ: Mapping[str, str], data_dir: Path) -> dict[str, str]:
    """The environment a simulator of `data_dir` runs with: `KEPT_VARIABLES` and `LC_*` of
    `environ`, HOME in the data folder, and Python's per-user packages still found there."""
    kept = {
        name: value
        for name, value in environ.items()
        if name in KEPT_VARIABLES or name.startswith("LC_")
    }
    if "PYTHONUSERBASE" not in kept:
        import site  # where `pip install --user` put packages, found through the old HOME

        kept["PYTHONUSERBASE"] = site.getuserbase()
    return {**kept, "HOME": str(data_dir), _CONFINED_MARK: str(data_dir)}


def confine_process(data_dir: Path) -> None:
    """Re-execute this process with `confined_environment` unless it already runs with it.

    Changing `os.environ` would not do: `/proc/PID/environ` keeps what the process was
    started with. The process id stays the same.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    if os.environ.get(_CONFINED_MARK) == str(data_dir):
        return
    argv = [sys.executable, *sys.orig_argv[1:]]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, confined_environment(os.environ, data_dir))


# ---- serving ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            info = read_server_info(path.parent)
            where = f" (pid {info.pid}, {info.url})" if info else ""
            raise AlreadyServing(f"a simulator already serves {path.parent}{where}") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _listen(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
    # protocol says TCP, and without it every small answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def serve(options: SimOptions, *, on_ready: Callable[[str], None] | None = None) -> int:
    """Serve in the foreground until SIGINT/SIGTERM; return the exit status."""
    from pulumi_vast.sim.app import create_app

    data_dir = options.data_dir.expanduser().resolve()
    os.umask(PRIVATE_UMASK)
    make_private(data_dir)
    os.chdir(data_dir)  # what instances' commands see as this process's folder
    options = options.model_copy(update={"data_dir": data_dir})
    with _exclusive(data_dir / SERVE_LOCK):
        sock = _listen(options.host, options.port)
        url = f"http://{options.host}:{sock.getsockname()[1]}"
        info = ServerInfo(url=url, pid=os.getpid(), data_dir=str(data_dir), started_at=time.time())

        def ready() -> None:
            tmp = data_dir / f".{SERVER_FILE}.{os.getpid()}"
            tmp.write_text(info.model_dump_json())
            tmp.replace(data_dir / SERVER_FILE)
            if on_ready is not None:
                on_ready(url)

        app = create_app(options, url=url)
        started = False
        try:
            started = _run_uvicorn(app, options, sock, on_started=ready)
        finally:
            sock.close()
            current = read_server_info(data_dir)
            if current is not None and current.pid == os.getpid():
                (data_dir / SERVER_FILE).unlink(missing_ok=True)
    return 0 if started else 1


def _run_uvicorn(
    app: Any, options: SimOptions, sock: socket.socket, *, on_started: Callable[[], None]
) -> bool:
    """Serve `app` on `sock` until a signal; whether it ever started."""
    import uvicorn

    class Server(uvicorn.Server):
        """Announces readiness, and exits 0 on SIGINT/SIGTERM (uvicorn re-raises the signal
        after its graceful shutdown, which would end us with status 130/143)."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and not self.should_exit:
                on_started()

        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            handled = (signal.SIGINT, signal.SIGTERM)
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    config = uvicorn.Config(
        app,
        log_level=options.log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        date_header=False,  # the simulator's clock dates its answers (`app.VastMiddleware`)
    )
    server = Server(config)
    server.run(sockets=[sock])
    return server.started


# ---- finding or starting one ----------------------------------------------------------------


@contextlib.contextmanager
def _waiting_lock(path: Path, timeout: float) -> Iterator[None]:
    deadline = time.monotonic() + timeout
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise SimulatorStartError(
                        f"timed out after {timeout:.0f}s waiting for another process "
                        f"starting the simulator of {path.parent}"
                    ) from exc
                time.sleep(_POLL)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _spawn_detached(options: SimOptions, log_path: Path) -> int:
    """Start a server in its own session, reparented to init (no zombie left behind us)."""
    command = [sys.executable, "-m", "pulumi_vast.sim", *options.to_argv()]
    launcher = subprocess.run(
        [
            "/bin/sh",
            "-c",
            '"$@" >>"$PULUMI_VAST_SIM_LOG" 2>&1 </dev/null & echo $!',
            "sh",
            *command,
        ],
        env={
            **confined_environment(os.environ, options.data_dir),
            "PULUMI_VAST_SIM_LOG": str(log_path),
        },
        cwd=options.data_dir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,
        check=True,
    )
    return int(launcher.stdout.strip())


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie awaiting its parent's wait() does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def ensure_running(data_dir: Path, *, timeout: float = START_TIMEOUT, **options: Any) -> str:
    """The base URL of a simulator serving `data_dir`, started detached if none is live.

    `options` are `SimOptions` fields (boot_delay, api_key, rate_limits, seed, host,
    port: default 0 = a free port, idle_timeout: default `DETACHED_IDLE_TIMEOUT`). A live
    server is reused whatever its options.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    info = live_server(data_dir)
    if info is not None:
        return info.url
    private_folder(data_dir)
    create_private(data_dir / SPAWN_LOCK)
    with _waiting_lock(data_dir / SPAWN_LOCK, timeout):
        info = live_server(data_dir)
        if info is not None:
            return info.url
        defaults = {"port": 0, "idle_timeout": DETACHED_IDLE_TIMEOUT}
        settings = SimOptions.model_validate({**defaults, **options, "data_dir": data_dir})
        log_path = data_dir / LOG_FILE
        create_private(log_path)
        pid = _spawn_detached(settings, log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = live_server(data_dir)
            if info is not None:
                return info.url
            if not _alive(pid):
                info = live_server(data_dir)
                if info is not None:
                    return info.url
                raise SimulatorStartError(
                    f"the simulator for {data_dir} exited while starting; "
                    f"end of {log_path}:\n{_log_tail(log_path)}"
                )
            time.sleep(_POLL)
        raise SimulatorStartError(
            f"the simulator for {data_dir} did not answer within {timeout:.0f}s; "
            f"end of {log_path}:\n{_log_tail(log_path)}"
        )


def stop_server(data_dir: Path, *, timeout: float = 15.0) -> ServerInfo | None:
    """SIGTERM the live server of `data_dir` and wait until it is gone; None if none runs."""
    info = live_server(data_dir)
    if info is None:
        return None
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(info.pid) and time.monotonic() < deadline:
        time.sleep(_POLL)
    if _alive(info.pid):
        raise TimeoutError(f"simulator pid {info.pid} did not exit within {timeout:.0f}s")
    return info
