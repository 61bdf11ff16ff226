"""The route table: every Vast route the simulator serves, with its auth policy and rate limit.

Paths are matched with or without a trailing slash (the official client sends both:
``/api/v0/bundles/`` but ``/api/v0/users/current``).

**Bad API keys.** Vast answers a bad key with 404 on some routes and 401 on others (NOTES
field notes; openapi documents 401 "Invalid user key" on some routes and 404 on the offer
search). Each route says which: 401 where openapi documents a 401 response for the route,
404 elsewhere. A request with *no* key answers 401 everywhere except the public routes
(the offer search and the GPU name list, which the official CLI calls without a key).

**Rate limits** are requests per second per route and API key, from openapi's 429
examples ("API requests too frequent endpoint threshold=X"); routes without a documented
threshold get `DEFAULT_THRESHOLD`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "ADMIN_PREFIX",
    "DEFAULT_THRESHOLD",
    "ROUTES",
    "ROUTES_BY_NAME",
    "Route",
    "match",
    "normalize_path",
]

ADMIN_PREFIX = "/_sim"
"""Test-only admin routes live under a prefix no Vast route uses."""
DEFAULT_THRESHOLD = 5.0


@dataclass(frozen=True)
class Route:
    name: str
    """Stable id used by faults, request counters and handlers (`responses.<name>`)."""
    method: str
    path: str
    bad_key_status: int = 401
    threshold: float = DEFAULT_THRESHOLD
    public: bool = False
    """Answers without an API key."""
    scoped: bool = False
    """An instance's CONTAINER_API_KEY may call it (on that instance only)."""
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}/"


ROUTES: tuple[Route, ...] = (
    Route("search_offers", "POST", "/api/v0/bundles", bad_key_status=404, public=True),
    Route("search_asks", "PUT", "/api/v0/search/asks", bad_key_status=404, public=True),
    Route("gpu_names", "GET", "/api/v0/gpu_names/unique", public=True),
    Route("create_instance", "PUT", "/api/v0/asks/{id}", threshold=4.5),
    Route("list_instances", "GET", "/api/v1/instances", threshold=1.0),
    Route("list_instances_v0", "GET", "/api/v0/instances"),
    Route("instance_filters", "GET", "/api/v0/instances/filters"),
    Route("show_instance", "GET", "/api/v0/instances/{id}", threshold=2.0, scoped=True),
    Route("manage_instance", "PUT", "/api/v0/instances/{id}", threshold=1.0, scoped=True),
    Route(
        "destroy_instance",
        "DELETE",
        "/api/v0/instances/{id}",
        bad_key_status=404,
        threshold=3.0,
        scoped=True,
    ),
    Route("attach_ssh_key", "POST", "/api/v0/instances/{id}/ssh"),
    Route("instance_ssh_keys", "GET", "/api/v0/instances/{id}/ssh"),
    Route(
        "detach_ssh_key",
        "DELETE",
        "/api/v0/instances/{id}/ssh/{key_id}",
        bad_key_status=404,
        threshold=2.0,
    ),
    Route("list_ssh_keys", "GET", "/api/v0/ssh"),
    Route("create_ssh_key", "POST", "/api/v0/ssh", threshold=1.0),
    Route("update_ssh_key", "PUT", "/api/v0/ssh/{id}", bad_key_status=404, threshold=1.0),
    Route("delete_ssh_key", "DELETE", "/api/v0/ssh/{id}", bad_key_status=404),
    Route("current_user", "GET", "/api/v0/users/current"),
)
ROUTES_BY_NAME = {route.name: route for route in ROUTES}


def normalize_path(path: str) -> str:
    """The path without its trailing slash (the root stays "/")."""
    return path.rstrip("/") or "/"


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
