"""Vast's rate limits: per route and API key, a threshold in requests per second.

Modelled as a token bucket per (key, route) refilling at `threshold` per second of real
(monotonic) time (advancing the simulator's clock does not refill it) and holding
`max(burst, threshold)` tokens. The burst is what lets a client that works against Vast in
production work here too: a script that lists, creates, shows and lists again within
50 ms is served, while sustained overload is answered 429. `burst=1` (a per-account
setting) makes 429s easy to provoke in fault tests.

A refused request answers as the real service does (NOTES, "Field notes"): status 429, a
plain-text body, no Retry-After. openapi describes the 429 body as JSON
(``{"detail": "API requests too frequent endpoint threshold=X"}``); we follow the field
notes and send that sentence as plain text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DEFAULT_BURST", "RateLimiter", "too_frequent_message"]

DEFAULT_BURST = 5.0
"""Requests a key may send to one route at once before the threshold applies."""


def too_frequent_message(threshold: float) -> str:
    return f"API requests too frequent endpoint threshold={threshold}"


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def allow(
        self, key: str, route: str, threshold: float, *, burst: float = DEFAULT_BURST
    ) -> bool:
        """Take a token for one request; False when the bucket is empty."""
        now = self._monotonic()
        capacity = max(1.0, burst, threshold)
        bucket = self._buckets.get((key, route))
        if bucket is None:
            bucket = self._buckets[(key, route)] = _Bucket(tokens=capacity, updated=now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * threshold)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def reset(self, key: str | None = None) -> None:
        if key is None:
            self._buckets.clear()
        else:
            for bucket_key in [k for k in self._buckets if k[0] == key]:
                del self._buckets[bucket_key]
