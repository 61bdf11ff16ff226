"""Pacing under Vast's per-endpoint rate limits: waits instead of 429s."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from pulumi_vast.api import CreateInstanceRequest, VastClient
from pulumi_vast.api.pacing import VAST_RATE_LIMITS, Pacer, RateLimits

CREATE = ("PUT", "/api/v0/asks/{id}/")
LIMITS = RateLimits({CREATE: 4.0}, margin=1.0)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


def test_a_burst_up_to_the_threshold_goes_at_once_then_requests_queue(time_: FakeTime) -> None:
    pacer = Pacer(LIMITS, clock=time_.clock, sleep=time_.sleep)

    waits = [pacer.acquire(*CREATE) for _ in range(7)]

    assert waits == pytest.approx([0, 0, 0, 0, 0.25, 0.5, 0.75])


def test_the_budget_refills_with_time(time_: FakeTime) -> None:
    pacer = Pacer(LIMITS, clock=time_.clock, sleep=time_.sleep)
    for _ in range(4):
        pacer.acquire(*CREATE)

    time_.now = 0.5  # two tokens back

    assert [pacer.acquire(*CREATE) for _ in range(3)] == pytest.approx([0, 0, 0.25])


def test_endpoints_without_a_documented_limit_are_not_paced(time_: FakeTime) -> None:
    pacer = Pacer(LIMITS, clock=time_.clock, sleep=time_.sleep)

    assert {pacer.acquire("POST", "/api/v0/bundles/") for _ in range(50)} == {0.0}
    assert time_.waits == []


def test_a_429_slows_the_endpoint_and_successes_bring_it_back(time_: FakeTime) -> None:
    pacer = Pacer(LIMITS, clock=time_.clock, sleep=time_.sleep)

    pacer.throttled(*CREATE)
    assert pacer.rate(*CREATE) == pytest.approx(4.0 * LIMITS.slowdown)
    assert pacer.acquire(*CREATE) == pytest.approx(1 / (4.0 * LIMITS.slowdown))

    for _ in range(100):
        pacer.succeeded(*CREATE)
    assert pacer.rate(*CREATE) == pytest.approx(4.0)


def test_threads_queue_behind_each_other_without_double_booking(time_: FakeTime) -> None:
    pacer = Pacer(LIMITS, clock=time_.clock, sleep=time_.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def one() -> None:
        wait = pacer.acquire(*CREATE)
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(waits) == pytest.approx([0] * 4 + [0.25 * n for n in range(1, 9)])


def test_the_client_paces_creates_by_the_documented_threshold() -> None:
    waits: list[float] = []
    answered = httpx.MockTransport(lambda _: httpx.Response(200, json={"new_contract": 7}))
    client = VastClient("http://vast.test", "k", transport=answered, sleep=waits.append)
    rate = VAST_RATE_LIMITS.rate(*CREATE)
    assert rate is not None
    burst = int(rate)

    started = time.monotonic()
    for _ in range(burst + 2):
        client.instances.create(1, CreateInstanceRequest(image="ubuntu"))
    elapsed = time.monotonic() - started

    # The two past the burst waited for tokens; the sleeps are faked, so the time they
    # stand for is what they asked for, plus whatever really passed meanwhile.
    assert sum(waits) + elapsed >= 2 / rate - 0.01
    assert len(waits) <= 2


UNDOCUMENTED = {
    ("GET", "/api/v0/users/current"),
    ("POST", "/api/v0/template/"),
    ("PUT", "/api/v1/template/"),
    ("DELETE", "/api/v0/template/"),
    ("PUT", "/api/v0/volumes/"),
    ("POST", "/api/v0/network_volumes/search/"),
    ("PUT", "/api/v0/network_volumes/"),
}
"""Routes the client calls for which openapi documents no rate threshold."""


def test_every_route_of_templates_env_vars_and_volumes_is_paced_or_undocumented() -> None:
    from pulumi_vast.api import CreateVolumeRequest, TemplateRequest
    from tests.api.fake_vast import FakeVast, reply

    fake = FakeVast()
    answer = {"success": True, "id": 1, "template": {"id": 1, "hash_id": "h"}, "templates": [],
              "secrets": {}, "offers": [], "volumes": [], "volume_name": "V.1"}  # fmt: skip
    client = fake.client()
    for method in ("GET", "POST", "PUT", "DELETE"):
        for path in ("/api/v0/users/current", "/api/v0/template/", "/api/v1/template/",
                     "/api/v0/secrets/", "/api/v0/volumes/search/", "/api/v0/volumes/",
                     "/api/v0/volumes", "/api/v0/network_volumes/search/",
                     "/api/v0/network_volumes/"):  # fmt: skip
            fake.on(method, path, reply(200, answer))
    template = TemplateRequest(name="t", image="i")
    client.templates.list()
    client.templates.create(template)
    client.templates.update(1, "h", template)
    client.templates.delete(1)
    client.env_vars.list()
    client.env_vars.create("A_NAME", "value")
    client.env_vars.update("A_NAME", "value")
    client.env_vars.delete("A_NAME")
    for volumes in (client.volumes, client.network_volumes):
        volumes.search()
        volumes.create(CreateVolumeRequest(offer_id=1))
        volumes.list()
        volumes.delete(1)
    called = set(client.stats.by_route)
    assert len(called) == 15
    assert called - set(VAST_RATE_LIMITS.per_endpoint) == UNDOCUMENTED
