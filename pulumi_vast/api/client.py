"""`VastClient`: one object per account, with a sub-client per API object."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Mapping
from types import TracebackType
from typing import Any

from pulumi_vast.api._httpx import httpx
from pulumi_vast.api.charges import ChargesClient
from pulumi_vast.api.defaults import API_KEY_ENV, API_URL_ENV, DEFAULT_API_URL
from pulumi_vast.api.env_vars import EnvVarsClient
from pulumi_vast.api.instances import InstancesClient
from pulumi_vast.api.network_volumes import NetworkVolumesClient
from pulumi_vast.api.offers import OffersClient
from pulumi_vast.api.pacing import VAST_RATE_LIMITS, Pacer, RateLimits
from pulumi_vast.api.redaction import REDACTED
from pulumi_vast.api.retry import DEFAULT_RETRY, RetryPolicy
from pulumi_vast.api.ssh_keys import SshKeysClient
from pulumi_vast.api.stats import RequestStats
from pulumi_vast.api.templates import TemplatesClient
from pulumi_vast.api.transport import Transport
from pulumi_vast.api.users import UsersClient
from pulumi_vast.api.volumes import VolumesClient

__all__ = ["API_KEY_ENV", "API_URL_ENV", "DEFAULT_API_URL", "VastClient"]


class VastClient:
    """A thread-safe client of the Vast REST API.

    ``client.offers``, ``client.instances``, ``client.ssh_keys``, ``client.templates``,
    ``client.env_vars``, ``client.volumes``, ``client.network_volumes``, ``client.users``
    and ``client.charges``
    hold the calls; all share one HTTP connection pool, one `RetryPolicy` (429, 5xx and
    transport errors, capped exponential backoff with jitter, ``Retry-After`` up to 60 s;
    creates are never repeated once they may have reached Vast) and one set of request
    counters, ``client.stats``. Requests are paced under Vast's documented per-endpoint rate
    limits (``rate_limits``, `pulumi_vast.api.pacing`) so parallel callers queue for the
    budget instead of collecting 429s. ``sleep`` is what waits between retries and for the
    pace (inject a no-op in tests); ``transport`` is the httpx seam
    (``httpx.MockTransport`` in tests).

    Errors are the tree in `pulumi_vast.api.errors`. The API key is sent as a Bearer token
    and never appears in errors, logs or ``repr``.
    """

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rate_limits: RateLimits = VAST_RATE_LIMITS,
    ) -> None:
        if not api_url.startswith(("http://", "https://")):
            raise ValueError(
                f"api_url must be an http(s) URL such as {DEFAULT_API_URL!r}, got {api_url!r}"
            )
        if timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
        self.stats = RequestStats()
        self._transport = Transport(
            api_url,
            api_key,
            timeout=timeout,
            retry=retry,
            transport=transport,
            sleep=sleep,
            stats=self.stats,
            pacer=Pacer(rate_limits, sleep=sleep),
        )
        self.offers = OffersClient(self._transport)
        self.instances = InstancesClient(self._transport)
        self.ssh_keys = SshKeysClient(self._transport)
        self.templates = TemplatesClient(self._transport)
        self.env_vars = EnvVarsClient(self._transport)
        self.volumes = VolumesClient(self._transport)
        self.network_volumes = NetworkVolumesClient(self._transport)
        self.users = UsersClient(self._transport)
        self.charges = ChargesClient(self._transport)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> VastClient:
        """A client for ``VAST_URL`` (default the real service) with ``VAST_API_KEY``."""
        env = os.environ if environ is None else environ
        return cls(env.get(API_URL_ENV) or DEFAULT_API_URL, env.get(API_KEY_ENV) or None, **options)

    def on_write(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(method, route)`` after every call that may have changed something
        on Vast (every success but a GET), e.g. to drop a cached listing."""
        self._transport.on_write(listener)

    @property
    def api_url(self) -> str:
        return self._transport.api_url

    def server_time(self) -> float:
        """Now on Vast's clock (epoch seconds): what a TTL's deadline is counted on, as the
        instances' own clocks follow it. From the `Date` of the last answer."""
        return self._transport.server_time()

    @property
    def retry(self) -> RetryPolicy:
        return self._transport.retry

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
        """A raw call for routes without a sub-client yet; decoded JSON back.

        ``route`` is a template such as ``/api/v0/instances/{id}/`` filled from
        ``path_params``; retries, errors, counting and redaction (``secrets``: values of
        the body no error may repeat) are those of every other call.
        """
        return self._transport.request(
            method,
            route,
            path_params=path_params,
            query=query,
            json=json,
            idempotent=idempotent,
            secrets=secrets,
        )

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> VastClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        key = REDACTED if self._transport.has_api_key else None
        return f"VastClient(api_url={self.api_url!r}, api_key={key!r})"
