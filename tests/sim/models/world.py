"""A backend on a fake clock for the model tests (the `world` fixture is in conftest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulumi_vast.sim.bodies import CreateInstanceBody
from pulumi_vast.sim.faults import FaultBook
from pulumi_vast.sim.hosting import plan_ports
from pulumi_vast.sim.marketplace import OfferSpec
from pulumi_vast.sim.models import SimBackend
from pulumi_vast.sim.store import Store

__all__ = ["BOOT", "OTHER_KEY", "PUBLIC_KEY", "World"]

BOOT = 60.0
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RyZWFsbHlub3RhcmVhbGtleWF0YWxsMTIz test"
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNvbWVvdGhlcmtleXRoYXRpc25vdHJlYWxhdGFsbA other"


class World:
    """A backend on a fake wall clock, with ports handed out from a counter."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.wall = 1_800_000_000.0
        self.faults = FaultBook()
        self._port = 40_000
        self.backend = self.open()

    def open(self) -> SimBackend:
        return SimBackend(
            Store(self.data_dir),
            data_dir=self.data_dir,
            seed=0,
            default_boot_delay=BOOT,
            wall=lambda: self.wall,
            faults=self.faults,
            allocate_port=self._next_port,
        )

    def _next_port(self, used: set[int]) -> int:
        self._port += 1
        return self._port

    def pass_time(self, seconds: float) -> list[int]:
        """Let time pass; boots that end do so at once (as hosting does once SSH listens)."""
        self.wall += seconds
        changed = sorted(self.backend.tick().instances)
        for instance_id in self.backend.due_boots():
            assert self.backend.finish_boot(instance_id, self.ports(instance_id))
            changed.append(instance_id)
        return list(dict.fromkeys(changed))

    def ports(self, instance_id: int) -> dict[str, int]:
        """The ports hosting would give the instance."""
        instance = self.backend.instances[instance_id]
        return plan_ports(
            instance, in_use=self.backend.used_ports(), allocate=self.backend.allocate_port
        )

    def create(self, key: str = "alice", offer: OfferSpec | None = None, **body: Any) -> int:
        offer = offer or self.cheapest(key)
        account = self.backend.account(key)
        request = CreateInstanceBody.model_validate(
            {"image": "pytorch/pytorch", "disk": 20, **body}
        )
        return self.backend.create_instance(account, offer.id, request).id

    def cheapest(self, key: str = "alice", num_gpus: int = 1) -> OfferSpec:
        offers = [
            o
            for o in self.backend.market
            if o.num_gpus == num_gpus and self.backend.offer_available(self.owner(key), o)
        ]
        return min(offers, key=lambda o: o.dph_base)

    def owner(self, key: str = "alice") -> str:
        """How the backend (and its faults) know the account of `key`."""
        return self.backend.digest(key)

    def visible_ids(self, key: str = "alice", **filters: Any) -> set[int]:
        rows = self.backend.search_offers(self.backend.account(key), {"limit": 1000, **filters})
        return {row["id"] for row in rows}

    def json(self, instance_id: int) -> dict[str, Any]:
        return self.backend.instance_json(self.backend.instances[instance_id])
