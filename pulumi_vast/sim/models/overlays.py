"""Overlay networks: a private LAN for an account's instances on one physical cluster
(NOTES; the official client's `vastai.api.clusters`).

- `GET /api/v0/overlay/` -> a list of ``{"overlay_id", "name", "internal_subnet",
  "cluster_id", "instances"}``, the account's overlays and their member instances;
- `POST /api/v0/overlay/` ``{cluster_id, name}`` makes one on a physical cluster (seeded or
  registered, `models.clusters`); names are an account's own, one live overlay per name,
  spelled as the official client lets ``-n NAME`` through (lower-case letters, digits, -);
- `PUT /api/v0/overlay/` ``{name, instance_id}`` joins a live instance to it;
- `DELETE /api/v0/overlay/` ``{overlay_id}`` or ``{overlay_name}`` deletes it and destroys
  its instances, as Vast does (NOTES): their billing stops there.

An instance also joins at create, with ``-n NAME`` in its env (`models.instances`). Either
way its machine must be in the overlay's cluster, and it is on one overlay at most. Each
member gets an address of the overlay's subnet, distinct from the other members', which its
container shows as `eth0` (`net_tools`); the overlay's subnet is ``10.<id / 256>.<id %
256>.0/24``. An instance row shows its machine's `cluster_id` but no overlay field (none is
known of the real API): its `extra_env` keeps ``-n NAME`` when it joined at create, and
`GET /overlay/` lists the members.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict
from typing import ClassVar

from pulumi_vast.sim.errors import BadRequest, NotFound
from pulumi_vast.sim.models.clusters import ClustersBackend
from pulumi_vast.sim.records import Account
from pulumi_vast.sim.records.clusters import Overlay

__all__ = ["OVERLAY_NAME", "OverlaysBackend"]

OVERLAY_NAME = re.compile(r"^[a-z0-9-]{1,64}\Z")
"""What the official client passes through ``-n NAME`` (it drops any other name)."""
_FIRST_MEMBER_HOST = 2
"""Members' addresses start at .2 (.1 is the overlay's gateway, as on a Docker network)."""


class OverlaysBackend(ClustersBackend):
    TABLES = ("overlays",)
    COUNTERS: ClassVar[dict[str, int]] = {"overlay": 1}

    overlays: dict[int, Overlay]
    """Every overlay ever made (the deleted ones too)."""

    def _load(self) -> None:
        super()._load()
        self.overlays = {r["id"]: Overlay(**r) for r in self.store.load("overlays")}

    def _forget(self) -> None:
        super()._forget()
        self.overlays.clear()

    def _overlays_on(self, cluster_id: int) -> list[str]:
        return [o.name for o in self.overlays.values() if o.alive and o.cluster_id == cluster_id]

    def _member_machine(self, account: Account, instance_id: int) -> int:
        """The machine of one of the account's live instances (the instances' backend
        knows; it raises `NotFound` for any other id)."""
        raise NotFound("Instance not found", error="no_such_instance")

    def _end_members(self, account: Account, instance_ids: list[int]) -> None:
        """Destroy an overlay's instances (the instances' backend does)."""

    def _save_overlay(self, overlay: Overlay) -> None:
        self.store.put("overlays", overlay.id, asdict(overlay))

    # ---- reading ------------------------------------------------------------------------

    def own_overlays(self, account: Account) -> list[Overlay]:
        return sorted(
            (o for o in self.overlays.values() if o.alive and o.account == account.digest),
            key=lambda o: o.id,
        )

    def overlay_of(self, instance_id: int) -> Overlay | None:
        """The live overlay an instance is on, if any."""
        return next(
            (o for o in self.overlays.values() if o.alive and instance_id in o.instance_ids),
            None,
        )

    def overlay_address(self, instance_id: int) -> ipaddress.IPv4Interface | None:
        """The instance's address on its overlay, with the overlay's prefix."""
        overlay = self.overlay_of(instance_id)
        address = overlay.address_of(instance_id) if overlay is not None else None
        if overlay is None or address is None:
            return None
        prefix = ipaddress.ip_network(overlay.subnet).prefixlen
        return ipaddress.IPv4Interface(f"{address}/{prefix}")

    # ---- making, joining, deleting -------------------------------------------------------

    def create_overlay(self, account: Account, cluster_id: int, name: str) -> Overlay:
        if not OVERLAY_NAME.match(name):
            raise BadRequest(
                f"Invalid args: overlay name {name!r:.80} must be 1 to 64 lower-case letters, "
                "digits and - (the official client drops any other name from `-n NAME`)"
            )
        if not self.cluster_exists(cluster_id):
            raise NotFound(f"Cluster {cluster_id} not found", error="no_such_cluster")
        if self._named(account, name) is not None:
            raise BadRequest(f"Invalid args: you already have an overlay named {name!r}")
        overlay_id = self._take_id("overlay")
        overlay = Overlay(
            id=overlay_id,
            account=account.digest,
            account_id=account.id,
            cluster_id=cluster_id,
            name=name,
            subnet=f"10.{(overlay_id >> 8) & 0xFF}.{overlay_id & 0xFF}.0/24",
            created_at=self.now(),
        )
        self.overlays[overlay.id] = overlay
        self._save_overlay(overlay)
        return overlay

    def overlay_for_rent(
        self, account: Account, names: list[str], machine_id: int
    ) -> Overlay | None:
        """The overlay a create's ``-n NAME`` joins, checked against the offer's machine
        before anything is rented (None without ``-n``)."""
        if not names:
            return None
        if len(names) > 1:
            raise BadRequest(
                f"Invalid args: an instance joins one overlay, the env names {len(names)} "
                f"({', '.join(names)})"
            )
        overlay = self._require_named(account, names[0])
        self._check_placement(overlay, machine_id, "the offer")
        return overlay

    def join_overlay(self, account: Account, name: str, instance_id: int) -> Overlay:
        overlay = self._require_named(account, name)
        machine_id = self._member_machine(account, instance_id)
        current = self.overlay_of(instance_id)
        if current is overlay:
            return overlay
        if current is not None:
            raise BadRequest(
                f"Invalid args: instance {instance_id} is already on overlay {current.name!r}"
            )
        self._check_placement(overlay, machine_id, f"instance {instance_id}")
        self.add_member(overlay, instance_id)
        return overlay

    def add_member(self, overlay: Overlay, instance_id: int) -> None:
        taken = {member["address"] for member in overlay.members}
        hosts = list(ipaddress.ip_network(overlay.subnet).hosts())[_FIRST_MEMBER_HOST - 1 :]
        address = next((str(a) for a in hosts if str(a) not in taken), None)
        if address is None:
            raise BadRequest(f"Invalid args: overlay {overlay.name!r} has no address left")
        overlay.members.append({"instance_id": instance_id, "address": address})
        self._save_overlay(overlay)
        self.changes.instances.add(instance_id)

    def leave_overlay(self, instance_id: int) -> None:
        """A destroyed instance leaves its overlay (its address is free again)."""
        overlay = self.overlay_of(instance_id)
        if overlay is not None:
            overlay.members = [m for m in overlay.members if m["instance_id"] != instance_id]
            self._save_overlay(overlay)

    def delete_overlay(
        self, account: Account, *, overlay_id: int | None = None, name: str | None = None
    ) -> tuple[Overlay, list[int]]:
        """Delete an overlay and destroy its instances; it and the ids destroyed."""
        if overlay_id is not None:
            overlay = self.overlays.get(overlay_id)
            if overlay is None or not overlay.alive or overlay.account != account.digest:
                raise NotFound(f"Overlay {overlay_id} not found", error="no_such_overlay")
        elif name is not None:
            overlay = self._require_named(account, name)
        else:
            raise BadRequest("Invalid args: send overlay_id or overlay_name")
        members = overlay.instance_ids
        self._end_members(account, members)
        overlay.deleted_at = self.now()
        overlay.members = []
        self._save_overlay(overlay)
        return overlay, members

    def _named(self, account: Account, name: str) -> Overlay | None:
        return next((o for o in self.own_overlays(account) if o.name == name), None)

    def _require_named(self, account: Account, name: str) -> Overlay:
        overlay = self._named(account, name)
        if overlay is None:
            raise NotFound(f"Overlay {name!r} not found", error="no_such_overlay")
        return overlay

    def _check_placement(self, overlay: Overlay, machine_id: int, what: str) -> None:
        cluster_id = self.cluster_of(machine_id)
        if cluster_id != overlay.cluster_id:
            where = f"cluster {cluster_id}" if cluster_id is not None else "no cluster"
            raise BadRequest(
                f"Invalid args: {what} is on machine {machine_id} ({where}), but overlay "
                f"{overlay.name!r} is on cluster {overlay.cluster_id}: rent from offers with "
                f"cluster_id={overlay.cluster_id}"
            )
