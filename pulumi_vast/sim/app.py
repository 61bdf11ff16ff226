"""The app factory: the Vast routes and admin routes on FastAPI, behind the middleware that
plays the service's moods (rate limits, 5xx, slowness, lost responses) and counts requests.

`Simulator` is the running world: backend, SSH hosts, faults, limiter, counters, and the
ticker that moves instances along as (simulated) time passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pulumi_vast.sim import admin, auth, responses
from pulumi_vast.sim.datadir import admin_token
from pulumi_vast.sim.errors import BadRequest, MethodNotAllowed, NotFound, SimError
from pulumi_vast.sim.faults import FaultBook, LostResponse
from pulumi_vast.sim.hosting import HostManager
from pulumi_vast.sim.masking import mask_key
from pulumi_vast.sim.models import SimBackend
from pulumi_vast.sim.models.base import Changes
from pulumi_vast.sim.options import SimOptions
from pulumi_vast.sim.ratelimit import DEFAULT_BURST, RateLimiter, too_frequent_message
from pulumi_vast.sim.reading import ClientGone, parse_json_body, read_body, replay
from pulumi_vast.sim.store import Store
from pulumi_vast.sim.urls import ADMIN_PREFIX, ROUTES, Route, match, normalize_path

__all__ = ["TICK_INTERVAL", "Simulator", "create_app"]

TICK_INTERVAL = 0.1
"""Seconds between lifecycle ticks (requests also tick, so reads are always current)."""
UNMATCHED = "unmatched"
_log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Simulator:
    def __init__(self, options: SimOptions, *, url: str | None = None) -> None:
        self.options = options
        self.url = url or f"http://{options.host}:{options.port}"
        self.faults = FaultBook()
        self.admin_token = admin_token(options.data_dir)
        self.store = Store(options.data_dir)
        self.backend = SimBackend(
            self.store,
            data_dir=options.data_dir,
            seed=options.seed,
            market_scale=options.market_scale,
            default_boot_delay=options.boot_delay,
            default_created_delay=options.created_delay,
            faults=self.faults,
        )
        self.limiter = RateLimiter()
        self.hosts = HostManager(self.backend, api_url=lambda: self.url)
        self._counts: dict[str, dict[str, Counter[str]]] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.last_request = time.monotonic()

    async def start(self) -> None:
        await self.hosts.sync_all()
        await self.tick(wait=True)
        self._ticker = asyncio.create_task(self._tick_forever())

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for task in list(self._background):
            task.cancel()
        await self.hosts.stop_all()
        self.store.close()

    async def reset(self) -> None:
        self.backend.reset()
        await self.settle()
        self.limiter.reset()
        self._counts.clear()

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_INTERVAL)
            try:
                await self.tick(wait=True)
            except Exception:  # the ticker must survive a failing SSH start
                _log.exception("lifecycle tick failed")
            if self._idle():
                _log.warning("idle for %.0fs with no instance running: exiting", self.idle_for)
                os.kill(os.getpid(), signal.SIGTERM)
                return

    @property
    def idle_for(self) -> float:
        return time.monotonic() - self.last_request

    def _idle(self) -> bool:
        timeout = self.options.idle_timeout
        return timeout is not None and self.idle_for > timeout and not self.backend.busy()

    async def tick(self, *, wait: bool) -> None:
        """Apply due transitions and end due boots, the hosts following the change log
        (awaited, or in the background: a boot then ends a moment later)."""
        self.backend.tick()
        self.hosts.publish_clock()
        changes = self.backend.take_changes()
        booting = self.backend.due_boots()
        if not changes and not booting:
            return
        work = self._follow(changes, booting)
        if wait:
            await work
        else:
            task = asyncio.create_task(work)
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def settle(self) -> None:
        """Make the hosts follow what a request or an admin event changed before it is
        answered (a stopped instance's SSH server is gone when the stop returns). With
        `tick`, the one place hosting follows the backend."""
        changes = self.backend.take_changes()
        if changes:
            await self.hosts.sync(changes)

    async def _follow(self, changes: Changes, booting: list[int]) -> None:
        await self.hosts.sync(changes)
        await self.hosts.boot(booting)

    # ---- per-key policy and counters ----------------------------------------------------

    def owner(self, key: str | None) -> str:
        """The account faults and settings apply to, by digest (an instance key's owner);
        "" for no key."""
        if key is None:
            return ""
        scoped = self.backend.instance_by_container_key(key)
        return scoped.account if scoped is not None else self.backend.digest(key)

    def rate_limited(self, key: str | None, route: Route) -> bool:
        """Whether this request is over its route's limit for its key. Only callers with a
        key are limited: a missing or refused key is answered as Vast answers it, never
        with a 429 from a bucket every anonymous caller shares."""
        required = self.options.api_key
        if key is None or (required is not None and key != required and not self._scoped(key)):
            return False
        enabled = self.options.rate_limits
        burst = DEFAULT_BURST
        account = self.backend.accounts.get(self.owner(key))
        if account is not None:
            if account.rate_limits is not None:
                enabled = account.rate_limits
            if account.rate_burst is not None:
                burst = account.rate_burst
        return enabled and not self.limiter.allow(key, route.name, route.threshold, burst=burst)

    def _scoped(self, key: str) -> bool:
        return self.backend.instance_by_container_key(key) is not None

    def count(self, key: str | None, route: str, status: int) -> None:
        per_route = self._counts.setdefault(key or "", {})
        per_route.setdefault(route, Counter())[str(status)] += 1

    def request_counts(self, key: str | None) -> dict[str, Any]:
        """The key's counts by route; without a key, every key's, the keys masked."""

        def render(routes: dict[str, Counter[str]]) -> dict[str, Any]:
            return {
                route: {"total": sum(statuses.values()), "by_status": dict(statuses)}
                for route, statuses in sorted(routes.items())
            }

        if key is not None:
            return render(self._counts.get(key, {}))
        return {
            "keys": [
                {"key": mask_key(k) if k else None, "routes": render(routes)}
                for k, routes in self._counts.items()
            ]
        }

    def reset_request_counts(self, key: str | None) -> None:
        if key is None:
            self._counts.clear()
        else:
            self._counts.pop(key, None)


class VastMiddleware:
    """Normalizes trailing slashes, reads the body (bounded, see `reading`), checks the
    admin token, answers unknown routes, and applies the per-key rate limits and faults
    before the request reaches the route."""

    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.sim.last_request = time.monotonic()
        path = normalize_path(scope["path"])
        scope = dict(scope, path=path, raw_path=path.encode())
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            if path.startswith(ADMIN_PREFIX) and path not in admin.OPEN_PATHS:
                admin.check_token(headers, self.sim.admin_token)
            body = await read_body(receive, headers, timeout=self.sim.options.body_timeout)
        except ClientGone:
            return
        except SimError as exc:
            # The body may be unread: answer, then close rather than read the next request
            # from the middle of this one.
            await _send_json(send, exc.status, exc.body(), close=True)
            return
        receive = replay(body, receive)
        if path.startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        key = auth.api_key_of(headers, query)
        route, _, known_path = match(scope["method"], path)
        status: list[int] = []

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
                # Dated by the simulator's clock, as Vast's answers are by its own: a client
                # timing something on the service's clock (a TTL) agrees with the world.
                date = formatdate(self.sim.backend.now(), usegmt=True).encode()
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"date"]
                message = {**message, "headers": [*headers, (b"date", date)]}
            await send(message)

        try:
            await self._dispatch(scope, receive, counting_send, route, key, known_path)
        finally:
            self.sim.count(key, route.name if route else UNMATCHED, status[0] if status else 0)

    async def _dispatch(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route | None,
        key: str | None,
        known_path: bool,
    ) -> None:
        sim = self.sim
        if route is None:
            error: SimError = (
                MethodNotAllowed(f"Method {scope['method']} not allowed on {scope['path']}/")
                if known_path
                else NotFound(f"Unknown API route {scope['method']} {scope['path']}/")
            )
            await _send_json(send, error.status, error.body())
            return
        if sim.rate_limited(key, route):
            await _send(send, 429, too_frequent_message(route.threshold).encode(), "text/plain")
            return
        owner = sim.owner(key)
        failure = sim.faults.take_error(owner, route.name)
        if failure is not None:
            await _send_server_error(send, failure)
            return
        delay = sim.faults.delay(owner, route.name)
        if delay > 0:
            await asyncio.sleep(delay)
        lost = sim.faults.take_lost(owner, route.name)
        if lost is None:
            await self.app(scope, receive, send)
        else:
            await self._lose_response(scope, receive, send, lost)

    async def _lose_response(
        self, scope: Scope, receive: Receive, send: Send, lost: LostResponse
    ) -> None:
        """Handle the request for real, then lose its answer."""
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        await self.app(scope, receive, capture)
        if lost.mode == "timeout":
            await asyncio.sleep(lost.seconds)
            for message in captured:
                await send(message)
            return
        # Send the status line and headers, then return without the body: the server
        # closes the connection mid-response, as a dropped proxy connection would.
        _log.warning("fault: dropping the answer to %s %s", scope["method"], scope["path"])
        for message in captured:
            if message["type"] == "http.response.start":
                await send(message)
                return


async def _send(
    send: Send, status: int, body: bytes, content_type: str, *, close: bool = False
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(
    send: Send, status: int, body: Mapping[str, Any], *, close: bool = False
) -> None:
    await _send(send, status, JSONResponse(body).render(body), "application/json", close=close)


async def _send_server_error(send: Send, status: int) -> None:
    if status == 500:
        error = {"success": False, "error": "server_error", "msg": "Internal Server Error"}
        await _send_json(send, status, error)
        return
    # 502/503/504 come from the front proxy (nginx), as HTML.
    reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
    title = f"{status} {reason.get(status, 'Server Error')}"
    page = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1>"
    page += "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    await _send(send, status, page.encode(), "text/html")


async def _json_body(request: Request) -> Any:
    """The JSON body; {} when empty; None for a GET (whose body Vast ignores)."""
    if request.method == "GET":
        return None
    body = parse_json_body(await request.body(), request.headers.get("content-type"))
    return {} if body is None else body


def _endpoint(route: Route, sim: Simulator) -> Callable[[Request], Awaitable[Response]]:
    handler = responses.HANDLERS[route.name]

    async def endpoint(request: Request) -> Response:
        await sim.tick(wait=False)
        principal = auth.resolve(
            sim.backend,
            route,
            auth.api_key_of(request.headers, request.query_params),
            required_key=sim.options.api_key,
        )
        call = responses.Call(
            backend=sim.backend,
            principal=principal,
            params=request.path_params,
            query=request.query_params,
            body=await _json_body(request),
        )
        try:
            answer = await handler(call)
        finally:
            # Also after a refused request: a create refused for its bid left an instance.
            await sim.settle()
        return JSONResponse(answer)

    endpoint.__name__ = route.name
    return endpoint


_HTTP_ERROR_CODES = {
    404: NotFound.code,
    405: MethodNotAllowed.code,
}
"""Vast error codes of the errors the web framework raises itself."""


class _PlannedDrops(logging.Filter):
    """uvicorn reports a response we dropped on purpose (the `lost` fault) as an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


def create_app(options: SimOptions, *, url: str | None = None) -> VastMiddleware:
    """The simulator as an ASGI app; its lifespan starts the ticker and SSH hosts."""
    sim = Simulator(options, url=url)
    logging.getLogger("uvicorn.error").addFilter(_PlannedDrops())

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await sim.start()
        try:
            yield
        finally:
            await sim.stop()

    app = FastAPI(
        title="pulumi-vast simulator",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.sim = sim
    for route in ROUTES:
        app.add_api_route(
            route.path, _endpoint(route, sim), methods=[route.method], name=route.name
        )
    app.include_router(admin.router)

    @app.exception_handler(SimError)
    async def sim_error(_: Request, exc: SimError) -> Response:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> Response:
        error = BadRequest(f"Invalid args: {exc.errors()}")
        return JSONResponse(error.body(), status_code=error.status)

    @app.exception_handler(ValidationError)
    async def invalid_model(_: Request, exc: ValidationError) -> Response:
        error = BadRequest(f"Invalid args: {exc}")
        return JSONResponse(error.body(), status_code=error.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_ERROR_CODES.get(exc.status_code, "invalid_request")
        body = {"success": False, "error": code, "msg": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def server_error(_: Request, exc: Exception) -> Response:
        _log.exception("unhandled error", exc_info=exc)
        body = {"success": False, "error": "server_error", "msg": f"Internal error: {exc}"}
        return JSONResponse(body, status_code=500)

    return VastMiddleware(app, sim)
