"""What renting an offer will cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["HOURS_PER_MONTH", "CostEstimate", "estimate"]

HOURS_PER_MONTH = 30 * 24
"""Vast prices storage per GB-month and bills it per hour over a 30-day month."""


@dataclass(frozen=True)
class CostEstimate:
    compute_per_hour: float
    storage_per_hour: float
    hours: float

    @property
    def per_hour(self) -> float:
        return self.compute_per_hour + self.storage_per_hour

    @property
    def total(self) -> float:
        return self.per_hour * self.hours

    @property
    def per_day(self) -> float:
        return self.per_hour * 24

    def summary(self) -> str:
        text = f"${self.per_hour:.3f}/h (${self.per_day:.2f}/day"
        if self.hours and self.hours != 24:
            text += f", ${self.total:.2f} for {round(self.hours, 1):g} h"
        return text + ")"


def estimate(offer: Mapping[str, Any], *, disk_gb: float, hours: float = 24.0) -> CostEstimate:
    """Cost of running ``offer`` with ``disk_gb`` of disk for ``hours``.

    Uses the offer's ``dph_base`` (GPU, CPU, RAM) plus its ``storage_cost`` ($/GB/month)
    for the disk, so it does not depend on the storage size the search was priced for.
    Offers without ``dph_base`` fall back to ``dph_total``.
    """
    storage = float(offer.get("storage_cost") or 0) * disk_gb / HOURS_PER_MONTH
    base = offer.get("dph_base")
    compute = float(base) if base is not None else float(offer.get("dph_total") or 0) - storage
    return CostEstimate(compute_per_hour=max(compute, 0.0), storage_per_hour=storage, hours=hours)
