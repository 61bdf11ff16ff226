"""Malformed requests: strict JSON, bounded bodies, and a barrage at every route of a real
simulator, each answered 4xx with Vast's error JSON, none with a 500, a hang or a reset."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute

from pulumi_vast.sim import admin
from pulumi_vast.sim.datadir import read_admin_token
from pulumi_vast.sim.errors import (
    BadRequest,
    InvalidRequest,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)
from pulumi_vast.sim.reading import (
    MAX_DEPTH,
    ClientGone,
    parse_id,
    parse_json,
    parse_json_body,
    read_body,
)
from pulumi_vast.sim.testing import SimulatorProcess
from pulumi_vast.sim.urls import ROUTES

# ---- strict JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        '{"seconds": Infinity}',
        "[-Infinity]",
        '{"seconds": 1e999}',
        "1" * 21,
        str(2**63),
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "[" * 100_000 + "]" * 100_000,
        '{"a": ',
        b'"\xff\xfe"',
    ],
)
def test_parse_json_refuses_what_cannot_be_answered(text: str | bytes) -> None:
    with pytest.raises(InvalidRequest, match="Invalid body"):
        parse_json(text, what="body")


def test_parse_json_takes_what_vast_sends() -> None:
    document = {"q": {"num_gpus": {"eq": "1"}}, "order": [["dph_total", "asc"]], "limit": 2**62}
    assert parse_json(json.dumps(document), what="body") == document
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(nested, what="body") is not None


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "text/json", None]
)
def test_json_bodies_may_say_so_or_nothing(content_type: str | None) -> None:
    assert parse_json_body(b'{"a": 1}', content_type) == {"a": 1}
    assert parse_json_body(b"  ", content_type) is None


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_other_bodies_are_refused(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType, match="must be application/json"):
        parse_json_body(b'{"a": 1}', content_type)


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "\uff11", " 1", "0x10", "9" * 19, ""])
def test_ids_are_plain_decimal_digits(raw: str) -> None:
    with pytest.raises(BadRequest, match="not an integer id"):
        parse_id(raw, "instance_id")


def test_an_id() -> None:
    assert parse_id("21000001", "instance_id") == 21_000_001


# ---- bounded bodies ------------------------------------------------------------------------


def _receiver(*messages: dict[str, Any], then_wait: bool = False) -> Any:
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        if then_wait:
            await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return receive


def _read(receive: Any, headers: dict[str, str], limit: int = 100) -> bytes:
    return asyncio.run(read_body(receive, headers, timeout=0.2, limit=limit))


def test_a_body_in_pieces_is_read_whole() -> None:
    receive = _receiver(
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.request", "body": b" 1}", "more_body": False},
    )
    assert _read(receive, {"content-length": "8"}) == b'{"a": 1}'


def test_a_body_that_stops_short_times_out() -> None:
    receive = _receiver({"type": "http.request", "body": b"{", "more_body": True}, then_wait=True)
    with pytest.raises(RequestTimeout, match="1 of 10 bytes"):
        _read(receive, {"content-length": "10"})


def test_a_large_body_is_drained_then_refused() -> None:
    pieces = [{"type": "http.request", "body": b"x" * 60, "more_body": True} for _ in range(3)]
    pieces.append({"type": "http.request", "body": b"", "more_body": False})
    receive = _receiver(*pieces)
    with pytest.raises(PayloadTooLarge):
        _read(receive, {})
    assert asyncio.run(receive()) == {"type": "http.disconnect"}, "every piece was read"


def test_a_client_that_leaves_is_not_answered() -> None:
    with pytest.raises(ClientGone):
        _read(_receiver(), {})


# ---- a barrage at a real simulator ---------------------------------------------------------

BODY_TIMEOUT = 0.5
NO_ANSWER_AFTER = 60.0
"""A client timeout far beyond any answer's time: hitting it means the server hung."""


@dataclass(frozen=True)
class Probe:
    what: str
    method: str
    target: str
    body: bytes = b""
    content_type: str | None = "application/json"
    extra_length: int = 0
    """Declare this many more bytes than are sent (a truncated body)."""
    expect: frozenset[int] = field(default_factory=lambda: frozenset(range(400, 500)))


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class World:
    def __init__(self, sim: SimulatorProcess, key: str, token: str) -> None:
        self.sim = sim
        self.key = key
        self.token = token
        host, port = sim.url.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.offer_id = self._cheapest_offer()

    def _cheapest_offer(self) -> int:
        body = json.dumps({"order": [["dph_total", "asc"]], "limit": 1}).encode()
        answer = self.send(Probe("search", "POST", "/api/v0/bundles/", body))
        offer_id: int = json.loads(answer.body)["offers"][0]["id"]
        return offer_id

    def send(self, probe: Probe) -> Answer:
        token = self.token if probe.target.startswith("/_sim") else self.key
        target = probe.target.replace(OFFER, str(getattr(self, "offer_id", 7)))
        head = [
            f"{probe.method} {target} HTTP/1.1",
            "Host: sim",
            "Connection: close",
            f"Authorization: Bearer {token}",
            f"Content-Length: {len(probe.body) + probe.extra_length}",
        ]
        if probe.content_type is not None:
            head.append(f"Content-Type: {probe.content_type}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + probe.body
        with socket.create_connection(self.address, timeout=NO_ANSWER_AFTER) as conn:
            conn.sendall(request)
            received = bytearray()
            while chunk := conn.recv(65536):
                received += chunk
        head_bytes, _, body = bytes(received).partition(b"\r\n\r\n")
        status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in header_lines)
        return Answer(int(status_line.split()[1]), headers, body)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("barrage")
    with SimulatorProcess.start(
        data_dir, boot_delay=0, rate_limits=False, body_timeout=BODY_TIMEOUT
    ) as sim:
        key = sim.admin.new_account()
        yield World(sim, key, read_admin_token(data_dir))


OFFER = "{offer}"
"""Stands for a real offer's id (so a create gets past the offer lookup)."""


def _targets() -> list[tuple[str, str]]:
    """(method, path) of every route, with ids that exist nowhere (but a real offer)."""
    vast = [
        (r.method, r.path.replace("/asks/{id}", f"/asks/{OFFER}").replace("{id}", "7"))
        for r in ROUTES
    ]
    admins = [
        (method, re.sub(r"\{\w+_id\}", "7", r.path))
        for r in admin.router.routes
        if isinstance(r, APIRoute)
        for method in sorted(r.methods)
    ]
    return [(m, p.replace("{key_id}", "7") + "/") for m, p in vast] + admins


BAD_FIELDS: dict[str, list[dict[str, Any]]] = {
    "POST /api/v0/bundles/": [
        {"num_gpus": {"gt": [1, 2]}},
        {"num_gpus": {"between": 1}},
        {"num_gpus": 1},
        {"order": 5},
        {"order": [[5, "asc"]]},
        {"limit": "many"},
        {"type": 7},
        {"allocated_storage": "lots"},
        {"allocated_storage": 1e300},
        {"gpu_rma": {"gt": 1}},
    ],
    "PUT /api/v0/search/asks/": [{"q": []}, {"q": {"num_gpus": {"eq": {"x": 1}}}}],
    f"PUT /api/v0/asks/{OFFER}/": [
        {"image": 5},
        {"image": "x", "disk": "big"},
        {"image": "x", "disk": -1},
        {"image": "x", "disk": 1e300},
        {"image": "x", "env": 5},
        {"image": "x", "env": "-e 1=2"},
        {"image": "x", "env": "-p 99999:1"},
        {"image": "x", "env": {"-p x": "1"}},
        {"image": "x", "price": "x"},
        {"image": "x", "price": 1e300},
        {"image": "x", "label": ["x"]},
        {"image": "x", "runtype": "bogus"},
        {"image": "x", "args": "not a list"},
        {"image": "x", "onstart": "x" * 5000},
        {"image": "x", "target_state": "dancing"},
        {"disk": 10},
    ],
    "PUT /api/v0/instances/7/": [{"state": "dancing"}, {"label": 5}, {}],
    "POST /api/v0/instances/7/ssh/": [{"ssh_key": 5}, {}],
    "POST /api/v0/ssh/": [{"ssh_key": 5}, {"ssh_key": "not a key"}, {"ssh_key": ["x"]}, {}],
    "PUT /api/v0/ssh/7/": [{"ssh_key": 5}, {"ssh_key": "ssh-ed25519 short"}],
    "POST /_sim/accounts": [
        {"credit": "x"},
        {"credit": 1e300},
        {"boot_delay": -1},
        {"boot_delay": 1e300},
        {"rate_burst": 0},
        {"key": ""},
        {"key": 5},
        {"surprise": 1},
    ],
    "PUT /_sim/accounts": [{"key": "k", "credit": "x"}, {"credit": 1}, {"key": "k", "x": 1}],
    "POST /_sim/clock/advance": [
        {"seconds": 1e308},
        {"seconds": -1},
        {"seconds": "x"},
        {"seconds": 10 * 365 * 86400},
        {},
    ],
    "PUT /_sim/faults": [
        {"key": "k", "delays": {"*": 1e300}},
        {"key": "k", "delays": {"*": -1}},
        {"key": "k", "errors": {"no_such_route": {}}},
        {"key": "k", "errors": {"*": {"status": 200}}},
        {"key": "k", "lost": {"*": {"mode": "vanish"}}},
        {"key": "k", "lost": {"*": {"seconds": 1e300}}},
        {"key": "k", "taken_offers": ["x"]},
        {"key": 5},
        {},
    ],
    "DELETE /_sim/faults": [{"key": "k"}],
    "POST /_sim/instances/7/host_lost": [{"status": "melted"}],
    "POST /_sim/offers/7/take": [{"key": 5}, {}],
    "POST /_sim/offers/7/release": [{"key": 5}, {}],
    "POST /_sim/reset": [{"everything": True}],
}
BAD_QUERIES: dict[str, list[str]] = {
    "GET /api/v1/instances/": [
        "select_filters=not-json",
        "select_filters=" + "%5B" * 1000,
        "select_filters=%7B%22dph_total%22%3A%7B%22lt%22%3A1%7D%7D",
        "select_filters=%7B%22label%22%3A5%7D",
        "select_cols=5",
        "order_by=5",
        "order_by=%5B%7B%22col%22%3A%22nope%22%7D%5D",
        "limit=abc",
        "limit=1e999",
        "limit=" + "9" * 5000,
        "after_token=garbage",
        "after_token=" + "W" * 400,
    ],
    "GET /_sim/faults": ["", "key="],
}
BAD_IDS = ["abc", "-1", "1.5", "%EF%BC%91", "9" * 30, "%00", "1%20"]
BAD_BODIES = {
    "bad JSON": b'{"a": ',
    "NaN": b'{"seconds": NaN}',
    "a number beyond floats": b'{"seconds": 1e999}',
    "an integer beyond 64 bits": b'{"seconds": 123456789012345678901234567890}',
    "JSON 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "objects 100 deep": b'{"a":' * 100 + b"1" + b"}" * 100,
    "bytes that are not UTF-8": b'{"a": "\xff\xfe"}',
    "a list body": b"[1, 2]",
    "a string body": b'"x"',
}
HUGE_BODY = b'{"x": "' + b"y" * (2 << 20) + b'"}'


def _with_id(path: str, bad: str) -> str | None:
    parts = path.split("/")
    if "7" not in parts:
        return None
    parts[parts.index("7")] = bad
    return "/".join(parts)


def _probes() -> list[Probe]:
    probes: list[Probe] = []
    for method, path in _targets():
        route = f"{method} {path}"
        probes.append(Probe("a body that stops short", method, path, b'{"a": 1', extra_length=100))
        probes.append(Probe("a body over 1 MiB", method, path, HUGE_BODY, expect=frozenset({413})))
        if path.startswith("/_sim"):
            probes.append(Probe("an unknown query argument", method, path + "?bogus=1"))
        else:
            probes.append(Probe("an unknown route", method, path.replace("/api/", "/api/x/", 1)))
        for bad in BAD_IDS:
            target = _with_id(path, bad)
            if target is not None:
                probes.append(Probe(f"id {bad[:10]}", method, target))
        for query in BAD_QUERIES.get(route, []):
            probes.append(Probe(f"query {query[:30]}", method, f"{path}?{query}"))
        if method == "GET":
            continue  # Vast ignores a GET's body
        for what, body in BAD_BODIES.items():
            probes.append(Probe(what, method, path, body))
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            body = b'{"key": "k"}'
            probes.append(
                Probe(content_type, method, path, body, content_type, 0, frozenset({415}))
            )
        for fields in BAD_FIELDS.get(route, []):
            probes.append(Probe(f"fields {fields}"[:60], method, path, json.dumps(fields).encode()))
    return probes


PROBES = _probes()


def test_the_barrage_is_a_few_hundred_requests_at_every_route() -> None:
    assert len(PROBES) >= 300
    assert {(p.method, p.target) for p in PROBES} >= set(_targets())


@pytest.mark.slow
def test_malformed_requests_get_vast_error_json_never_a_500_hang_or_reset(world: World) -> None:
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(world.send, PROBES))

    wrong = [
        f"{probe.method} {probe.target[:60]} ({probe.what}): {answer.status} {answer.body[:120]!r}"
        for probe, answer in zip(PROBES, answers, strict=True)
        if answer.status not in probe.expect or not _is_vast_error(answer)
    ]
    assert not wrong, "\n".join(wrong)
    truncated = [a for p, a in zip(PROBES, answers, strict=True) if p.extra_length]
    assert {a.status for a in truncated} == {408}
    assert all(a.headers.get("connection") == "close" for a in truncated)

    assert world.sim.admin.health()["ok"] is True
    assert world.sim.admin.ledger(world.key)["totals"]["instances"] == 0
    log = world.sim.log_path.read_text()
    assert "Traceback" not in log and "unhandled error" not in log


def _is_vast_error(answer: Answer) -> bool:
    try:
        body = json.loads(answer.body)
    except ValueError:
        return False
    return (
        answer.headers.get("content-type") == "application/json"
        and body.get("success") is False
        and isinstance(body.get("error"), str)
        and isinstance(body.get("msg"), str)
    )


@pytest.mark.slow
def test_unknown_query_arguments_are_ignored_by_vast_routes_as_vast_does(world: World) -> None:
    plain = world.send(Probe("plain", "GET", "/api/v0/users/current/", expect=frozenset()))
    extra = world.send(
        Probe("extra", "GET", "/api/v0/users/current/?owner=me&bogus=1", expect=frozenset())
    )
    assert (plain.status, extra.status) == (200, 200)
    assert json.loads(plain.body)["id"] == json.loads(extra.body)["id"]
