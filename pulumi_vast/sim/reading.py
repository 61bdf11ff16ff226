"""Reading what a request brings, so that no input can hang, crash or flood the server.

- The body is read whole before any route sees it, in bounded time (`RequestTimeout`,
  408, for a body that stops short of its Content-Length) and bounded size
  (`PayloadTooLarge`, 413); a too large body is still drained, so the client reads the
  answer instead of a reset connection.
- A body must be JSON (`UnsupportedMediaType`, 415, for a declared other type), and JSON
  here is strict: no NaN/Infinity, numbers finite and integers within 64 bits, nesting at
  most `MAX_DEPTH` deep (`InvalidRequest`, 400). What passes can be answered and stored.
- Ids in paths are plain decimal integers of at most 18 digits (`BadRequest`, 400).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from pulumi_vast.sim.errors import (
    BadRequest,
    InvalidRequest,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "ClientGone",
    "parse_id",
    "parse_json",
    "parse_json_body",
    "read_body",
    "replay",
]

MAX_BODY_BYTES = 1 << 20
"""The largest body served (onstart scripts are at most 4 KB; env strings are short)."""
MAX_DEPTH = 32
"""The deepest JSON nesting served (Vast's documents nest three or four levels)."""
DEFAULT_BODY_TIMEOUT = 10.0
"""Seconds a client gets to send its whole body."""
_MAX_DRAIN_BYTES = 64 * MAX_BODY_BYTES
_INT64 = 2**63
_MAX_ID_DIGITS = 18

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


class ClientGone(Exception):
    """The client disconnected before its body was read: nobody to answer."""


async def read_body(
    receive: Receive, headers: Mapping[str, str], *, timeout: float, limit: int = MAX_BODY_BYTES
) -> bytes:
    """The request's whole body (`headers` with lower-case names)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    declared = headers.get("content-length", "")
    too_large = declared.isdigit() and int(declared) > limit
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.0))
        except TimeoutError:
            if too_large:
                raise _too_large(limit) from None
            raise RequestTimeout(
                f"the request body did not arrive within {timeout:g}s "
                f"({size} of {declared or 'an unknown number of'} bytes received)"
            ) from None
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        too_large = too_large or size > limit
        if not too_large:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
        if size > _MAX_DRAIN_BYTES:
            raise _too_large(limit)
    if too_large:
        raise _too_large(limit)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than {limit} bytes")


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then waits as the real one."""
    pending = True

    async def receive_again() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again


def parse_json_body(raw: bytes, content_type: str | None) -> Any:
    """The JSON document of a body; None when the body is empty."""
    if not raw.strip():
        return None
    if content_type and not _is_json_type(content_type):
        media = content_type.split(";", 1)[0].strip()
        raise UnsupportedMediaType(f"the request body must be application/json, not {media}")
    return parse_json(raw, what="json body")


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("application/json", "text/json") or (
        media.startswith("application/") and media.endswith("+json")
    )


def parse_json(raw: str | bytes, *, what: str) -> Any:
    """Strict JSON (see the module docstring), or `InvalidRequest` naming `what`."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite, parse_int=_int64)
    except RecursionError:
        raise _too_deep(what) from None
    except ValueError as exc:
        raise InvalidRequest(f"Invalid {what}: {exc}") from None
    _check_depth(value, what)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is too large a number")
    return value


def _int64(text: str) -> int:
    if len(text) > 20:
        raise ValueError(f"{text[:40]}... is too large a number")
    value = int(text)
    if not -_INT64 <= value < _INT64:
        raise ValueError(f"{text} is too large a number")
    return value


def _check_depth(value: Any, what: str) -> None:
    level: list[Any] = [value]
    for _ in range(MAX_DEPTH):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return
    raise _too_deep(what)


def _too_deep(what: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid {what}: nested deeper than {MAX_DEPTH} levels")


def parse_id(raw: str, what: str) -> int:
    """A path's id: decimal digits only (no sign, spaces or other scripts' digits)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_ID_DIGITS:
        raise BadRequest(f"invalid {what}: {raw[:40]!r} is not an integer id")
    return int(raw)
