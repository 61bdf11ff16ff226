"""The seeded marketplace: machines of real GPU models, and the offers (asks) they list.

The fleet's shape is fixed (which GPU models, how many machines, how many GPUs each); the
seed varies everything a host chooses or a benchmark measures: prices within the model's
tier, reliability, location, network, CPU, disk, driver. Every machine lists one offer per
bundle size (1, 2, 4, 8 GPUs up to its count); offers of one machine share its GPUs, so
renting a 4-GPU bundle of an 8-GPU machine hides its 8-GPU bundle until it is released.

Prices follow the seeds' "Pricing Tiers" (per GPU per hour). Storage is priced per GB per
month and charged by the hour: `storage_dph`.

**Physical clusters.** Beside the fleet, each copy of the market lists `CLUSTER_FLEET`:
groups of machines of one host on one LAN, sharing a `cluster_id` that their offers carry
(search them with ``cluster_id=N``, or ``cluster_id!=None`` for all). Their machines are
verified and reliable, and a cluster's machines share one price, as one host lists them.
They come from a random stream of their own, so adding them changed no fleet machine or
offer. (Each SXM machine of the fleet is a cluster of its own, as before.)
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

__all__ = [
    "CLUSTER_FLEET",
    "FLEET",
    "GPU_MODELS",
    "HOURS_PER_MONTH",
    "OFFER_SIZES",
    "GpuModel",
    "Machine",
    "Market",
    "OfferSpec",
    "OfferType",
    "SeededCluster",
    "normalize_offer_type",
    "storage_dph",
]

HOURS_PER_MONTH = 30 * 24
"""Vast prices storage per GB per month of 30 days."""

OFFER_SIZES = (1, 2, 4, 8)
OfferType = Literal["on-demand", "bid", "reserved"]
_OFFER_TYPE_ALIASES: dict[str, OfferType] = {
    "on-demand": "on-demand",
    "ondemand": "on-demand",
    "bid": "bid",
    "interruptible": "bid",
    "reserved": "reserved",
}


def normalize_offer_type(value: object) -> OfferType | None:
    """The search `type` as the official client and openapi spell it, or None if unknown."""
    return _OFFER_TYPE_ALIASES.get(str(value).lower()) if value is not None else "on-demand"


def storage_dph(storage_cost_per_gb_month: float, gigabytes: float) -> float:
    """Hourly price of `gigabytes` of disk at a $/GB/month rate."""
    return storage_cost_per_gb_month * gigabytes / HOURS_PER_MONTH


@dataclass(frozen=True)
class GpuModel:
    name: str
    vram_mb: int
    dlperf: float
    """Vast's DLPerf score of one GPU."""
    tflops: float
    compute_cap: int
    mem_bw: float
    max_power: int
    price_per_gpu: tuple[float, float]
    """Typical on-demand $/h per GPU (low, high)."""
    datacenter: bool
    nvlink: float


GPU_MODELS: tuple[GpuModel, ...] = (
    GpuModel("RTX 3060", 12288, 9.6, 12.7, 860, 360.0, 170, (0.04, 0.10), False, 0.0),
    GpuModel("RTX 3090", 24576, 21.5, 35.6, 860, 936.2, 350, (0.15, 0.30), False, 0.0),
    GpuModel("RTX 4090", 24564, 38.4, 82.6, 890, 1008.0, 450, (0.30, 0.50), False, 0.0),
    GpuModel("RTX A5000", 24564, 19.8, 27.8, 860, 768.0, 230, (0.25, 0.45), False, 0.0),
    GpuModel("RTX A6000", 49140, 27.9, 38.7, 860, 768.0, 300, (0.50, 0.80), True, 0.0),
    GpuModel("L40S", 46068, 44.6, 91.6, 890, 864.0, 350, (0.60, 0.95), True, 0.0),
    GpuModel("A100 PCIE", 40960, 41.2, 19.5, 800, 1555.0, 250, (0.80, 1.50), True, 0.0),
    GpuModel("A100 SXM4", 81920, 52.3, 19.5, 800, 2039.0, 400, (1.20, 2.00), True, 600.0),
    GpuModel("H100 SXM", 81559, 110.5, 66.9, 900, 3352.0, 700, (1.60, 2.80), True, 900.0),
)
_MODELS_BY_NAME = {model.name: model for model in GPU_MODELS}

FLEET: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("RTX 3060", (1, 2, 4)),
    ("RTX 3090", (1, 2, 4, 8)),
    ("RTX 4090", (1, 2, 4, 8)),
    ("RTX A5000", (2, 4)),
    ("RTX A6000", (1, 4)),
    ("L40S", (2, 8)),
    ("A100 PCIE", (1, 4)),
    ("A100 SXM4", (2, 8)),
    ("H100 SXM", (1, 8)),
)
"""GPU counts of the machines listing each model."""

CLUSTER_FLEET: tuple[tuple[str, int, int], ...] = (
    ("RTX 4090", 2, 4),
    ("H100 SXM", 8, 3),
    ("RTX 4090", 2, 2),
)
"""The physical clusters of each copy of the market: (GPU model, GPUs per machine,
machines). Two clusters of one model, one of them too small for some gangs, so that a
placement can fall back to the next cluster or find none big enough."""
_FIRST_CLUSTER_ID = 200
"""Seeded cluster ids: 200 + 10 x copy + n (the fleet's SXM machines are 700 and up)."""
_CLUSTER_MACHINE_IDS = 900_000
_CLUSTER_OFFER_IDS = 3_000_000
_CLUSTER_HOSTS = 90_000

_LOCATIONS = (
    ("California", "US"),
    ("Texas", "US"),
    ("Virginia", "US"),
    ("Quebec", "CA"),
    ("Sweden", "SE"),
    ("Norway", "NO"),
    ("Germany", "DE"),
    ("Netherlands", "NL"),
    ("Poland", "PL"),
    ("Czechia", "CZ"),
    ("Taiwan", "TW"),
    ("Japan", "JP"),
    ("Vietnam", "VN"),
    ("Australia", "AU"),
)
_DRIVERS = (
    ("520.61.05", 11.8),
    ("525.147.05", 12.0),
    ("535.183.01", 12.2),
    ("550.127.05", 12.4),
    ("560.35.03", 12.6),
    ("570.124.04", 12.8),
)
_CPUS = (
    ("AMD EPYC 7742 64-Core Processor", 2.25),
    ("AMD EPYC 7B13 64-Core Processor", 2.45),
    ("AMD Ryzen 9 5950X 16-Core Processor", 3.4),
    ("Intel Xeon Gold 6338 CPU", 2.0),
    ("Intel Core i9-13900K", 3.0),
    ("AMD EPYC 9654 96-Core Processor", 2.4),
)
_MOBOS = ("ROME2D32GM-2T", "H12SSL-i", "X570 AORUS MASTER", "Z790 Gaming", "MZ73-LM0", "S8030GM2NE")
_DISKS = (
    "Samsung SSD 980 PRO 2TB",
    "WD_BLACK SN850X 4TB",
    "Micron 7450 7.68TB",
    "KIOXIA CM6 3.84TB",
)
_LOW_RELIABILITY_EVERY = 7
"""Every 7th machine is a flaky one (reliability below 0.9), whatever the seed."""
_UNVERIFIED_EVERY = 11


@dataclass(frozen=True)
class Machine:
    id: int
    host_id: int
    gpu: GpuModel
    num_gpus: int
    price_per_gpu: float
    min_bid_per_gpu: float
    storage_cost: float
    reliability: float
    verification: str
    region: str
    country: str
    inet_up: float
    inet_down: float
    inet_up_cost: float
    inet_down_cost: float
    cpu_name: str
    cpu_ghz: float
    cpu_cores: int
    cpu_ram_mb: int
    disk_space: float
    disk_bw: float
    disk_name: str
    mobo_name: str
    driver_version: str
    cuda_max_good: float
    pci_gen: int
    pcie_bw: float
    gpu_lanes: int
    direct_port_count: int
    static_ip: bool
    hosting_type: int
    max_days: float
    credit_discount_max: float
    cluster_id: int | None
    gpu_ids: tuple[int, ...]


@dataclass(frozen=True)
class SeededCluster:
    """A physical cluster of the seeded market: its machines, the first one its manager,
    on the host's LAN `subnet`."""

    id: int
    subnet: str
    machine_ids: tuple[int, ...]


@dataclass(frozen=True)
class OfferSpec:
    """One ask: a bundle of `num_gpus` GPUs of a machine."""

    id: int
    bundle_id: int
    machine: Machine
    num_gpus: int

    @property
    def gpu_frac(self) -> float:
        return self.num_gpus / self.machine.num_gpus

    @property
    def dph_base(self) -> float:
        return round(self.machine.price_per_gpu * self.num_gpus, 6)

    @property
    def min_bid(self) -> float:
        return round(self.machine.min_bid_per_gpu * self.num_gpus, 6)

    @property
    def disk_space(self) -> float:
        return round(self.machine.disk_space * self.gpu_frac, 1)


def _driver_code(version: str) -> int:
    major, minor, patch = (int(part) for part in version.split("."))
    return major * 1_000_000 + minor * 1_000 + patch


class Market:
    """The deterministic marketplace of one seed; `epoch` anchors the offers' end dates."""

    def __init__(self, seed: int, epoch: float, scale: int = 1) -> None:
        self.seed = seed
        self.epoch = epoch
        self.machines: dict[int, Machine] = {}
        self.offers: dict[int, OfferSpec] = {}
        self.clusters: dict[int, SeededCluster] = {}
        """The physical clusters of `CLUSTER_FLEET` (not the fleet's one-machine ones)."""
        self._generate(random.Random(seed), scale)

    def __iter__(self) -> Iterator[OfferSpec]:
        return iter(self.offers.values())

    @property
    def gpu_names(self) -> list[str]:
        return sorted({machine.gpu.name for machine in self.machines.values()})

    def offers_on(self, machine_id: int) -> list[OfferSpec]:
        return [offer for offer in self.offers.values() if offer.machine.id == machine_id]

    def _generate(self, rng: random.Random, scale: int) -> None:
        """`FLEET` ``scale`` times over: a larger market for large stacks. The first copy
        is the market of scale 1, offer for offer; each other copy has a random stream and
        id ranges of its own."""
        for copy in range(scale):
            self._list_fleet(rng if copy == 0 else random.Random(f"fleet-{self.seed}-{copy}"), copy)
        for copy in range(scale):
            self._list_clusters(random.Random(f"clusters-{self.seed}-{copy}"), copy)

    def _list_fleet(self, rng: random.Random, copy: int) -> None:
        machine_ids = rng.sample(range(10_000 + copy * 50_000, 60_000 + copy * 50_000), 64)
        offer_ids = rng.sample(
            range(4_000_000 + copy * 5_000_000, 9_000_000 + copy * 5_000_000), 256
        )
        hosts = rng.sample(range(100_000 + copy * 200_000, 300_000 + copy * 200_000), 12)
        first_index, first_offer = len(self.machines), len(self.offers)
        for model_name, counts in FLEET:
            model = _MODELS_BY_NAME[model_name]
            for num_gpus in counts:
                index = len(self.machines)
                machine_id = machine_ids[index - first_index]
                machine = self._machine(rng, index, machine_id, hosts, model, num_gpus)
                self.machines[machine.id] = machine
                for size in OFFER_SIZES:
                    if size > num_gpus:
                        break
                    offer_id = offer_ids[len(self.offers) - first_offer]
                    self.offers[offer_id] = OfferSpec(
                        id=offer_id, bundle_id=offer_id * 3 + 7, machine=machine, num_gpus=size
                    )

    def _list_clusters(self, rng: random.Random, copy: int) -> None:
        machine_ids = iter(rng.sample(range(10_000), 64))
        offer_ids = iter(rng.sample(range(100_000), 256))
        for number, (model_name, num_gpus, count) in enumerate(CLUSTER_FLEET):
            model = _MODELS_BY_NAME[model_name]
            cluster_id = _FIRST_CLUSTER_ID + copy * 10 + number
            host_id = _CLUSTER_HOSTS + copy * 100 + number
            low, high = model.price_per_gpu
            price = round(rng.uniform(low, high), 4)
            members: list[int] = []
            for _ in range(count):
                base = self._machine(
                    rng,
                    0,
                    _CLUSTER_MACHINE_IDS + copy * 10_000 + next(machine_ids),
                    [host_id],
                    model,
                    num_gpus,
                )
                machine = replace(
                    base,
                    price_per_gpu=price,
                    min_bid_per_gpu=round(price * 0.5, 4),
                    reliability=round(rng.uniform(0.97, 0.999), 4),
                    verification="verified",
                    hosting_type=1,
                    static_ip=True,
                    cluster_id=cluster_id,
                )
                if members:
                    first = self.machines[members[0]]
                    machine = replace(machine, region=first.region, country=first.country)
                self.machines[machine.id] = machine
                members.append(machine.id)
                for size in OFFER_SIZES:
                    if size > num_gpus:
                        break
                    offer_id = _CLUSTER_OFFER_IDS + copy * 100_000 + next(offer_ids)
                    self.offers[offer_id] = OfferSpec(
                        id=offer_id, bundle_id=offer_id * 3 + 7, machine=machine, num_gpus=size
                    )
            self.clusters[cluster_id] = SeededCluster(
                id=cluster_id, subnet=f"10.{copy}.{number}.0/24", machine_ids=tuple(members)
            )

    @staticmethod
    def _machine(
        rng: random.Random,
        index: int,
        machine_id: int,
        hosts: list[int],
        model: GpuModel,
        num_gpus: int,
    ) -> Machine:
        low, high = model.price_per_gpu
        price = round(rng.uniform(low, high), 4)
        if index % _LOW_RELIABILITY_EVERY == _LOW_RELIABILITY_EVERY - 1:
            reliability = rng.uniform(0.72, 0.89)
        else:
            reliability = rng.uniform(0.9, 0.999)
        region, country = rng.choice(_LOCATIONS)
        driver, cuda = rng.choice(_DRIVERS[1:] if model.compute_cap >= 890 else _DRIVERS)
        cpu_name, cpu_ghz = rng.choice(_CPUS)
        cores_per_gpu = rng.choice((4, 8, 12, 16))
        datacenter = model.datacenter and rng.random() < 0.8
        sxm = model.nvlink > 0
        return Machine(
            id=machine_id,
            host_id=rng.choice(hosts),
            gpu=model,
            num_gpus=num_gpus,
            price_per_gpu=price,
            min_bid_per_gpu=round(price * rng.uniform(0.35, 0.6), 4),
            storage_cost=round(rng.uniform(0.05, 0.3), 3),
            reliability=round(reliability, 4),
            verification="unverified" if index % _UNVERIFIED_EVERY == 5 else "verified",
            region=region,
            country=country,
            inet_up=round(rng.uniform(80, 4000), 1),
            inet_down=round(rng.uniform(200, 6000), 1),
            inet_up_cost=round(rng.choice((0.0, 0.002, 0.005, 0.01)), 4),
            inet_down_cost=round(rng.choice((0.0, 0.002, 0.005, 0.01)), 4),
            cpu_name=cpu_name,
            cpu_ghz=cpu_ghz,
            cpu_cores=cores_per_gpu * num_gpus,
            cpu_ram_mb=rng.choice((16, 32, 64)) * 1024 * num_gpus,
            disk_space=float(rng.choice((250, 500, 1000, 2000, 4000)) * max(1, num_gpus // 2)),
            disk_bw=round(rng.uniform(800, 6500), 1),
            disk_name=rng.choice(_DISKS),
            mobo_name=rng.choice(_MOBOS),
            driver_version=driver,
            cuda_max_good=cuda,
            pci_gen=5 if model.compute_cap >= 900 else rng.choice((3, 4)),
            pcie_bw=round(rng.uniform(10.5, 52.0), 1),
            gpu_lanes=16 if datacenter or sxm else rng.choice((8, 16)),
            direct_port_count=rng.choice((16, 64, 200, 1000)),
            static_ip=rng.random() < 0.6,
            hosting_type=1 if datacenter else 0,
            max_days=float(rng.choice((30, 60, 90, 180, 365))),
            credit_discount_max=round(rng.uniform(0.1, 0.4), 2),
            cluster_id=(700 + index) if sxm else None,
            gpu_ids=tuple(rng.sample(range(1_000_000, 9_999_999), num_gpus)),
        )

    def render(
        self,
        offer: OfferSpec,
        *,
        now: float,
        storage_gb: float,
        offer_type: OfferType,
        rented: bool,
    ) -> dict[str, Any]:
        """The offer as `POST /api/v0/bundles/` returns it, priced for `storage_gb` of disk."""
        machine = offer.machine
        model = machine.gpu
        frac = offer.gpu_frac
        storage_hour = storage_dph(machine.storage_cost, storage_gb)
        gpu_hour = offer.min_bid if offer_type == "bid" else offer.dph_base
        dph_total = gpu_hour + storage_hour
        discount = machine.credit_discount_max if offer_type == "reserved" else 0.0
        discounted = dph_total * (1 - discount)
        dlperf = round(model.dlperf * offer.num_gpus * (0.92 + 0.08 * machine.reliability), 4)
        total_flops = round(model.tflops * offer.num_gpus, 3)
        end_date = self.epoch + machine.max_days * 86_400
        pricing = {
            "gpuCostPerHour": gpu_hour,
            "diskHour": storage_hour,
            "totalHour": dph_total,
            "discountTotalHour": dph_total - discounted,
            "discountedTotalPerHour": discounted,
        }
        return {
            "id": offer.id,
            "ask_contract_id": offer.id,
            "bundle_id": offer.bundle_id,
            "bundled_results": None,
            "bw_nvlink": model.nvlink,
            "cluster_id": machine.cluster_id,
            "compute_cap": model.compute_cap,
            "cpu_arch": "amd64",
            "cpu_cores": machine.cpu_cores,
            "cpu_cores_effective": round(machine.cpu_cores * frac, 1),
            "cpu_ghz": machine.cpu_ghz,
            "cpu_name": machine.cpu_name,
            "cpu_ram": int(machine.cpu_ram_mb * frac),
            "credit_discount_max": machine.credit_discount_max,
            "cuda_max_good": machine.cuda_max_good,
            "datacenter": machine.hosting_type == 1,
            "direct_port_count": machine.direct_port_count,
            "discount_rate": discount,
            "discounted_dph_total": discounted,
            "discounted_hourly": dph_total - discounted,
            "disk_bw": machine.disk_bw,
            "disk_name": machine.disk_name,
            "disk_space": offer.disk_space,
            "dlperf": dlperf,
            "dlperf_per_dphtotal": dlperf / dph_total,
            "dph_base": gpu_hour,
            "dph_total": dph_total,
            "dph_total_adj": dph_total,
            "driver_vers": _driver_code(machine.driver_version),
            "driver_version": machine.driver_version,
            "duration": max(0.0, end_date - now),
            "end_date": end_date,
            "expected_reliability": machine.reliability,
            "external": False,
            "flops_per_dphtotal": total_flops / dph_total,
            "geolocation": f"{machine.region}, {machine.country}",
            "geolocode": sum(ord(c) for c in machine.country) * 1000,
            "gpu_arch": "nvidia",
            "gpu_display_active": False,
            "gpu_frac": frac,
            "gpu_ids": list(machine.gpu_ids[: offer.num_gpus]),
            "gpu_lanes": machine.gpu_lanes,
            "gpu_max_power": model.max_power,
            "gpu_max_temp": 83,
            "gpu_mem_bw": model.mem_bw,
            "gpu_name": model.name,
            "gpu_ram": model.vram_mb,
            "gpu_total_ram": model.vram_mb * offer.num_gpus,
            "has_avx": 1,
            "host_id": machine.host_id,
            "hosting_type": machine.hosting_type,
            "hostname": None,
            "inet_down": machine.inet_down,
            "inet_down_cost": machine.inet_down_cost,
            "inet_up": machine.inet_up,
            "inet_up_cost": machine.inet_up_cost,
            "internet_down_cost_per_tb": round(machine.inet_down_cost * 1024, 4),
            "internet_up_cost_per_tb": round(machine.inet_up_cost * 1024, 4),
            "is_bid": offer_type == "bid",
            "is_vm_deverified": False,
            "logo": "/static/logos/vastai_small2.png",
            "machine_id": machine.id,
            "min_bid": offer.min_bid,
            "mobo_name": machine.mobo_name,
            "num_gpus": offer.num_gpus,
            "os_version": "22.04",
            "pci_gen": machine.pci_gen,
            "pcie_bw": machine.pcie_bw,
            "public_ipaddr": "127.0.0.1",
            "reliability": machine.reliability,
            "reliability2": machine.reliability,
            "reliability_mult": round(machine.reliability**2, 4),
            "rentable": True,
            "rented": rented,
            "resource_type": "gpu",
            "score": round(dlperf / max(offer.dph_base, 0.01) * machine.reliability**4, 4),
            "search": pricing,
            "instance": pricing,
            "start_date": self.epoch,
            "static_ip": machine.static_ip,
            "storage_cost": machine.storage_cost,
            "storage_total_cost": storage_hour,
            "time_remaining": "",
            "time_remaining_isbid": "",
            "total_flops": total_flops,
            "ubuntu_version": "22.04",
            "verification": machine.verification,
            "verified": machine.verification == "verified",
            "vericode": 1 if machine.verification == "verified" else 0,
            "vms_enabled": False,
            "vram_costperhour": gpu_hour / (model.vram_mb * offer.num_gpus / 1024),
            "webpage": None,
            "avail_vol_ask_id": None,
            "avail_vol_dph": None,
            "avail_vol_size": None,
            "nw_disk_min_bw": None,
            "nw_disk_max_bw": None,
            "nw_disk_avg_bw": None,
            "rn": 1,
        }
