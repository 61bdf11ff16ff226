"""The rental transaction with a scripted Vast: answers lost, listings that lag."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulumi_vast import _stopping as stopping
from pulumi_vast.api import CreateInstanceRequest, Instance, Offer, ResponseLost, TransportError
from pulumi_vast.resources._connection import Connection
from pulumi_vast.resources._offers import OfferSearch
from pulumi_vast.resources._rental import TAG_ENV, Rental, RentalFailed
from pulumi_vast.resources._shared import Fetched
from pulumi_vast.resources._waiting import InstanceFailed, Readiness, wait_until_running

OFFER = Offer.model_validate({"id": 7, "gpu_name": "RTX 3090", "num_gpus": 1, "dph_total": 0.2})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeInstances:
    creates: list[dict[str, Any]] = field(default_factory=list)
    destroyed: list[int] = field(default_factory=list)
    lose_answer: bool = True

    def create(self, offer_id: int, request: CreateInstanceRequest) -> int:
        self.creates.append(dict(request.env))
        if self.lose_answer:
            raise ResponseLost("PUT /api/v0/asks/7/ may have reached Vast", method="PUT", path="")
        return 99

    def destroy(self, instance_id: int) -> bool:
        self.destroyed.append(instance_id)
        return True

    def attach_ssh_key(self, instance_id: int, key: str) -> None:
        raise AssertionError("no keys in these tests")


class FakeWatcher:
    """Listings scripted one per call: each a list of instances (as dicts)."""

    def __init__(self, clock: Clock, listings: Iterator[list[dict[str, Any]]]) -> None:
        self.clock = clock
        self.listings = listings
        self.calls = 0

    def snapshot(self, *, max_age: float = 0, after: float | None = None) -> Fetched[Any]:
        self.calls += 1
        self.clock.now += 0.01
        rows = next(self.listings)
        return Fetched({r["id"]: Instance.model_validate(r) for r in rows}, self.clock.now)

    def awaiting(self, instance_id: int) -> AbstractContextManager[None]:
        return nullcontext()

    def look(self, instance_id: int, *, after: float, listing: bool = False) -> Fetched[Any]:
        snapshot = self.snapshot(after=after)
        return Fetched(snapshot.value.get(instance_id), snapshot.started)

    def forget(self) -> None:
        pass


class FakeBook:
    def ranked(self, search: OfferSearch, *, max_age: float) -> list[Offer]:
        return [OFFER]

    def claim(self, offer_id: int) -> bool:
        return True

    def release(self, offer_id: int) -> None:
        pass


def rental(instances: FakeInstances, watcher: Any, clock: Clock) -> Rental:
    client = type("Client", (), {"instances": instances})()
    connection = Connection(client, watcher, FakeBook())  # type: ignore[arg-type]
    search = OfferSearch(
        query=None, offer_id=7, order=(("dph_total", "asc"),), disk_gb=10, bid=False
    )
    return Rental(
        connection=connection,
        request=CreateInstanceRequest(image="ubuntu", label="stack/gpu"),
        search=search,
        readiness=Readiness(),
        clock=clock,
        sleep=clock.sleep,
    )


def tagged(instances: FakeInstances, status: str) -> dict[str, Any]:
    return {
        "id": 99,
        "actual_status": status,
        "extra_env": [[TAG_ENV, instances.creates[0][TAG_ENV]]],
    }


def test_a_lost_answer_is_found_by_its_tag_even_when_the_listing_lags() -> None:
    clock, instances = Clock(), FakeInstances()

    def listings() -> Iterator[list[dict[str, Any]]]:
        for _ in range(6):  # Vast's listing lags behind the create by several seconds
            yield []
        yield [tagged(instances, "loading")]
        while True:
            yield [tagged(instances, "running")]

    outcome = rental(instances, FakeWatcher(clock, listings()), clock).run()

    assert outcome.instance.id == 99
    assert len(instances.creates) == 1  # never sent twice
    assert instances.destroyed == []


def test_a_lost_answer_whose_instance_never_shows_is_a_clear_error_not_a_second_rent() -> None:
    clock, instances = Clock(), FakeInstances()

    def nothing() -> Iterator[list[dict[str, Any]]]:
        while True:
            yield []

    with pytest.raises(RentalFailed, match=r"may have rented it.*PULUMI_VAST_TAG=\w+.*stack/gpu"):
        rental(instances, FakeWatcher(clock, nothing()), clock).run()

    assert len(instances.creates) == 1


def test_a_lost_answer_and_a_failing_lookup_still_never_rents_twice() -> None:
    clock, instances = Clock(), FakeInstances()

    def broken() -> Iterator[list[dict[str, Any]]]:
        raise TransportError("connection refused", method="GET", path="/api/v1/instances/")
        yield []

    with pytest.raises(RentalFailed, match="looking for it failed too"):
        rental(instances, FakeWatcher(clock, broken()), clock).run()

    assert len(instances.creates) == 1


def test_an_instance_missed_now_and_then_is_not_given_up() -> None:
    clock = Clock()
    seen = {"id": 5, "actual_status": "loading"}
    sequence = iter([[], [seen], [], [], [seen], [], [{**seen, "actual_status": "running"}]])

    live = wait_until_running(
        FakeWatcher(clock, sequence), 5, deadline=60, clock=clock, sleep=clock.sleep
    )

    assert live.actual_status == "running"


def test_an_instance_missing_from_three_listings_in_a_row_is_gone() -> None:
    clock = Clock()
    sequence = iter([[{"id": 5, "actual_status": "loading"}], [], [], []])

    with pytest.raises(InstanceFailed, match="vanished"):
        wait_until_running(
            FakeWatcher(clock, sequence), 5, deadline=60, clock=clock, sleep=clock.sleep
        )


@pytest.fixture
def fresh_stop_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stopping, "_stopping", threading.Event())


@pytest.mark.usefixtures("fresh_stop_flag")
def test_a_stop_while_booting_gives_the_instance_back() -> None:
    clock, instances = Clock(), FakeInstances(lose_answer=False)

    def listings() -> Iterator[list[dict[str, Any]]]:
        while True:
            yield [{"id": 99, "actual_status": "loading"}]

    def stop_then_sleep(seconds: float) -> None:
        stopping.request()  # what the plugin host does when the engine goes away
        stopping.sleep(seconds)

    booking = rental(instances, FakeWatcher(clock, listings()), clock)
    booking.sleep = stop_then_sleep
    with pytest.raises(stopping.Stopping):
        booking.run()

    assert instances.destroyed == [99]


@pytest.mark.usefixtures("fresh_stop_flag")
def test_nothing_is_rented_once_a_stop_was_requested() -> None:
    clock, instances = Clock(), FakeInstances(lose_answer=False)
    stopping.request()

    with pytest.raises(stopping.Stopping):
        rental(instances, FakeWatcher(clock, iter([])), clock).run()

    assert instances.creates == []
