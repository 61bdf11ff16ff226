"""Pace requests under Vast's per-endpoint rate limits instead of running into them.

Vast limits each (API key, endpoint) to a number of requests per second (openapi's 429
examples: "API requests too frequent endpoint threshold=4.5") and answers a plain 429
beyond it. A stack fires its creates, polls and destroys from many threads at once; left
alone they would all hit 429s and back off exponentially, idling for seconds while the
budget refills in fractions of one. Paced, every request waits just long enough for a
token of its endpoint's budget, shared by every thread of one client.

`RateLimits` is the named policy (documented thresholds, a safety margin); a 429 that
still happens (an undocumented or lowered limit) slows that endpoint down, and later
successes bring it back up.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["NO_PACING", "VAST_RATE_LIMITS", "Pacer", "RateLimits"]

Endpoint = tuple[str, str]
"""(METHOD, route template), e.g. ("PUT", "/api/v0/asks/{id}/")."""


@dataclass(frozen=True)
class RateLimits:
    """Requests per second per endpoint; ``margin`` keeps us just under each threshold."""

    per_endpoint: Mapping[Endpoint, float] = field(default_factory=dict)
    margin: float = 0.9
    slowdown: float = 0.7
    """Factor applied to an endpoint's rate after a 429 (down to ``floor``)."""
    recovery: float = 0.05
    """Fraction of the documented rate won back per success after a slowdown."""
    floor: float = 0.2

    def rate(self, method: str, route: str) -> float | None:
        threshold = self.per_endpoint.get((method.upper(), route))
        return None if threshold is None else threshold * self.margin


VAST_RATE_LIMITS = RateLimits(
    MappingProxyType(
        {
            ("PUT", "/api/v0/asks/{id}/"): 4.5,
            ("GET", "/api/v1/instances/"): 1.0,
            ("GET", "/api/v0/instances/{id}/"): 2.0,
            ("PUT", "/api/v0/instances/{id}/"): 1.0,
            ("DELETE", "/api/v0/instances/{id}/"): 3.0,
            ("DELETE", "/api/v0/instances/{id}/ssh/{key_id}/"): 2.0,
            ("PUT", "/api/v0/instances/bid_price/{id}/"): 5.5,
            ("POST", "/api/v0/ssh/"): 1.0,
            ("PUT", "/api/v0/ssh/{id}/"): 1.0,
            ("GET", "/api/v0/template/"): 3.0,
            ("GET", "/api/v0/secrets/"): 5.0,
            ("POST", "/api/v0/secrets/"): 3.0,
            ("PUT", "/api/v0/secrets/"): 3.0,
            ("DELETE", "/api/v0/secrets/"): 3.0,
            ("POST", "/api/v0/volumes/search/"): 5.5,
            ("GET", "/api/v0/volumes"): 5.5,
            ("DELETE", "/api/v0/volumes/"): 5.5,
            ("POST", "/api/v0/endptjobs/"): 4.0,
            ("GET", "/api/v0/endptjobs/"): 3.0,
            ("PUT", "/api/v0/endptjobs/{id}/"): 2.0,
            ("DELETE", "/api/v0/endptjobs/{id}/"): 3.0,
            ("POST", "/api/v0/workergroups/"): 4.0,
            ("GET", "/api/v0/workergroups/"): 2.0,
            ("PUT", "/api/v0/workergroups/{id}/"): 2.0,
            ("DELETE", "/api/v0/workergroups/{id}/"): 3.0,
        }
    )
)
"""The thresholds openapi.yaml documents for the endpoints this client calls."""

NO_PACING = RateLimits()


@dataclass
class _Bucket:
    documented: float
    rate: float
    capacity: float
    tokens: float
    updated: float


class Pacer:
    """Token buckets per endpoint; `acquire` blocks until the request may go out."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[Endpoint, _Bucket] = {}

    def acquire(self, method: str, route: str) -> float:
        """Take a token for one request, waiting for it; returns the seconds waited."""
        with self._lock:
            bucket = self._bucket(method, route)
            if bucket is None:
                return 0.0
            self._refill(bucket)
            # Tokens may go negative: a reservation that later callers queue behind.
            bucket.tokens -= 1.0
            wait = 0.0 if bucket.tokens >= 0 else -bucket.tokens / bucket.rate
        if wait > 0:
            self._sleep(wait)
        return wait

    def throttled(self, method: str, route: str) -> None:
        """Vast answered 429 despite the pacing: slow this endpoint down."""
        with self._lock:
            bucket = self._bucket(method, route)
            if bucket is None:
                return
            self._refill(bucket)
            bucket.rate = max(bucket.rate * self.limits.slowdown, self.limits.floor)
            bucket.tokens = min(bucket.tokens, 0.0)

    def succeeded(self, method: str, route: str) -> None:
        with self._lock:
            bucket = self._bucket(method, route)
            if bucket is not None and bucket.rate < bucket.documented:
                self._refill(bucket)
                step = bucket.documented * self.limits.recovery
                bucket.rate = min(bucket.documented, bucket.rate + step)

    def rate(self, method: str, route: str) -> float | None:
        """The current pace of an endpoint in requests per second (None: unpaced)."""
        with self._lock:
            bucket = self._bucket(method, route)
            return None if bucket is None else bucket.rate

    def _bucket(self, method: str, route: str) -> _Bucket | None:
        key = (method.upper(), route)
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = self.limits.rate(*key)
            if rate is None:
                return None
            capacity = max(1.0, float(math.floor(rate)))
            bucket = _Bucket(rate, rate, capacity, capacity, self._clock())
            self._buckets[key] = bucket
        return bucket

    def _refill(self, bucket: _Bucket) -> None:
        now = self._clock()
        bucket.tokens = min(bucket.capacity, bucket.tokens + (now - bucket.updated) * bucket.rate)
        bucket.updated = now
