"""The route table: every Vast route the simulator serves, collected from the responses
module of each object (`responses`), and how a request finds its route.

The routes' auth policy and rate limits are described in `routing`.
"""

from __future__ import annotations

from pulumi_vast.sim.responses import ROUTES
from pulumi_vast.sim.routing import ADMIN_PREFIX, Route, normalize_path

__all__ = ["ADMIN_PREFIX", "ROUTES", "ROUTES_BY_NAME", "Route", "match", "normalize_path"]

ROUTES_BY_NAME = {route.name: route for route in ROUTES}


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(route, path params, path known under another method) for a request."""
    path = normalize_path(path)
    known_path = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            return route, found.groupdict(), True
        known_path = True
    return None, {}, known_path
