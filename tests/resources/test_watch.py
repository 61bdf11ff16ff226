"""The instance watcher: one listing for many waiters, own GETs for one or two."""

from __future__ import annotations

import threading
from typing import Any

from pulumi_vast.api import Instance
from pulumi_vast.resources._watch import OWN_LOOKS_UP_TO, InstanceWatcher


class CountingInstances:
    def __init__(self, rows: dict[int, str]) -> None:
        self.rows = rows
        self.lists = 0
        self.gets: list[int] = []
        self._lock = threading.Lock()

    def list(self) -> list[Instance]:
        with self._lock:
            self.lists += 1
        return [Instance(id=i, actual_status=s) for i, s in self.rows.items()]

    def get(self, instance_id: int) -> Instance | None:
        with self._lock:
            self.gets.append(instance_id)
        status = self.rows.get(instance_id)
        return None if status is None else Instance(id=instance_id, actual_status=status)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 0.01
        return self.now


def watcher_for(rows: dict[int, str]) -> tuple[InstanceWatcher, CountingInstances]:
    instances = CountingInstances(rows)
    client: Any = type("Client", (), {"instances": instances})()
    return InstanceWatcher(client, clock=Clock()), instances


def test_one_awaited_instance_is_looked_at_with_its_own_get() -> None:
    watcher, instances = watcher_for({5: "loading", 6: "running"})

    with watcher.awaiting(5):
        first = watcher.look(5, after=0.0)
        second = watcher.look(5, after=first.started)

    assert first.value is not None and first.value.actual_status == "loading"
    assert second.started > first.started
    assert (instances.gets, instances.lists) == ([5, 5], 0)


def test_many_awaited_instances_share_listings() -> None:
    ids = list(range(1, OWN_LOOKS_UP_TO + 2))
    watcher, instances = watcher_for({i: "loading" for i in ids})

    with watcher.awaiting(ids[0]), watcher.awaiting(ids[1]), watcher.awaiting(ids[2]):
        first = watcher.look(ids[0], after=0.0)
        # A look begun before the shared listing started is answered by it.
        others = [watcher.look(i, after=first.started - 1) for i in ids[1:]]

    assert [look.value.id for look in (first, *others) if look.value] == ids
    assert (instances.gets, instances.lists) == ([], 1)


def test_a_get_that_misses_is_confirmed_by_a_listing() -> None:
    watcher, instances = watcher_for({})

    with watcher.awaiting(9):
        missed = watcher.look(9, after=0.0)
        confirmed = watcher.look(9, after=missed.started, listing=True)

    assert missed.value is None and confirmed.value is None
    assert (instances.gets, instances.lists) == ([9], 1)


def test_an_instance_stops_being_awaited_when_its_wait_ends() -> None:
    watcher, instances = watcher_for({1: "loading", 2: "loading", 3: "loading"})

    with watcher.awaiting(1), watcher.awaiting(2):
        with watcher.awaiting(3):
            watcher.look(1, after=0.0)
        watcher.look(1, after=0.0)

    assert (instances.lists, instances.gets) == (1, [1])


def test_creates_share_one_listing_of_what_earlier_runs_left_until_we_destroy() -> None:
    watcher, instances = watcher_for({5: "running"})

    first = watcher.since_destroyed()
    watcher.forget()  # a create of ours: a waiter's listing is stale now...
    assert watcher.since_destroyed() is first, "...what earlier runs left is not"
    assert instances.lists == 1

    del instances.rows[5]
    watcher.forget()
    watcher.destroyed()
    after = watcher.since_destroyed()

    assert instances.lists == 2 and after.started > first.started
    assert after.value == {}, "an instance we destroyed is not found as left behind"
