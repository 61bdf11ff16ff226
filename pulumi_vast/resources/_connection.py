"""One API client, instance watcher and offer book per provider process and account.

Every resource of a stack runs in the same provider process; sharing the client shares its
connection pool, counters and retry budget, the watcher lets many waiting creates and
parallel refresh reads ride on one instance listing, and the offer book lets parallel
creates share a search and spread over the best offers instead of racing for one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pulumi_vast import api
from pulumi_vast.resources._budget import Plans
from pulumi_vast.resources._offers import OfferBook
from pulumi_vast.resources._settings import ProviderSettings
from pulumi_vast.resources._watch import InstanceWatcher

__all__ = ["Connection", "connection_for"]


@dataclass(frozen=True)
class Connection:
    client: api.VastClient
    watcher: InstanceWatcher
    offers: OfferBook
    plans: Plans = field(default_factory=Plans)
    """What each resource checked in this process plans to spend (`max_budget`)."""

    def written(self, method: str, _route: str) -> None:
        """A write of ours makes a listing taken before it stale; a destroy or delete gives
        an offer back, so searches taken before it may now miss a match."""
        self.watcher.forget()
        if method == "DELETE":
            self.watcher.destroyed()
            self.offers.forget()


_lock = threading.Lock()
_connections: dict[tuple[str, str | None, str], Connection] = {}


def connection_for(settings: ProviderSettings) -> Connection:
    # Keyed by what reaches the account (settings may hold unhashable values: a policy).
    key = (settings.api_url, settings.effective_api_key, str(settings.sim_data_dir))
    with _lock:
        connection = _connections.get(key)
        if connection is None:
            client = api.VastClient(_resolve_url(settings), settings.effective_api_key)
            connection = Connection(client, InstanceWatcher(client), OfferBook(client))
            client.on_write(connection.written)
            _connections[key] = connection
        return connection


def _resolve_url(settings: ProviderSettings) -> str:
    if not settings.is_local:
        return settings.api_url
    # Imported here: only local stacks need the simulator's dependencies loaded.
    from pulumi_vast.sim.server import ensure_running

    return ensure_running(settings.sim_data_dir.expanduser().resolve())
