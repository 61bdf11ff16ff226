"""One API client (and one instance watcher) per provider process and account.

Every resource of a stack runs in the same provider process; sharing the client shares its
connection pool, its request counters and its retry budget, and sharing the watcher lets
many waiting creates and parallel refresh reads ride on one instance listing.
"""

from __future__ import annotations

import threading

from pulumi_vast.api import VastClient
from pulumi_vast.resources._settings import ProviderSettings
from pulumi_vast.resources._watch import InstanceWatcher

__all__ = ["client_for", "watcher_for"]

_lock = threading.Lock()
_clients: dict[ProviderSettings, VastClient] = {}
_watchers: dict[ProviderSettings, InstanceWatcher] = {}


def client_for(settings: ProviderSettings) -> VastClient:
    with _lock:
        client = _clients.get(settings)
        if client is None:
            client = VastClient(_resolve_url(settings), settings.effective_api_key)
            _clients[settings] = client
        return client


def watcher_for(settings: ProviderSettings) -> InstanceWatcher:
    client = client_for(settings)
    with _lock:
        watcher = _watchers.get(settings)
        if watcher is None:
            watcher = InstanceWatcher(client)
            _watchers[settings] = watcher
        return watcher


def _resolve_url(settings: ProviderSettings) -> str:
    if not settings.is_local:
        return settings.api_url
    # Imported here: only local stacks need the simulator's dependencies loaded.
    from pulumi_vast.sim.server import ensure_running

    return ensure_running(settings.sim_data_dir.expanduser().resolve())
