"""Everything the wire layer raises, as one tree rooted at `VastError`.

```
VastError                       anything raised by pulumi_vast.api
├── QueryError (ValueError)     an offer query that cannot be parsed or built
├── TransportError              no usable HTTP answer (connect, timeout, protocol)
│   └── ResponseLost            a non-idempotent request may have reached Vast, answer lost
├── APIError                    Vast answered with an error (status, error, msg)
│   ├── BadRequest              400, or a 200 with success: false and a bad-argument code
│   ├── Unauthorized            401/403, and the 404 "Invalid user key" a bad key gets
│   ├── NotFound                404, or a code saying there is no such object (no_ssh_key...)
│   ├── Gone                    410, or no_such_ask: an offer someone else rented
│   ├── RateLimited             429 (per route and key)
│   ├── QuotaExceeded           429 search_quota_exceeded (daily, resets at UTC midnight)
│   ├── ServerError             5xx
│   ├── UnexpectedResponse      a 2xx whose body is not what the route promises
│   └── InstanceCreatedWithError  a create that failed *and* left an instance behind
└── RetriesExhausted            every attempt the retry policy allows failed
```

`str()` of each error is one sentence for a person: the method and path, the status, and
Vast's own message; the API key never appears in it (the transport redacts before raising).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "APIError",
    "BadRequest",
    "Gone",
    "InstanceCreatedWithError",
    "NotFound",
    "QueryError",
    "QuotaExceeded",
    "RateLimited",
    "ResponseLost",
    "RetriesExhausted",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "UnexpectedResponse",
    "VastError",
]


class VastError(Exception):
    """Root of every error raised by `pulumi_vast.api`."""


class QueryError(VastError, ValueError):
    """An offer query (string syntax or builder) that cannot be turned into a filter.

    ``token`` is the offending text, ``position`` its 0-based offset in the query string
    (None for the builder), ``choices`` the valid alternatives, closest first.
    """

    def __init__(
        self,
        message: str,
        *,
        token: str | None = None,
        position: int | None = None,
        choices: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.token = token
        self.position = position
        self.choices = tuple(choices)


class TransportError(VastError):
    """The request got no usable HTTP answer: refused, timed out, or cut off."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class ResponseLost(TransportError):
    """A request that is not safe to repeat may have reached Vast, but its answer was lost.

    Raised instead of retrying a create: the instance may exist. Look it up by the label it
    was created with before creating again.
    """


class APIError(VastError):
    """Vast answered with an error status, or a 200 whose body says ``success: false``."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status: int,
        error: str | None = None,
        msg: str | None = None,
        body: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status = status
        self.error = error
        """Vast's machine-readable code, e.g. ``invalid_args`` or ``no_such_ask``."""
        self.msg = msg
        """Vast's human-readable text."""
        self.body: Mapping[str, Any] = dict(body or {})
        """The decoded JSON error body (empty when the body was not JSON)."""
        self.retry_after = retry_after
        """Seconds the server asked us to wait (``Retry-After``), when it said."""


class BadRequest(APIError):
    """400: the request itself is wrong (an argument, a price, a missing field)."""


class Unauthorized(APIError):
    """The API key is missing, wrong, or lacks the permission (401/403; some routes 404)."""


class NotFound(APIError):
    """404: no such object (for this account); also the 400s some routes answer for one
    (``no_ssh_key``, ``nonexistent_key``)."""


class Gone(APIError):
    """The object or route no longer exists: a 410, or ``no_such_ask`` (404 or 410) when
    someone else rented the offer first; creating from the next offer is the fix."""


class RateLimited(APIError):
    """429: too many requests to this route for this key."""


class QuotaExceeded(APIError):
    """429 ``search_quota_exceeded``: the daily search quota; retrying only burns requests."""


class ServerError(APIError):
    """5xx: Vast (or its gateway) failed."""


class UnexpectedResponse(APIError):
    """A success status whose body is not what the route promises (not JSON, missing keys)."""


class InstanceCreatedWithError(APIError):
    """The create failed but the answer names an instance it left behind (a low bid, say).

    ``instance_id`` exists and may bill storage: destroy it (or record it) before retrying.
    """

    def __init__(self, message: str, *, instance_id: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.instance_id = instance_id


class RetriesExhausted(VastError):
    """Every attempt the retry policy allows failed with a retryable error.

    ``last_error`` is the final failure (a `RateLimited`, `ServerError` or
    `TransportError`), also chained as ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        attempts: int,
        waited: float,
        last_error: VastError,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.attempts = attempts
        self.waited = waited
        """Seconds spent waiting between attempts."""
        self.last_error = last_error
