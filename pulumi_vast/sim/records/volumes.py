"""A rented volume (local or network) and what it bills.

**Billing.** A volume bills its size at its offer's price per GB-month (`storage_dph`),
from its creation until it is deleted, whether an instance mounts it or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_vast.sim.volume_offers import VolumeKind

__all__ = ["Volume"]


@dataclass
class Volume:
    id: int
    account: str
    """The owner's digest."""
    account_id: int
    kind: VolumeKind
    offer_id: int
    machine_id: int
    """The machine it is on (a network volume: its disk's first machine)."""
    cluster_id: int | None
    size: float
    """GB."""
    name: str | None
    storage_dph: float
    """$/h: its size at its offer's $/GB/month."""
    created_at: float
    deleted_at: float | None = None

    @property
    def alive(self) -> bool:
        return self.deleted_at is None

    def cost(self, now: float) -> float:
        end = now if self.deleted_at is None else min(self.deleted_at, now)
        return self.storage_dph * max(0.0, end - self.created_at) / 3600

    def dph_now(self) -> float:
        return self.storage_dph if self.alive else 0.0

    def ledger_entry(self, now: float, users: list[int]) -> dict[str, Any]:
        cost = self.cost(now)
        return {
            "id": self.id,
            "account_id": self.account_id,
            "label": self.name,
            "type": f"{self.kind}_volume",
            "offer_id": self.offer_id,
            "machine_id": self.machine_id,
            "cluster_id": self.cluster_id,
            "size": self.size,
            "status": "deleted" if not self.alive else "in_use" if users else "available",
            "instances": users,
            "storage_dph": self.storage_dph,
            "created_at": self.created_at,
            "deleted_at": self.deleted_at,
            "storage_cost": cost,
            "total_cost": cost,
            "dph_now": self.dph_now(),
        }
