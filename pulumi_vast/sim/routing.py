"""A Vast route as the simulator serves it: method, path, auth policy and rate limit.

Each object's responses module declares its routes (`responses`); `urls` collects them.
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

__all__ = ["ADMIN_PREFIX", "DEFAULT_THRESHOLD", "Route", "normalize_path"]

ADMIN_PREFIX = "/_sim"
"""Test-only admin routes live under a prefix no Vast route uses."""
DEFAULT_THRESHOLD = 5.0


@dataclass(frozen=True)
class Route:
    name: str
    """Stable id used by faults, request counters and handlers (the coroutine of that name
    in the route's responses module)."""
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


def normalize_path(path: str) -> str:
    """The path without its trailing slash (the root stays "/")."""
    return path.rstrip("/") or "/"
