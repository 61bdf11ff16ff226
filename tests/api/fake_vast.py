"""A scripted stand-in for the Vast API behind `httpx.MockTransport`, for wire-layer tests.

Routes answer from a script (responses in order, the last one repeating; an exception
instance is raised as the transport's failure) and every request is recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from pulumi_vast.api import NO_RETRY, RetryPolicy, VastClient

__all__ = ["API_KEY", "FakeVast", "Recorded", "reply"]

API_KEY = "sk-test-0123456789abcdef"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def reply(
    status: int = 200, body: Any = None, *, text: str | None = None, **headers: str
) -> httpx.Response:
    """A response with a JSON ``body`` (or plain ``text``)."""
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, json={} if body is None else body, headers=headers)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, Any]
    body: Any
    headers: httpx.Headers
    raw_query: str


@dataclass
class _Route:
    method: str
    path: str
    answers: list[Answer]
    served: int = 0


@dataclass
class FakeVast:
    requests: list[Recorded] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    _routes: list[_Route] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, method: str, path: str, *answers: Answer) -> None:
        """Answer ``method path`` (exact path, no query) with ``answers`` in order."""
        self._routes.append(_Route(method, path, list(answers)))

    def client(
        self, *, retry: RetryPolicy | None = None, api_key: str | None = API_KEY
    ) -> VastClient:
        return VastClient(
            "https://vast.test",
            api_key,
            retry=retry or RetryPolicy(random=lambda: 0.0),
            transport=httpx.MockTransport(self._handle),
            sleep=self.sleeps.append,
        )

    def no_retry_client(self) -> VastClient:
        return self.client(retry=NO_RETRY)

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def _handle(self, request: httpx.Request) -> httpx.Response:
        raw_query = request.url.query.decode()
        query = {k: _maybe_json(v) for k, v in parse_qsl(raw_query)}
        body = json.loads(request.content) if request.content else None
        with self._lock:
            self.requests.append(
                Recorded(request.method, request.url.path, query, body, request.headers, raw_query)
            )
            route = next(
                (
                    r
                    for r in self._routes
                    if r.method == request.method and r.path == request.url.path
                ),
                None,
            )
            if route is None:
                return reply(404, {"success": False, "error": "not_found", "msg": "no such route"})
            answer = route.answers[min(route.served, len(route.answers) - 1)]
            route.served += 1
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        # A fresh copy: a response's stream can be read once, and the last answer repeats.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
