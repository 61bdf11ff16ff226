"""Serve a gRPC service while its real servicer is still loading.

`pulumi up` and `pulumi preview` start a language host just to ask `About` (update
metadata) and wait for the answer before anything else happens; then a second host runs
the program. Importing the Pulumi SDK takes a Python process about 0.3 s, and the
metadata calls need none of it. `EarlyDoor` prints the port as soon as gRPC is loaded,
answers a few calls from raw bytes (`EarlyAnswer`) while the SDK loads in a thread, and
hands everything else, including requests it answered early that carry state, to the
real servicer once it is there.

Nothing here may import the Pulumi SDK.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import grpc  # type: ignore[import-untyped]

__all__ = ["EarlyAnswer", "EarlyDoor", "decode_fields", "encode_strings"]


@dataclass(frozen=True)
class EarlyAnswer:
    answer: Callable[[bytes], bytes | None]
    """The serialized response for a serialized request; None: the real servicer answers."""
    replay: bool = False
    """Also hand the request to the real servicer once it has loaded (it records state)."""


class _CallDetails(NamedTuple):
    method: str
    invocation_metadata: tuple[Any, ...] = ()


class EarlyDoor(grpc.GenericRpcHandler):  # type: ignore[misc]
    """A generic handler for ``service`` whose real handler `build` makes in a thread."""

    def __init__(
        self,
        service: str,
        build: Callable[[], Any],
        early: Mapping[str, EarlyAnswer],
    ) -> None:
        self._service = service
        self._build = build
        self._early = dict(early)
        self._lock = threading.Lock()
        self._real: Any = None
        self._failure: BaseException | None = None
        self._stashed: list[tuple[str, bytes]] = []
        self._loaded = threading.Event()
        self._loader = threading.Thread(target=self._load, name="early-door-load", daemon=True)

    def register(self, server: Any) -> None:
        """Add to ``server`` and start loading the real servicer."""
        server.add_generic_rpc_handlers((self,))
        self._loader.start()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        return self._loaded.wait(timeout)

    def service(self, handler_call_details: Any) -> Any:
        service, _, name = str(handler_call_details.method).lstrip("/").rpartition("/")
        if service != self._service:
            return None
        early = self._early.get(name)
        if early is not None and not self._loaded.is_set():
            return grpc.unary_unary_rpc_method_handler(
                lambda request, context: self._answer(name, early, request, context)
            )
        # Runs on the server's event thread: nothing is served until the SDK has loaded,
        # which is what every other call needs anyway.
        self._loaded.wait()
        if self._failure is not None:
            return grpc.unary_unary_rpc_method_handler(self._refuse)
        return self._real.service(handler_call_details)

    def _answer(self, name: str, early: EarlyAnswer, request: bytes, context: Any) -> bytes:
        with self._lock:
            if self._real is None:
                answer = early.answer(request)
                if answer is not None:
                    if early.replay:
                        self._stashed.append((name, request))
                    return answer
        self._loaded.wait()
        if self._failure is not None:
            self._refuse(request, context)
        return self._call_real(name, request, context)

    def _call_real(self, name: str, request: bytes, context: Any) -> bytes:
        handler = self._real.service(_CallDetails(f"/{self._service}/{name}"))
        response = handler.unary_unary(handler.request_deserializer(request), context)
        return bytes(handler.response_serializer(response))

    def _load(self) -> None:
        try:
            real = self._build()
        except BaseException as exc:  # reported to every call that needed it
            self._failure = exc
            self._loaded.set()
            return
        with self._lock:
            self._real = real
            stashed, self._stashed = self._stashed, []
        try:
            for name, request in stashed:
                self._call_real(name, request, None)
        except Exception as exc:  # the engine shows a plugin's stderr to the user
            sys.stderr.write(f"replaying an early {name} call failed: {exc!r}\n")
        finally:
            # Calls waiting for the real servicer go ahead once the replays are done.
            self._loaded.set()

    def _refuse(self, _request: Any, context: Any) -> Any:
        context.abort(grpc.StatusCode.INTERNAL, f"the host failed to load: {self._failure!r}")


def encode_strings(fields: Mapping[int, str]) -> bytes:
    """A protobuf message made of string fields, by field number (what the early answers
    need; empty strings are left out, as protobuf does)."""
    out = bytearray()
    for number, text in sorted(fields.items()):
        if not text:
            continue
        data = text.encode()
        out += _varint(number << 3 | 2) + _varint(len(data)) + data
    return bytes(out)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def decode_fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """The fields of a serialized protobuf message, in order: (number, value), a varint as
    an int, a length-delimited field (string, bytes, message) as bytes, a fixed 64- or 32-bit
    field as its raw bytes. ValueError if `data` is not a message."""
    fields: list[tuple[int, int | bytes]] = []
    position = 0
    while position < len(data):
        key, position = _read_varint(data, position)
        number, wire_type = key >> 3, key & 7
        value: int | bytes
        if wire_type == 0:
            value, position = _read_varint(data, position)
        elif wire_type == 2:
            length, position = _read_varint(data, position)
            value, position = data[position : position + length], position + length
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            value, position = data[position : position + size], position + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
        if position > len(data):
            raise ValueError("truncated protobuf message")
        fields.append((number, value))
    return fields


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if position >= len(data):
            raise ValueError("truncated protobuf varint")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7
