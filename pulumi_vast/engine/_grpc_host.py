"""Serving a plugin to the pulumi engine: the plumbing both our hosts share.

How the engine (v3.250.0, sdk/go/common/resource/plugin/plugin.go) runs a plugin:
- it starts the executable in a process group of its own (`Setpgid`), with a stdin pipe
  and the engine's gRPC address as the last argument (after optional `--logtostderr`,
  `-v=N`, `--tracing X`);
- it reads one line from stdout, the port, then dials 127.0.0.1:port; everything the
  plugin writes afterwards is shown to the user as diagnostics;
- it closes a plugin with SIGINT to that process group, waits 5 s, then SIGKILLs it.

So a host here prints its port and nothing before it, and treats SIGINT/SIGTERM as "stop"
(quietly: no traceback) once no call is in flight: it keeps serving the calls it has
until they finish (after asking them to hurry, `wind_up`), because a provider killed
halfway through a create can leak a paid resource, and a language host killed in the
middle of `Run` races the engine's own cancellation. A second signal abandons them.
The engine's own address is watched as well: if the engine dies without closing us, we
stop (after draining) instead of living on.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass
from types import FrameType
from typing import Any, NoReturn

import grpc  # type: ignore[import-untyped]

from pulumi_vast import _stopping as stopping

__all__ = [
    "GRPC_OPTIONS",
    "AroundCall",
    "DescribeError",
    "ErrorDetails",
    "HostArgs",
    "InFlight",
    "exit_now",
    "parse_host_args",
    "serve",
]

LOOPBACK = "127.0.0.1"
GRPC_OPTIONS = (
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.server_max_unrequested_time_in_server", 30 * 60),
)
"""The SDK's own server options (`pulumi.runtime._grpc_settings`), spelled out so that a
host can print its port before the SDK has loaded; a test keeps them equal."""
_IDLE_POLL_S = 0.2
RESPONSE_GRACE_S = 2.0

AroundCall = Callable[[str, Any], AbstractContextManager[None]]
"""Wraps every served call: given the method's short name and the request message."""
DescribeError = Callable[[Exception], str]
"""The message the engine shows for an exception a call raised (default: gRPC's
"Exception calling application: ..." wording)."""
ErrorDetails = Callable[[str, Any, Exception], list[Any]]
"""Protobuf messages to attach to the error status of a failed call, given the method's
short name, the request and the exception (e.g. a partial failure's live object)."""
STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class HostArgs:
    engine_address: str | None


def parse_host_args(argv: Sequence[str], prog: str) -> HostArgs:
    """The engine passes `[--logtostderr] [-v=N] [--tracing ENDPOINT] ENGINE_ADDRESS`."""
    parser = argparse.ArgumentParser(prog=prog, add_help=False)
    parser.add_argument("--tracing")
    parser.add_argument("--logtostderr", action="store_true")
    parser.add_argument("-v", dest="verbose")
    parser.add_argument("engine_address", nargs="?")
    known, _unknown = parser.parse_known_args(list(argv))
    return HostArgs(engine_address=known.engine_address or None)


class InFlight:
    """The calls being served right now, so a shutdown can wait for them."""

    def __init__(self) -> None:
        self._idle = threading.Condition()
        self._calls: dict[int, str] = {}
        self._next = 0

    def enter(self, description: str) -> int:
        with self._idle:
            self._next += 1
            self._calls[self._next] = description
            return self._next

    def exit(self, token: int) -> None:
        with self._idle:
            self._calls.pop(token, None)
            if not self._calls:
                self._idle.notify_all()

    def snapshot(self) -> list[str]:
        with self._idle:
            return list(self._calls.values())

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once nothing is in flight; False if `timeout` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._calls, timeout)


class _Tracking(grpc.ServerInterceptor):  # type: ignore[misc]
    """Records every call in an InFlight and runs it inside `around`."""

    def __init__(
        self,
        calls: InFlight,
        around: AroundCall | None,
        describe_error: DescribeError | None,
        error_details: ErrorDetails | None = None,
    ) -> None:
        self._calls = calls
        self._around = around or (lambda _method, _request: nullcontext())
        self._describe_error = describe_error
        self._error_details = error_details

    def intercept_service(self, continuation: Any, details: Any) -> Any:
        handler = continuation(details)
        if handler is None:
            return None
        method = str(details.method).rsplit("/", 1)[-1]
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _unary(
        self, method: str, behaviour: Callable[[Any, Any], Any]
    ) -> Callable[[Any, Any], Any]:
        def call(request: Any, context: Any) -> Any:
            token = self._calls.enter(_describe(method, request))
            try:
                with self._around(method, request):
                    return behaviour(request, context)
            except Exception as exc:
                # A status the servicer chose (UNIMPLEMENTED...) is the engine's to see as is.
                if self._describe_error is None or context.code() is not None:
                    raise
                message = self._describe_error(exc)
                details = self._error_details(method, request, exc) if self._error_details else []
                if details:
                    context.set_trailing_metadata(
                        ((STATUS_DETAILS_KEY, _status_bytes(message, details)),)
                    )
                context.abort(grpc.StatusCode.UNKNOWN, message)
            finally:
                self._calls.exit(token)

        return call

    def _streaming(
        self, method: str, behaviour: Callable[[Any, Any], Iterator[Any]]
    ) -> Callable[[Any, Any], Iterator[Any]]:
        def call(request: Any, context: Any) -> Iterator[Any]:
            token = self._calls.enter(_describe(method, request))
            try:
                with self._around(method, request):
                    yield from behaviour(request, context)
            finally:
                self._calls.exit(token)

        return call


def _status_bytes(message: str, details: list[Any]) -> bytes:
    """A google.rpc.Status carrying ``details``, as gRPC sends it in the trailers."""
    from google.protobuf import any_pb2  # type: ignore[import-untyped]
    from google.rpc import status_pb2  # type: ignore[import-untyped]

    packed = []
    for detail in details:
        wrapper = any_pb2.Any()
        wrapper.Pack(detail)
        packed.append(wrapper)
    status = status_pb2.Status(
        code=grpc.StatusCode.UNKNOWN.value[0], message=message, details=packed
    )
    return bytes(status.SerializeToString())


def _describe(method: str, request: Any) -> str:
    urn = getattr(request, "urn", "")
    return f"{method} {urn}" if urn else method


class _StopSignal:
    """Set by SIGINT/SIGTERM or by the engine watch; counts the signals.

    The kernel hands a signal to any thread of the process, and Python runs its handler
    only when the main thread next executes bytecode; a main thread asleep in a timed
    wait would notice only when the wait ends, and the engine waits for a closed plugin
    to exit before it goes on. So the main thread sleeps on a pipe that the signal
    machinery (`signal.set_wakeup_fd`) and `request` write to, and wakes at once.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason = ""
        self._signals = 0
        # Re-entrant: the signal handler runs on the main thread, possibly while the main
        # thread itself holds the lock (reading `signals`).
        self._lock = threading.RLock()
        self._wake_read, self._wake_write = os.pipe()
        for fd in (self._wake_read, self._wake_write):
            os.set_blocking(fd, False)

    def install(self) -> None:
        """Handle SIGINT and SIGTERM (main thread only)."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.on_signal)
        signal.set_wakeup_fd(self._wake_write, warn_on_full_buffer=False)

    def request(self, reason: str) -> None:
        with self._lock:
            if not self.event.is_set():
                self.reason = reason
        self.event.set()
        with suppress(OSError):  # full: the main thread is being woken anyway
            os.write(self._wake_write, b"\0")

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        with self._lock:
            self._signals += 1
        self.request(signal.Signals(signum).name)

    @property
    def signals(self) -> int:
        with self._lock:
            return self._signals

    def wait(self) -> None:
        while not self.event.is_set():
            # The timeout only bounds a wake-up that got lost.
            select.select([self._wake_read], [], [], _IDLE_POLL_S)
            with suppress(OSError):
                os.read(self._wake_read, 512)


def serve(
    register: Callable[[Any], None],
    *,
    name: str,
    max_workers: int,
    engine_address: str | None,
    announce_drain: bool,
    around_call: AroundCall | None = None,
    describe_error: DescribeError | None = None,
    error_details: ErrorDetails | None = None,
    wind_up: Callable[[], None] | None = None,
) -> int:
    """Serve until stopped; returns the exit status. Call `exit_now` with it afterwards.

    ``wind_up`` is called when the host is stopped with calls in flight, before waiting for
    them: it should make them finish early (their results will not be recorded).
    """
    calls = InFlight()
    server = grpc.server(
        ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name),
        options=list(GRPC_OPTIONS),
        interceptors=[_Tracking(calls, around_call, describe_error, error_details)],
    )
    register(server)
    port = server.add_insecure_port(f"{LOOPBACK}:0")
    server.start()

    stop = _StopSignal()
    stop.install()
    if engine_address:
        threading.Thread(
            target=_watch_engine,
            args=(engine_address, stop),
            name=f"{name}-engine-watch",
            daemon=True,
        ).start()

    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()

    stop.wait()
    _drain(calls, stop, name if announce_drain else None, wind_up)
    # The last calls' responses may still be on their way out: a grace lets them go.
    server.stop(grace=RESPONSE_GRACE_S).wait()
    return 0


def _drain(
    calls: InFlight, stop: _StopSignal, name: str | None, wind_up: Callable[[], None] | None
) -> None:
    """Wait for the calls in flight; `name` given: say so on stderr (the user sees it)."""
    pending = calls.snapshot()
    if not pending:
        return
    signals_at_start = stop.signals
    if wind_up is not None:
        wind_up()
    if name:
        doing = "stopping" if wind_up is not None else "letting"
        _note(
            f"{name}: {stop.reason}: {doing} {len(pending)} operation(s) in flight "
            f"({'; '.join(pending)}) and waiting for them to finish; interrupt again to "
            "abandon them"
        )
    while not calls.wait_idle(_IDLE_POLL_S):
        if stop.signals > signals_at_start:
            if name:
                _note(
                    f"{name}: abandoning operations still in flight; they may have left "
                    f"resources behind: {'; '.join(calls.snapshot())}"
                )
            return


def _watch_engine(address: str, stop: _StopSignal) -> None:
    failures = 0
    while not stop.event.is_set():
        time.sleep(stopping.ENGINE_POLL_S)
        failures = 0 if stopping.engine_reachable(address) else failures + 1
        if failures >= stopping.ENGINE_FAILURES_BEFORE_GONE:
            stop.request(f"the engine at {address} is gone")
            return


def _note(message: str) -> None:
    # The engine reads our stderr; once it has died the pipe is closed, and a failed note
    # must not stop the drain that gives back what was being rented.
    with suppress(OSError, ValueError):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def exit_now(status: int) -> NoReturn:
    """Exit without waiting for worker threads (a program may still be running in one)."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)
