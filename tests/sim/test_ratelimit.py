"""Per route and key token buckets, refilled by real (monotonic) time."""

from __future__ import annotations

from pulumi_vast.sim.ratelimit import RateLimiter, too_frequent_message


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_of_threshold_then_refill_at_threshold_per_second() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(monotonic=clock)
    allowed = [limiter.allow("k", "create_instance", 4.5) for _ in range(6)]
    assert allowed == [True, True, True, True, False, False]
    clock.now += 1 / 4.5
    assert limiter.allow("k", "create_instance", 4.5)
    assert not limiter.allow("k", "create_instance", 4.5)


def test_buckets_are_per_key_and_per_route() -> None:
    limiter = RateLimiter(monotonic=FakeMonotonic())
    assert limiter.allow("a", "list_instances", 1.0)
    assert not limiter.allow("a", "list_instances", 1.0)
    assert limiter.allow("b", "list_instances", 1.0)
    assert limiter.allow("a", "show_instance", 1.0)
    limiter.reset("a")
    assert limiter.allow("a", "list_instances", 1.0)


def test_message_is_vasts() -> None:
    assert too_frequent_message(1.0) == "API requests too frequent endpoint threshold=1.0"
