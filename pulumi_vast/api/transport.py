"""The one place HTTP happens: URLs, auth, retries, decoding, and error translation.

Every sub-client calls `Transport.request`; nothing else touches httpx. Errors are
translated here and only here (httpx exceptions and error statuses become the tree in
`errors`), and the API key, and any secret a request carries (``secrets=``: the env values
of a create), are redacted from everything that leaves this module: messages, bodies, logs.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import re
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, NoReturn
from urllib.parse import quote, quote_plus

from pulumi_vast.api._httpx import httpx
from pulumi_vast.api.errors import (
    APIError,
    BadRequest,
    Gone,
    NotFound,
    QuotaExceeded,
    RateLimited,
    ResponseLost,
    RetriesExhausted,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    VastError,
)
from pulumi_vast.api.pacing import Pacer
from pulumi_vast.api.redaction import REDACTED, Redactor
from pulumi_vast.api.retry import RetryPolicy
from pulumi_vast.api.stats import RequestStats

__all__ = ["REDACTED", "Transport", "encode_query", "user_agent"]

log = logging.getLogger("pulumi_vast.api")

SEARCH_QUOTA_ERROR = "search_quota_exceeded"
NO_SUCH_ASK = "no_such_ask"
"""The offer was rented by someone else (answered 404 or 410): try the next one."""

# A bad key answers 404 "Invalid user key" on several routes rather than 401.
_BAD_KEY_MESSAGE = re.compile(r"invalid (user|api)[ _]key|not[ _]authori[sz]ed", re.IGNORECASE)
_AUTH_ERROR_CODES = frozenset({"auth_error", "not_authorized", "unauthorized", "invalid_api_key"})

# Codes that say the object is not there: NotFound also when they come with a 400 (the SSH
# key and env var routes answer 400 for an id or name they do not know).
_MISSING_CODES = frozenset(
    {"not_found", "no_such_instance", "no_ssh_key", "nonexistent_key", "no_such_volume"}
)

# For a 200 carrying success: false, the status says nothing; the error code does.
_ERROR_CODES: dict[str, type[APIError]] = {
    "invalid_args": BadRequest,
    "invalid_request": BadRequest,
    "invalid_price": BadRequest,
    NO_SUCH_ASK: Gone,
    **dict.fromkeys(_MISSING_CODES, NotFound),
    "rate_limit_exceeded": RateLimited,
    SEARCH_QUOTA_ERROR: QuotaExceeded,
    **dict.fromkeys(_AUTH_ERROR_CODES, Unauthorized),
}

_HINTS: dict[type[APIError], str] = {
    Unauthorized: "check the API key and its permissions (VAST_API_KEY or vast:apiKey)",
    QuotaExceeded: "the daily search quota resets at midnight UTC",
}

# The request never reached the server: safe to repeat even when not idempotent.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# A failure of the network or the peer, as opposed to a malformed request of ours.
_RETRYABLE_TRANSPORT = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)

_MAX_TEXT_IN_MESSAGE = 300

_LOOK_IT_UP = (
    "look the object up (an instance by its label, a volume or template by its name, an env "
    "var by its key) before trying again"
)


def user_agent() -> str:
    try:
        version = metadata.version("pulumi-vast")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"pulumi-vast/{version} python-httpx/{httpx.__version__}"


def encode_query(args: Mapping[str, Any]) -> str:
    """Query arguments as the official client encodes them: JSON values, form-quoted."""
    return "&".join(
        f"{name}={quote_plus(value if isinstance(value, str) else jsonlib.dumps(value))}"
        for name, value in args.items()
    )


class Transport:
    """Sends one logical request, retrying per the policy; returns decoded JSON or raises."""

    def __init__(
        self,
        api_url: str,
        api_key: str | None,
        *,
        timeout: float,
        retry: RetryPolicy,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
        stats: RequestStats,
        pacer: Pacer,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.pacer = pacer
        self._on_write: list[Callable[[str, str], None]] = []
        self._api_key = api_key or None
        self._redactor = Redactor([self._api_key])
        self.retry = retry
        self.stats = stats
        self.clock_skew = 0.0
        """The service's clock minus this machine's, from the last answer's `Date`."""
        self._sleep = sleep
        headers = {"User-Agent": user_agent(), "Accept": "application/json"}
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key}"
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=True,
        )

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    def close(self) -> None:
        self._http.close()

    def on_write(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(method, route)`` after every request that may have changed
        something (any success but a GET): where caches of what Vast holds are dropped."""
        self._on_write.append(listener)

    def redact(self, text: str) -> str:
        return self._redactor(text)

    def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        secrets: Collection[str] = (),
    ) -> Any:
        """Send ``method route`` and return the decoded JSON body (``{}`` when empty).

        ``route`` is a template such as ``/api/v0/instances/{id}/`` (the key the request
        counters use), filled from ``path_params``. ``idempotent`` defaults to False for
        POST and True otherwise; a request that is not idempotent is never repeated once
        it may have reached the server (see `RetryPolicy`). ``secrets`` are values in the
        body that an error answer must not repeat (Vast may quote what it refused).
        """
        redact = self._redactor.adding(secrets) if secrets else self._redactor
        method = method.upper()
        safe_params = {k: quote(str(v), safe="") for k, v in (path_params or {}).items()}
        path = route.format(**safe_params)
        url = self.api_url + path + (f"?{encode_query(query)}" if query else "")
        repeatable = method != "POST" if idempotent is None else idempotent
        policy = self.retry
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self.pacer.acquire(method, route)
            self.stats.record_request(method, route, retry=attempt > 1)
            try:
                response = self._http.request(method, url, json=json)
            except httpx.TransportError as exc:
                failure: VastError = self._transport_failure(exc, method, path, repeatable, redact)
                delay = policy.backoff(attempt)
            else:
                self._note_date(response.headers.get("date"))
                self.stats.record_status(response.status_code)
                log.debug("%s %s -> %s", method, path, response.status_code)
                if response.is_success:
                    self.pacer.succeeded(method, route)
                    if method != "GET":
                        for listener in self._on_write:
                            listener(method, route)
                    return self._decode_success(response, method, path, redact)
                error = self._api_error(response, method, path, redact)
                if isinstance(error, RateLimited):
                    self.pacer.throttled(method, route)
                delay = self._retry_delay(error, method, path, repeatable, attempt)
                failure = error
            if attempt >= policy.max_attempts or waited + delay > policy.max_wait:
                self._give_up(failure, method, path, attempt, waited)
            log.info(
                "retrying %s %s in %.1f s after %s (attempt %d of %d)",
                method,
                path,
                delay,
                _short(failure),
                attempt + 1,
                policy.max_attempts,
            )
            self._sleep(delay)
            waited += delay

    def _note_date(self, header: str | None) -> None:
        if not header:
            return
        try:
            served = email.utils.parsedate_to_datetime(header).timestamp()
        except (TypeError, ValueError):
            return
        self.clock_skew = served - time.time()

    def server_time(self) -> float:
        """Now on the service's clock: this machine's, corrected by the `Date` of the last
        answer (to the second; this machine's own before any answer)."""
        return time.time() + self.clock_skew

    def _transport_failure(
        self,
        exc: httpx.TransportError,
        method: str,
        path: str,
        repeatable: bool,
        redact: Redactor,
    ) -> TransportError:
        reason = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        where = f"{method} {path} to {self.api_url}"
        if not isinstance(exc, _RETRYABLE_TRANSPORT):
            raise TransportError(
                f"{where} could not be sent ({reason})", method=method, path=path
            ) from exc
        if not repeatable and not isinstance(exc, _NEVER_SENT):
            raise ResponseLost(
                f"{where} may have reached Vast, but its answer was lost ({reason}); it was "
                f"not retried because it is not safe to repeat: {_LOOK_IT_UP}",
                method=method,
                path=path,
            ) from exc
        return TransportError(f"{where} failed ({reason})", method=method, path=path)

    def _retry_delay(
        self, error: APIError, method: str, path: str, repeatable: bool, attempt: int
    ) -> float:
        """Seconds to wait before repeating after ``error``; raises when it is final."""
        policy = self.retry
        if error.status not in policy.statuses or isinstance(error, QuotaExceeded):
            raise error
        if not repeatable and error.status in policy.ambiguous_statuses:
            raise ResponseLost(
                f"{method} {path} answered {error.status}, so the request may still have been "
                "carried out; it was not retried because it is not safe "
                f"to repeat: {_LOOK_IT_UP}",
                method=method,
                path=path,
            ) from error
        if error.retry_after is None:
            return policy.backoff(attempt)
        if error.retry_after > policy.max_retry_after:
            error.args = (
                f"{error.args[0]}; Vast asked to retry after {error.retry_after:.0f} s, longer "
                f"than the {policy.max_retry_after:.0f} s this client waits: try again later",
            )
            raise error
        return error.retry_after

    def _give_up(
        self, failure: VastError, method: str, path: str, attempts: int, waited: float
    ) -> NoReturn:
        if attempts == 1:
            raise failure
        raise RetriesExhausted(
            f"gave up on {method} {path} after {attempts} attempts and {waited:.1f} s of "
            f"waiting between them; last failure: {failure}",
            method=method,
            path=path,
            attempts=attempts,
            waited=waited,
            last_error=failure,
        ) from failure

    def _decode_success(
        self, response: httpx.Response, method: str, path: str, redact: Redactor
    ) -> Any:
        if not response.content.strip():
            return {}
        try:
            body = response.json()
        except ValueError:
            raise UnexpectedResponse(
                f"{method} {path} answered {response.status_code} with a body that is not "
                f"JSON: {_excerpt(response.text, redact)!r}",
                method=method,
                path=path,
                status=response.status_code,
            ) from None
        if isinstance(body, dict) and body.get("success") is False:
            error, msg = _error_fields(body)
            kind = _ERROR_CODES.get(error or "", APIError)
            raise _make_error(
                kind, method, path, response.status_code, error, msg, body, redact=redact
            )
        return body

    def _api_error(
        self, response: httpx.Response, method: str, path: str, redact: Redactor
    ) -> APIError:
        status = response.status_code
        try:
            decoded = response.json()
        except ValueError:
            decoded = None
        body: dict[str, Any] = decoded if isinstance(decoded, dict) else {}
        if body:
            error, msg = _error_fields(body)
        else:
            error, msg = None, _excerpt(response.text, redact) or response.reason_phrase or None
        kind = _error_class(status, error, msg)
        retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        return _make_error(
            kind, method, path, status, error, msg, body, retry_after=retry_after, redact=redact
        )


def _make_error(
    kind: type[APIError],
    method: str,
    path: str,
    status: int,
    error: str | None,
    msg: str | None,
    body: Mapping[str, Any],
    *,
    retry_after: float | None = None,
    redact: Redactor,
) -> APIError:
    error = redact(error) if error else error
    msg = redact(msg) if msg else msg
    code = f" {error}" if error else ""
    text = f"{method} {path} failed with {status}{code}"
    if msg and msg != error:
        text += f": {msg.rstrip('.')}"
    hint = _HINTS.get(kind)
    if hint:
        text += f"; {hint}"
    return kind(
        text,
        method=method,
        path=path,
        status=status,
        error=error,
        msg=msg,
        body=redact.tree(body),
        retry_after=retry_after,
    )


def _excerpt(text: str, redact: Redactor) -> str:
    # Redacted before it is reflowed or cut, so no secret survives in part.
    text = " ".join(redact(text).split())
    return text if len(text) <= _MAX_TEXT_IN_MESSAGE else text[:_MAX_TEXT_IN_MESSAGE] + "..."


def _error_fields(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    error = body.get("error")
    msg = body.get("msg", body.get("detail", body.get("message")))
    return (
        str(error) if error not in (None, "") else None,
        str(msg) if msg not in (None, "") else None,
    )


def _error_class(status: int, error: str | None, msg: str | None) -> type[APIError]:
    if error == NO_SUCH_ASK and 400 <= status < 500:
        return Gone
    if error in _MISSING_CODES and status == 400:
        return NotFound
    if status == 429:
        return QuotaExceeded if error == SEARCH_QUOTA_ERROR else RateLimited
    if status in (401, 403) or error in _AUTH_ERROR_CODES:
        return Unauthorized
    if status == 404:
        return Unauthorized if msg and _BAD_KEY_MESSAGE.search(msg) else NotFound
    if status == 400:
        return BadRequest
    if status == 410:
        return Gone
    if status >= 500:
        return ServerError
    return APIError


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _short(failure: VastError) -> str:
    if isinstance(failure, APIError):
        return f"{failure.status}{' ' + failure.error if failure.error else ''}"
    return type(failure).__name__
