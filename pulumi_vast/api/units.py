"""Vast's units, named once: what the API counts in, and what a query is written in.

The API reports memory in MiB under the name "MB" (a 24 GB card has ``gpu_ram: 24576``),
while the query language multiplies by 1000 (``gpu_ram>=24`` is sent as ``24000``): a
threshold convenience of the official client, not a unit conversion. Sizes shown to a
person are therefore MiB / 1024, i.e. GiB.
"""

from __future__ import annotations

from typing import overload

__all__ = ["MIB_PER_GIB", "QUERY_MB_PER_GB", "SECONDS_PER_DAY", "gib"]

MIB_PER_GIB = 1024
"""The API's memory sizes (``gpu_ram``, ``cpu_ram``) are MiB; this many make a GiB."""
QUERY_MB_PER_GB = 1000.0
"""The official query multiplier for ``gpu_ram``, ``cpu_ram``, ``gpu_total_ram``."""
SECONDS_PER_DAY = 24.0 * 60.0 * 60.0
"""The official query multiplier for ``duration`` (written in days, sent in seconds)."""


@overload
def gib(mib: float) -> float: ...
@overload
def gib(mib: None) -> None: ...
def gib(mib: float | None) -> float | None:
    """A memory size the API states in MiB, in GiB (None stays None)."""
    return None if mib is None else mib / MIB_PER_GIB
