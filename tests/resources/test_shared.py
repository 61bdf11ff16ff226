"""One fetch serving many threads: shared results, shared errors, no stale keeps."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pulumi_vast.resources._shared import SharedFetch


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class GatedFetch:
    """A fetch that blocks until released, counting its calls."""

    def __init__(self, fail_first: bool = False) -> None:
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail_first = fail_first

    def __call__(self) -> int:
        self.calls += 1
        self.started.set()
        assert self.release.wait(10)
        if self.fail_first and self.calls == 1:
            raise ConnectionError("the API is down")
        return self.calls


def test_callers_arriving_during_a_fetch_share_it() -> None:
    fetch = GatedFetch()
    shared = SharedFetch(fetch, clock=Clock())
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(shared.get, max_age=5)
        assert fetch.started.wait(5)
        rest = [pool.submit(shared.get, max_age=5) for _ in range(7)]
        fetch.release.set()
        results = [first.result(5), *(r.result(5) for r in rest)]
    assert fetch.calls == 1
    assert {r.value for r in results} == {1}


def test_callers_that_joined_a_failing_fetch_get_its_error_without_refetching() -> None:
    fetch = GatedFetch(fail_first=True)
    shared = SharedFetch(fetch, clock=Clock())
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(shared.get)
        assert fetch.started.wait(5)
        joined = [pool.submit(shared.get) for _ in range(3)]
        fetch.release.set()
        for future in [first, *joined]:
            with pytest.raises(ConnectionError, match="down"):
                future.result(5)
    assert fetch.calls == 1
    assert shared.get().value == 2  # a later caller tries again


def test_a_result_begun_before_forget_is_not_kept() -> None:
    fetch = GatedFetch()
    shared = SharedFetch(fetch, clock=Clock())
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(shared.get)
        assert fetch.started.wait(5)
        shared.forget()
        fetch.release.set()
        assert pending.result(5).value == 1  # its caller still gets it
    assert shared.get().value == 2  # but nobody after the forget


def test_age_and_after_decide_whether_a_result_serves() -> None:
    clock = Clock()
    values = iter(range(1, 10))
    shared = SharedFetch(lambda: next(values), clock=clock)
    first = shared.get(max_age=5)
    clock.now += 3
    assert shared.get(max_age=5) is first
    assert shared.get(max_age=5, after=first.started).value == 2  # strictly newer wanted
    clock.now += 10
    assert shared.get(max_age=5).value == 3
