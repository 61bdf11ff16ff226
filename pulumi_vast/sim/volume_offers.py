"""The seeded volume market: disk space for rent as volumes, on the GPU market's machines.

**Local volumes.** Every machine lists one volume offer: half its disk (what a Vast host's
`list machine` offers by default), at the machine's storage price ($/GB/month). A volume
rented from it lives on that machine; only an instance on the same machine can mount it.

**Network volumes.** Every physical cluster (the machines with a `cluster_id`) lists one
network volume offer: a network disk of its own size and price, with the bandwidth fields
the official CLI's `search network-volumes` shows. Any instance on a machine of that
cluster can mount a volume rented from it. (Guessed from the official client, which shows
a cluster id on network volume offers and on volumes; openapi does not describe them.)

Offers come from their own random stream of the seed, so adding them changed no GPU offer;
those of the seeded physical clusters (`marketplace.CLUSTER_FLEET`) from another, so adding
the clusters changed no volume offer of the fleet.
An offer shows the space the account has not rented from it yet, priced for the search's
`allocated_storage` (`storage_total_cost`); rented volumes show as `GET /volumes/` lists
them. Field types follow openapi's `VolumeOffer` and `Volume` schemas.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pulumi_vast.sim.marketplace import Machine, Market, storage_dph
from pulumi_vast.sim.records import LOOPBACK

__all__ = ["VolumeKind", "VolumeMarket", "VolumeOfferSpec"]

VolumeKind = Literal["local", "network"]
_LOCAL_IDS = range(10_000_000, 12_000_000)
_NETWORK_IDS = range(12_000_000, 13_000_000)
_NETWORK_DISK_GB = (2000.0, 4000.0, 8000.0, 16000.0)


def _fresh_ids(rng: random.Random, ids: range, count: int, taken: set[int]) -> list[int]:
    """`count` ids drawn from `ids`, none of them `taken` (no extra draw when none is)."""
    drawn = rng.sample(ids, count)
    for index, value in enumerate(drawn):
        while value in taken or value in drawn[:index]:
            value = rng.choice(ids)
        drawn[index] = value
    return drawn


@dataclass(frozen=True)
class VolumeOfferSpec:
    id: int
    kind: VolumeKind
    machine: Machine
    """The machine it is on (a network disk: the first machine of its cluster)."""
    disk_space: float
    """GB it offers in all."""
    storage_cost: float
    """$/GB/month."""
    bandwidth: tuple[float, float, float] | None = None
    """A network disk's (min, avg, max) MiB/s."""

    @property
    def cluster_id(self) -> int | None:
        return self.machine.cluster_id

    def serves(self, machine: Machine) -> bool:
        """Whether an instance on `machine` can mount a volume rented from this offer."""
        if self.kind == "local":
            return machine.id == self.machine.id
        return machine.cluster_id is not None and machine.cluster_id == self.cluster_id


class VolumeMarket:
    """The volume offers of one seed's market."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self.offers: dict[int, VolumeOfferSpec] = {}
        in_clusters = {mid for cluster in market.clusters.values() for mid in cluster.machine_ids}
        fleet = [m for m in market.machines.values() if m.id not in in_clusters]
        self._list(random.Random(f"volumes-{market.seed}"), fleet)
        clustered = [m for m in market.machines.values() if m.id in in_clusters]
        self._list(random.Random(f"cluster-volumes-{market.seed}"), clustered)

    def _list(self, rng: random.Random, machines: list[Machine]) -> None:
        taken = set(self.offers)
        local_ids = _fresh_ids(rng, _LOCAL_IDS, len(machines), taken)
        for offer_id, machine in zip(local_ids, machines, strict=True):
            self.offers[offer_id] = VolumeOfferSpec(
                id=offer_id,
                kind="local",
                machine=machine,
                disk_space=round(machine.disk_space / 2, 1),
                storage_cost=machine.storage_cost,
            )
        clusters: dict[int, Machine] = {}
        for machine in machines:
            if machine.cluster_id is not None:
                clusters.setdefault(machine.cluster_id, machine)
        network_ids = _fresh_ids(rng, _NETWORK_IDS, len(clusters), taken)
        for offer_id, machine in zip(network_ids, clusters.values(), strict=True):
            low = round(rng.uniform(300, 900), 1)
            high = round(rng.uniform(1500, 4000), 1)
            self.offers[offer_id] = VolumeOfferSpec(
                id=offer_id,
                kind="network",
                machine=machine,
                disk_space=rng.choice(_NETWORK_DISK_GB),
                storage_cost=round(rng.uniform(0.08, 0.2), 3),
                bandwidth=(low, round((low + high) / 2, 1), high),
            )

    def __iter__(self) -> Iterator[VolumeOfferSpec]:
        return iter(self.offers.values())

    def render(
        self, offer: VolumeOfferSpec, *, available: float, storage_gb: float, now: float
    ) -> dict[str, Any]:
        """The offer as a volume search returns it, with `available` GB left."""
        machine = offer.machine
        end_date = self.market.epoch + machine.max_days * 86_400
        row: dict[str, Any] = {
            "id": offer.id,
            "ask_contract_id": offer.id,
            "bundle_id": offer.id * 3 + 5,
            "resource_type": "volume" if offer.kind == "local" else "network_volume",
            "cluster_id": offer.cluster_id,
            "disk_space": round(available, 1),
            "storage_cost": offer.storage_cost,
            "storage_total_cost": storage_dph(offer.storage_cost, storage_gb),
            "duration": max(0.0, end_date - now),
            "end_date": end_date,
            "start_date": self.market.epoch,
            "external": False,
            "rentable": True,
            **_place(machine),
            "score": round(machine.reliability * 100 / max(offer.storage_cost, 0.01), 4),
        }
        if offer.kind == "local":
            row.update(_machine_fields(machine))
        else:
            low, avg, high = offer.bandwidth or (0.0, 0.0, 0.0)
            row.update({"nw_disk_min_bw": low, "nw_disk_avg_bw": avg, "nw_disk_max_bw": high})
        return row

    def volume_row(
        self,
        offer: VolumeOfferSpec,
        *,
        volume_id: int,
        size: float,
        name: str | None,
        created_at: float,
        users: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """A rented volume as `GET /api/v0/volumes/` lists it (`users`: the live instances
        that mount it)."""
        machine = offer.machine
        row: dict[str, Any] = {
            "id": volume_id,
            "type": "local_volume" if offer.kind == "local" else "network_volume",
            "label": name,
            "status": "in_use" if users else "available",
            "disk_space": size,
            "cluster_id": offer.cluster_id,
            "storage_total_cost": storage_dph(offer.storage_cost, size),
            "start_date": created_at,
            "instances": users,
            **_place(machine),
        }
        if offer.kind == "local":
            row.update(_machine_fields(machine))
        return row


def _place(machine: Machine) -> dict[str, Any]:
    """Where the machine is and how it is rated: a volume offer shows it either kind."""
    verified = machine.verification == "verified"
    return {
        "host_id": machine.host_id,
        "geolocation": f"{machine.region}, {machine.country}",
        "geolocode": str(sum(ord(c) for c in machine.country) * 1000),
        "inet_up": machine.inet_up,
        "inet_down": machine.inet_down,
        "reliability": machine.reliability,
        "reliability2": machine.reliability,
        "reliability_mult": round(machine.reliability**2, 4),
        "verification": machine.verification,
        "verified": verified,
        "vericode": "1" if verified else "0",
        "datacenter": machine.hosting_type == 1,
    }


def _machine_fields(machine: Machine) -> dict[str, Any]:
    """What a local volume shows of the machine it is on."""
    return {
        "machine_id": machine.id,
        "cpu_arch": "amd64",
        "cpu_ghz": machine.cpu_ghz,
        "cpu_name": machine.cpu_name,
        "cuda_max_good": machine.cuda_max_good,
        "cuda_vers": machine.cuda_max_good,
        "disk_bw": machine.disk_bw,
        "disk_name": machine.disk_name,
        "driver_version": machine.driver_version,
        "driver_vers": machine.driver_version,
        "gpu_arch": "nvidia",
        "has_avx": 1,
        "mobo_name": machine.mobo_name,
        "os_version": "22.04",
        "ubuntu_version": "22.04",
        "pci_gen": machine.pci_gen,
        "pcie_bw": machine.pcie_bw,
        "public_ipaddr": LOOPBACK,
        "static_ip": machine.static_ip,
        "total_flops": round(machine.gpu.tflops * machine.num_gpus, 3),
        "vms_enabled": False,
    }
