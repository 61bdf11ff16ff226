"""What an account keeps of clusters: the physical clusters it registered as a host, and
the overlay networks it made on physical clusters, with their member instances.

Neither bills. A member's overlay address is handed out when it joins and kept until it
leaves (its instance is destroyed) or the overlay is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["HostCluster", "Overlay"]


@dataclass
class HostCluster:
    """A physical cluster an account registered (`POST /cluster/`): machines on one LAN."""

    id: int
    account: str
    """The owner's digest."""
    account_id: int
    subnet: str
    """The LAN's IPv4 network, as registered (``10.0.0.0/24``)."""
    manager_id: int
    nodes: list[dict[str, Any]] = field(default_factory=list)
    """``{"machine_id", "local_ip"}`` per member machine, the manager among them."""
    created_at: float = 0.0
    deleted_at: float | None = None

    @property
    def alive(self) -> bool:
        return self.deleted_at is None

    @property
    def machine_ids(self) -> list[int]:
        return [int(node["machine_id"]) for node in self.nodes]

    def to_json(self) -> dict[str, Any]:
        """As `GET /clusters/` shows it under its id (what the official CLI reads)."""
        return {
            "subnet": self.subnet,
            "nodes": [
                {
                    "machine_id": node["machine_id"],
                    "is_cluster_manager": node["machine_id"] == self.manager_id,
                    "local_ip": node["local_ip"],
                }
                for node in self.nodes
            ],
        }


@dataclass
class Overlay:
    """An overlay network (`POST /overlay/`): a private LAN for an account's instances on
    the machines of one physical cluster."""

    id: int
    account: str
    """The owner's digest."""
    account_id: int
    cluster_id: int
    name: str
    subnet: str
    """Its internal IPv4 network; members get addresses in it."""
    members: list[dict[str, Any]] = field(default_factory=list)
    """``{"instance_id", "address"}`` per member instance (live ones only)."""
    created_at: float = 0.0
    deleted_at: float | None = None

    @property
    def alive(self) -> bool:
        return self.deleted_at is None

    @property
    def instance_ids(self) -> list[int]:
        return [int(member["instance_id"]) for member in self.members]

    def address_of(self, instance_id: int) -> str | None:
        return next(
            (m["address"] for m in self.members if int(m["instance_id"]) == instance_id), None
        )

    def to_json(self) -> dict[str, Any]:
        """As `GET /overlay/` lists it (the fields the official CLI reads)."""
        return {
            "overlay_id": self.id,
            "name": self.name,
            "internal_subnet": self.subnet,
            "cluster_id": self.cluster_id,
            "instances": self.instance_ids,
        }
