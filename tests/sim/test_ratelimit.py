"""Per route and key token buckets, refilled by real (monotonic) time."""

from __future__ import annotations

from pulumi_vast.sim.ratelimit import DEFAULT_BURST, RateLimiter, too_frequent_message


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_quick_script_is_served_then_the_threshold_holds() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(monotonic=clock)
    # list -> create -> show -> list within 50 ms: the 1/s listing takes both of its calls.
    assert [limiter.allow("k", "list_instances", 1.0) for _ in range(2)] == [True, True]
    allowed = [limiter.allow("k", "list_instances", 1.0) for _ in range(10)]
    assert allowed.count(True) == DEFAULT_BURST - 2, "sustained overload is refused"
    clock.now += 1.0
    assert limiter.allow("k", "list_instances", 1.0)
    assert not limiter.allow("k", "list_instances", 1.0)


def test_a_burst_of_one_refuses_the_second_call_at_once() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(monotonic=clock)
    allowed = [limiter.allow("k", "create_instance", 4.5, burst=1) for _ in range(6)]
    assert allowed == [True, True, True, True, False, False], "never below the threshold"
    clock.now += 1 / 4.5
    assert limiter.allow("k", "create_instance", 4.5, burst=1)
    assert not limiter.allow("k", "create_instance", 4.5, burst=1)
    assert limiter.allow("k", "list_instances", 1.0, burst=1)
    assert not limiter.allow("k", "list_instances", 1.0, burst=1)


def test_buckets_are_per_key_and_per_route() -> None:
    limiter = RateLimiter(monotonic=FakeMonotonic())
    assert limiter.allow("a", "list_instances", 1.0, burst=1)
    assert not limiter.allow("a", "list_instances", 1.0, burst=1)
    assert limiter.allow("b", "list_instances", 1.0, burst=1)
    assert limiter.allow("a", "show_instance", 1.0, burst=1)
    limiter.reset("a")
    assert limiter.allow("a", "list_instances", 1.0, burst=1)


def test_message_is_vasts() -> None:
    assert too_frequent_message(1.0) == "API requests too frequent endpoint threshold=1.0"
