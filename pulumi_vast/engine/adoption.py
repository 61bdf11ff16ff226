"""Reading a dynamic resource that has no provider in its properties yet: an import.

A dynamic resource carries its provider, pickled, in the `__provider` property; the SDK's
servicer unpickles it for every call. The engine's `Read` for a resource adopted with
`import_` has only the id, so the SDK fails (`KeyError: '__provider'`) and dynamic
resources cannot be imported. Packages name the provider class of their dynamic types in
the entry-point group `pulumi.dynamic_providers`, either one type at a time (name: the type
token without its `pulumi-python:` package, e.g. `dynamic/acme:Thing`; value:
`module:Class`) or for every type under a prefix (name ending in `:`, e.g. `dynamic/acme:`;
value: `module:function`, called with the type token, answering the provider class or
None). For such a type the host supplies a freshly pickled provider, so the read and the
import succeed.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from importlib import metadata
from typing import Any

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROVIDER_KEY",
    "preload_providers",
    "provider_class",
    "supply_provider",
    "type_of",
]

ENTRY_POINT_GROUP = "pulumi.dynamic_providers"
PROVIDER_KEY = "__provider"
_PACKAGE = "pulumi-python:"


def type_of(urn: str) -> str:
    """The resource type of a URN (`urn:pulumi:stack::project::parent$type::name`)."""
    parts = urn.split("::")
    qualified = parts[2] if len(parts) >= 4 else ""
    return qualified.split("$")[-1]


def provider_class(type_token: str) -> type | None:
    """The provider class a package registered for a dynamic type token, or None."""
    name = type_token.removeprefix(_PACKAGE)
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            found: type = entry.load()
            return found
        if entry.name.endswith(":") and name.startswith(entry.name):
            lookup = entry.load()
            by_prefix: type | None = lookup(type_token)
            if by_prefix is not None:
                return by_prefix
    return None


def preload_providers() -> threading.Thread:
    """Import every registered provider's module on a background thread.

    The first call would import it anyway (unpickling the provider); started while the
    engine is still talking to the host, the import is mostly done by then.
    """

    def load() -> None:
        for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
            with contextlib.suppress(Exception):  # the call that needs it reports failures
                importlib.import_module(str(entry.value).partition(":")[0])

    thread = threading.Thread(target=load, name="preload-providers", daemon=True)
    thread.start()
    return thread


def supply_provider(request: Any) -> bool:
    """Put a pickled provider into a request's properties when it has none; True if done."""
    properties = getattr(request, "properties", None)
    if properties is None or PROVIDER_KEY in properties.fields:
        return False
    found = provider_class(type_of(getattr(request, "urn", "")))
    if found is None:
        return False
    from pulumi.dynamic.dynamic import serialize_provider

    properties[PROVIDER_KEY] = serialize_provider(found())
    return True
