"""When and how long the client waits before repeating a failed request."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["AMBIGUOUS_STATUSES", "DEFAULT_RETRY", "NO_RETRY", "RETRYABLE_STATUSES", "RetryPolicy"]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Rate limited, and server errors. The official client retries all but 500; we retry a 500
too, since a GET, DELETE or state change that hit a passing server fault must not be taken
for a final answer (a rollback destroy that gave up on one 500 left an instance billing)."""
AMBIGUOUS_STATUSES = frozenset({500, 502, 504})
"""Answers after which the service may still have done the work: a create is never repeated
after one of these (`ResponseLost`)."""

MAX_RETRY_AFTER_SECONDS = 60.0
"""The longest ``Retry-After`` waited out inline (as the official client); longer: raise."""


@dataclass(frozen=True)
class RetryPolicy:
    """A named retry policy: which failures are retried, how often, and how long we wait.

    Retried: the statuses in ``statuses`` (429 and 5xx: 500, 502, 503, 504) and transport
    errors (refused connections, timeouts, dropped connections). Never retried: a 429 whose
    JSON body says ``search_quota_exceeded`` (a daily quota), and a request that is not
    idempotent (a create) once it may have reached the server: a lost answer, or a 500, 502
    or 504 (``ambiguous_statuses``), raises `ResponseLost` instead. A request that provably
    never left (connection refused, connect timeout) and a 429/503 (the service refused it)
    are safe to repeat. Idempotent requests (GET, DELETE, a PUT of state or label) are
    retried on every one of these.

    Waits: the server's ``Retry-After`` when present and at most ``max_retry_after``
    seconds (a longer one raises at once, naming the wait); otherwise capped exponential
    backoff ``min(cap, base * factor**n)`` with the top ``jitter`` fraction randomized, since
    Vast's real 429 is plain text without ``Retry-After`` and many provider threads would
    otherwise retry in lockstep. The whole call gives up after ``max_attempts`` attempts or
    once ``max_wait`` seconds of waiting are spent, raising `RetriesExhausted`.
    """

    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_factor: float = 2.0
    backoff_cap: float = 20.0
    jitter: float = 0.5
    max_retry_after: float = MAX_RETRY_AFTER_SECONDS
    max_wait: float = 120.0
    statuses: frozenset[int] = RETRYABLE_STATUSES
    ambiguous_statuses: frozenset[int] = AMBIGUOUS_STATUSES
    """Answers after which the service may still have done the work."""
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("RetryPolicy.jitter must be between 0 and 1")
        if self.backoff_base < 0 or self.backoff_cap < 0 or self.max_wait < 0:
            raise ValueError("RetryPolicy waits must not be negative")

    def backoff(self, retry: int) -> float:
        """Seconds before retry number ``retry`` (1 for the first retry), with jitter."""
        ceiling = min(self.backoff_cap, self.backoff_base * self.backoff_factor ** (retry - 1))
        return ceiling * (1.0 - self.jitter * self.random())


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(max_attempts=1)
