"""Overlay network names, and the physical cluster an overlay of the account spans."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["MAX_NETWORK_LENGTH", "NetworkName", "is_network_name", "network_name_for"]

_NETWORK = re.compile(r"^[a-z0-9-]+\Z")
MAX_NETWORK_LENGTH = 63
"""The longest overlay name this package makes or accepts (Vast documents none)."""


def is_network_name(value: object) -> bool:
    return isinstance(value, str) and _NETWORK.match(value) is not None


def _network_name(text: str) -> str:
    if not is_network_name(text):
        raise ValueError(
            f"{text!r} is not an overlay network name: lower-case letters, digits and '-', "
            "e.g. 'trainers'"
        )
    return text


NetworkName = Annotated[
    str, Field(min_length=1, max_length=MAX_NETWORK_LENGTH), AfterValidator(_network_name)
]


def network_name_for(text: str) -> str:
    """An overlay name made from a resource's name or label (``project/stack/name``)."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return name[:MAX_NETWORK_LENGTH].strip("-") or "overlay"


def overlay_cluster(client: VastClient, name: str) -> int | None:
    """The physical cluster of the account's overlay ``name``; None if it has none."""
    found = next((o for o in client.overlays.list() if o.name == name), None)
    return None if found is None else int(found.cluster_id)
