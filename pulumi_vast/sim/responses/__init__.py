"""The Vast routes: parse the request, call the backend, serialize as the real service does.

One module per Vast object (`offers`, `instances`, `ssh_keys`, `users`, ...), each declaring
its routes in `ROUTES` (`routing.Route`) beside one coroutine per route, named like the
route. A handler receives a `Call` (the caller, path parameters, query, JSON body) and
returns the JSON body of a 200, or raises a `SimError`. Response shapes follow openapi,
except where the official client and NOTES show the real service differs (commented where
it matters).

The modules are found here, not listed: a new object's responses module is served once it
exists. `ROUTES` is every module's routes; `HANDLERS` maps a route's name to its handler.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Awaitable, Callable

from pulumi_vast.sim.responses._call import JSON, Call
from pulumi_vast.sim.routing import Route

__all__ = ["HANDLERS", "JSON", "ROUTES", "Call", "Handler"]

Handler = Callable[[Call], Awaitable[JSON]]


def _collect() -> tuple[tuple[Route, ...], dict[str, Handler]]:
    routes: list[Route] = []
    handlers: dict[str, Handler] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for route in module.ROUTES:
            handler = getattr(module, route.name, None)
            if not inspect.iscoroutinefunction(handler):
                raise TypeError(f"{module.__name__} has no coroutine {route.name} for its route")
            if route.name in handlers:
                raise TypeError(f"two routes are named {route.name}")
            routes.append(route)
            handlers[route.name] = handler
    return tuple(routes), handlers


ROUTES, HANDLERS = _collect()
