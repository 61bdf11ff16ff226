"""Volumes: disk rented from volume offers (`volume_offers`), local or network, mounted by
instances, billed until deleted.

- Search: `POST /api/v0/volumes/search/` (local) and `POST /api/v0/network_volumes/search/`
  take the offer search's body (filters, `order`, `limit`, `allocated_storage`: GB to
  price for); each offer shows the space this account has not rented from it yet.
- Rent: `PUT /api/v0/volumes/` and `PUT /api/v0/network_volumes/` (``{id, size, name}``,
  15 GB by default) answer ``{"success", "volume_name": "V.<id>"}``. Volumes are contracts
  as instances are: they draw their ids from the instances' sequence.
- List: `GET /api/v0/volumes/?type=local_volume|network_volume|all_volume`.
- Delete: `DELETE /api/v0/volumes/` (``?id=`` as the official client sends it, or
  ``{"id"}`` as openapi does), for either kind; refused while a live instance (running or
  stopped) mounts it, as Vast refuses (NOTES).
- Mount: a create with `volume_info` either rents a new volume from a local volume offer on
  the instance's machine (``create_new``), or links one of the account's volumes that its
  machine can reach (local: the same machine; network: the same cluster), at
  `mount_path`. Anything else is refused before anything is rented.

The host side of the official client (`list volume`, `list network-volume`, `unlist ...`,
`POST /network_disk/`) and `clone volume` are not simulated.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pulumi_vast.sim.bodies import VolumeInfoBody
from pulumi_vast.sim.container_paths import mount_folder
from pulumi_vast.sim.errors import BadRequest, NotFound
from pulumi_vast.sim.ledger import LedgerSection
from pulumi_vast.sim.marketplace import Machine, storage_dph
from pulumi_vast.sim.models.market import MarketBackend, search_storage_gb, split_search
from pulumi_vast.sim.querying import filter_offers
from pulumi_vast.sim.records import Account
from pulumi_vast.sim.records.volumes import Volume
from pulumi_vast.sim.volume_offers import VolumeKind, VolumeMarket, VolumeOfferSpec

__all__ = ["DEFAULT_VOLUME_GB", "VOLUME_TYPES", "VolumesBackend"]

DEFAULT_VOLUME_GB = 15.0
"""openapi and the official client: a volume is 15 GB unless told."""
DEFAULT_VOLUME_SEARCH_STORAGE_GB = 1.0
"""The official client prices volume offers for 1 GB unless told."""
VOLUME_TYPES: dict[str, set[VolumeKind]] = {
    "local_volume": {"local"},
    "network_volume": {"network"},
    "all_volume": {"local", "network"},
}
"""`GET /volumes/?type=`: which kinds each lists."""
_DEFAULT_SEARCH_LIMIT = 64


class VolumesBackend(MarketBackend):
    TABLES = ("volumes",)

    volumes: dict[int, Volume]
    """Every volume ever rented (the deleted ones are the ledger's)."""
    volume_market: VolumeMarket

    def _load(self) -> None:
        super()._load()
        self.volume_market = VolumeMarket(self.market)
        self.volumes = {r["id"]: Volume(**r) for r in self.store.load("volumes")}

    def _forget(self) -> None:
        super()._forget()
        self.changes.volumes |= set(self.volumes)
        self.volumes.clear()

    def _volume_users(self, volume_id: int) -> list[dict[str, Any]]:
        """The live instances that mount the volume: ``{"id", "mount_path"}`` each (the
        instances' backend knows)."""
        return []

    def _save_volume(self, volume: Volume) -> None:
        self.store.put("volumes", volume.id, asdict(volume))
        self.changes.volumes.add(volume.id)

    # ---- offers -------------------------------------------------------------------------

    def _rented_from(self, owner: str, offer_id: int) -> float:
        return sum(
            volume.size
            for volume in self.volumes.values()
            if volume.account == owner and volume.offer_id == offer_id and volume.alive
        )

    def volume_space(self, owner: str, offer: VolumeOfferSpec) -> float:
        """GB of the offer the account may still rent."""
        return max(0.0, offer.disk_space - self._rented_from(owner, offer.id))

    def search_volume_offers(
        self, account: Account, body: dict[str, Any], kind: VolumeKind
    ) -> list[dict[str, Any]]:
        """The account's view of the volume offers of `kind`, filtered and ordered."""
        filters, controls = split_search(body)
        storage_gb = search_storage_gb(controls, DEFAULT_VOLUME_SEARCH_STORAGE_GB)
        now = self.now()
        rows = [
            self.volume_market.render(
                offer,
                available=self.volume_space(account.digest, offer),
                storage_gb=storage_gb,
                now=now,
            )
            for offer in self.volume_market
            if offer.kind == kind
        ]
        return filter_offers(
            rows,
            filters,
            controls.get("order"),
            controls.get("limit"),
            default_limit=_DEFAULT_SEARCH_LIMIT,
        )

    # ---- renting ------------------------------------------------------------------------

    def _volume_offer(self, offer_id: int, kind: VolumeKind) -> VolumeOfferSpec:
        offer = self.volume_market.offers.get(offer_id)
        if offer is None or offer.kind != kind:
            what = "volume" if kind == "local" else "network volume"
            raise NotFound(
                f"No {what} offer with id {offer_id}: see the {what} search",
                error="no_such_ask",
            )
        return offer

    def _check_size(self, account: Account, offer: VolumeOfferSpec, size: float) -> None:
        left = self.volume_space(account.digest, offer)
        if size > left:
            raise BadRequest(
                f"Invalid args: {size:g} GB is more than the {left:g} GB volume offer "
                f"{offer.id} has left"
            )

    def create_volume(
        self,
        account: Account,
        offer_id: int,
        *,
        kind: VolumeKind,
        size: float | None,
        name: str | None,
    ) -> Volume:
        """`PUT /api/v0/volumes/` (local) and `PUT /api/v0/network_volumes/`."""
        offer = self._volume_offer(offer_id, kind)
        gigabytes = DEFAULT_VOLUME_GB if size is None else size
        self._check_size(account, offer, gigabytes)
        volume = Volume(
            id=self._take_id("instance"),
            account=account.digest,
            account_id=account.id,
            kind=kind,
            offer_id=offer.id,
            machine_id=offer.machine.id,
            cluster_id=offer.cluster_id,
            size=gigabytes,
            name=name or None,
            storage_dph=storage_dph(offer.storage_cost, gigabytes),
            created_at=self.now(),
        )
        self.volumes[volume.id] = volume
        self._save_volume(volume)
        return volume

    def owned_volumes(self, account: Account, volume_type: str | None) -> list[Volume]:
        kinds = VOLUME_TYPES.get(volume_type or "all_volume")
        if kinds is None:
            valid = ", ".join(VOLUME_TYPES)
            raise BadRequest(f"Invalid args: type must be one of {valid}")
        return sorted(
            (
                v
                for v in self.volumes.values()
                if v.account == account.digest and v.alive and v.kind in kinds
            ),
            key=lambda v: v.id,
        )

    def volume_json(self, volume: Volume) -> dict[str, Any]:
        return self.volume_market.volume_row(
            self.volume_market.offers[volume.offer_id],
            volume_id=volume.id,
            size=volume.size,
            name=volume.name,
            created_at=volume.created_at,
            users=self._volume_users(volume.id),
        )

    def delete_volume(self, account: Account, volume_id: int) -> Volume:
        volume = self._own_volume(account, volume_id)
        users = self._volume_users(volume_id)
        if users:
            ids = ", ".join(str(user["id"]) for user in users)
            raise BadRequest(
                f"Invalid args: volume {volume_id} is in use by instance(s) {ids}: "
                "destroy them before deleting it"
            )
        volume.deleted_at = self.now()
        self._save_volume(volume)
        return volume

    def _own_volume(self, account: Account, volume_id: int) -> Volume:
        volume = self.volumes.get(volume_id)
        if volume is None or volume.account != account.digest or not volume.alive:
            raise NotFound("Volume with that ID does not exist.", error="no_such_volume")
        return volume

    # ---- mounting at create -------------------------------------------------------------

    def plan_mount(self, account: Account, machine: Machine, info: VolumeInfoBody) -> str:
        """Check a create's `volume_info` against the instance's machine before anything is
        rented; the folder the mount takes in the instance (see `container_paths`)."""
        folder = mount_folder(info.mount_path)
        if folder is None:
            raise BadRequest(
                f"Invalid args: volume_info.mount_path {info.mount_path!r:.80} must be an "
                "absolute path below / (not /, /root or /workspace themselves)"
            )
        if info.create_new:
            offer = self._volume_offer(info.volume_id, "local")
            if not offer.serves(machine):
                raise BadRequest(
                    f"Invalid args: volume offer {offer.id} is on machine {offer.machine.id}, "
                    f"the instance's offer on machine {machine.id}"
                )
            self._check_size(account, offer, info.size or DEFAULT_VOLUME_GB)
        else:
            volume = self._own_volume(account, info.volume_id)
            if not self.volume_market.offers[volume.offer_id].serves(machine):
                where = (
                    f"machine {volume.machine_id}"
                    if volume.kind == "local"
                    else f"cluster {volume.cluster_id}"
                )
                raise BadRequest(
                    f"Invalid args: volume {volume.id} is on {where}, which the instance's "
                    f"machine {machine.id} cannot reach"
                )
        return folder

    def mount_volume(self, account: Account, info: VolumeInfoBody) -> Volume:
        """The volume a checked `volume_info` names, rented first if it is new."""
        if info.create_new:
            return self.create_volume(
                account, info.volume_id, kind="local", size=info.size, name=info.name
            )
        return self._own_volume(account, info.volume_id)

    # ---- billing ------------------------------------------------------------------------

    def _ledger_sections(self, owner: str | None, now: float) -> list[LedgerSection]:
        volumes = sorted(
            (v for v in self.volumes.values() if owner is None or v.account == owner),
            key=lambda v: v.id,
        )
        entries = [
            v.ledger_entry(now, [user["id"] for user in self._volume_users(v.id)]) for v in volumes
        ]
        counts = {"volumes": len(entries), "volumes_alive": sum(1 for v in volumes if v.alive)}
        return [*super()._ledger_sections(owner, now), LedgerSection("volumes", entries, counts)]
