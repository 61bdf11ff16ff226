"""Who is calling: an account (any non-empty key), an instance's scoped key, or nobody.

The key comes from ``Authorization: Bearer <key>`` (or the legacy ``?api_key=`` query
argument). How a missing or bad key is answered depends on the route (`routing`).
An instance's CONTAINER_API_KEY may only show, stop/start or destroy that one instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pulumi_vast.sim.errors import NotAuthorized, NotFound, SimError, Unauthorized
from pulumi_vast.sim.records import Account
from pulumi_vast.sim.routing import Route

if TYPE_CHECKING:
    from pulumi_vast.sim.models import SimBackend

__all__ = ["BAD_KEY_MESSAGE", "Principal", "api_key_of", "resolve"]

BAD_KEY_MESSAGE = "Invalid user key"


@dataclass(frozen=True)
class Principal:
    account: Account | None
    """None for an anonymous call of a public route."""
    scoped_instance: int | None = None

    def require_account(self) -> Account:
        if self.account is None:
            raise Unauthorized("Please log in or sign up: send 'Authorization: Bearer <API key>'")
        return self.account

    def require_instance(self, instance_id: int) -> None:
        if self.scoped_instance is not None and instance_id != self.scoped_instance:
            raise _scoped_error(self.scoped_instance)

    def require_full_key(self) -> None:
        """Refuse an instance-scoped key (for what goes beyond show/stop/start/destroy)."""
        if self.scoped_instance is not None:
            raise _scoped_error(self.scoped_instance)


def _scoped_error(instance_id: int) -> SimError:
    return NotAuthorized(
        f"This API key is scoped to instance {instance_id}: it may only show, stop, "
        "start or destroy that instance"
    )


def api_key_of(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    header = headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return query.get("api_key") or None


def resolve(
    backend: SimBackend, route: Route, key: str | None, *, required_key: str | None
) -> Principal:
    """The caller of `route`, or the error Vast answers for this key on this route."""
    if key is None:
        if route.public:
            return Principal(account=None)
        raise Unauthorized("Please log in or sign up: send 'Authorization: Bearer <API key>'")
    scoped = backend.instance_by_container_key(key)
    if scoped is not None:
        if not route.scoped:
            raise _scoped_error(scoped.id)
        return Principal(backend.accounts[scoped.account], scoped_instance=scoped.id)
    if required_key is not None and key != required_key:
        if route.bad_key_status == 404:
            raise NotFound(BAD_KEY_MESSAGE, error="auth_error")
        raise Unauthorized(BAD_KEY_MESSAGE)
    return Principal(backend.account(key))
