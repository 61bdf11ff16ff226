"""Overlay network names, and the physical cluster an overlay of the account spans."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["MAX_NETWORK_LENGTH", "NetworkName", "is_network_name", "network_name_for"]

MAX_NETWORK_LENGTH = 64
"""The longest overlay name (`OVERLAY_NAME`)."""


def is_network_name(value: object) -> bool:
    from pulumi_vast.api.instances import OVERLAY_NAME  # a program loads the client late

    return isinstance(value, str) and OVERLAY_NAME.match(value) is not None


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
    found = client.overlays.find(name)
    return None if found is None else int(found.cluster_id)
