"""The GPU offer vocabulary as data: every field, its type, unit, aliases and multiplier.

`GPU_OFFERS` is the one table the query parser, the renderer, the builder (`F`) and the
docs read for ``POST /api/v0/bundles/``. Names, aliases, multipliers and default filters
are exactly the official client's (``offers_fields``, ``offers_alias``, ``offers_mult`` in
`vastai/api/query.py`, the defaults of ``search_offers``): ``gpu_ram``, ``cpu_ram`` and
``gpu_total_ram`` are written in GB and sent in MB, and ``duration`` is written in days
and sent in seconds.
"""

from __future__ import annotations

from types import MappingProxyType

from pulumi_vast.api.units import QUERY_MB_PER_GB, SECONDS_PER_DAY
from pulumi_vast.api.vocabulary import FieldKind, OfferField, Vocabulary

__all__ = ["GPU_OFFERS", "OFFER_ALIASES", "OFFER_FIELDS", "ORDER_ONLY_FIELDS"]

_GB_TO_MB = QUERY_MB_PER_GB
_DAYS_TO_SECONDS = SECONDS_PER_DAY

K = FieldKind

_TABLE: tuple[OfferField, ...] = (
    OfferField("bw_nvlink", K.FLOAT, "NVLink bandwidth, GB/s"),
    OfferField("cluster_id", K.INT, "physical cluster the machine belongs to"),
    OfferField("compute_cap", K.INT, "CUDA compute capability x 100 (800 for 8.0)"),
    OfferField("cpu_arch", K.STR, "CPU architecture (amd64, arm64)"),
    OfferField("cpu_cores", K.INT, "virtual CPUs of the whole machine"),
    OfferField("cpu_cores_effective", K.FLOAT, "virtual CPUs that come with the offer"),
    OfferField("cpu_ghz", K.FLOAT, "CPU clock, GHz"),
    OfferField("cpu_ram", K.FLOAT, "system RAM, GB", _GB_TO_MB),
    OfferField("cuda_max_good", K.FLOAT, "highest CUDA version the driver supports"),
    OfferField("datacenter", K.BOOL, "only datacenter-grade hosts"),
    OfferField("direct_port_count", K.INT, "open ports for direct connections"),
    OfferField("disk_bw", K.FLOAT, "disk read bandwidth, MB/s"),
    OfferField("disk_space", K.FLOAT, "disk available, GB"),
    OfferField("dlperf", K.FLOAT, "deep-learning performance score"),
    OfferField("dlperf_per_dphtotal", K.FLOAT, "DLPerf per $/hour"),
    OfferField("dph_total", K.FLOAT, "total price, $/hour"),
    OfferField("driver_version", K.VERSION, "NVIDIA driver version, e.g. 535.86.05"),
    OfferField("duration", K.FLOAT, "days the offer stays available", _DAYS_TO_SECONDS),
    OfferField("external", K.BOOL, "include hosts outside Vast's secure cloud"),
    OfferField("flops_per_dphtotal", K.FLOAT, "TFLOPS per $/hour"),
    OfferField("geolocation", K.STR, "two-letter country code"),
    OfferField("gpu_arch", K.STR, "GPU architecture (nvidia, amd)"),
    OfferField("gpu_display_active", K.BOOL, "a display is attached to the GPU"),
    OfferField("gpu_frac", K.FLOAT, "fraction of the machine's GPUs in the offer"),
    OfferField("gpu_max_power", K.FLOAT, "GPU power limit, W"),
    OfferField("gpu_max_temp", K.FLOAT, "GPU temperature limit, C"),
    OfferField("gpu_mem_bw", K.FLOAT, "GPU memory bandwidth, GB/s"),
    OfferField("gpu_name", K.STR, "GPU model, e.g. RTX_4090 (_ stands for a space)"),
    OfferField("gpu_ram", K.FLOAT, "memory per GPU, GB", _GB_TO_MB),
    OfferField("gpu_total_ram", K.FLOAT, "memory of all GPUs together, GB", _GB_TO_MB),
    OfferField("has_avx", K.BOOL, "the CPU supports AVX"),
    OfferField("host_id", K.INT, "host (seller) id"),
    OfferField("id", K.INT, "offer id"),
    OfferField("inet_down", K.FLOAT, "download bandwidth, Mb/s"),
    OfferField("inet_down_cost", K.FLOAT, "download price, $/GB"),
    OfferField("inet_up", K.FLOAT, "upload bandwidth, Mb/s"),
    OfferField("inet_up_cost", K.FLOAT, "upload price, $/GB"),
    OfferField("machine_id", K.INT, "machine id"),
    OfferField("min_bid", K.FLOAT, "lowest bid for an interruptible instance, $/hour"),
    OfferField("mobo_name", K.STR, "motherboard model"),
    OfferField("num_gpus", K.INT, "GPUs in the offer"),
    OfferField("pci_gen", K.FLOAT, "PCIe generation"),
    OfferField("pcie_bw", K.FLOAT, "PCIe bandwidth CPU to GPU, GB/s"),
    OfferField("reliability", K.FLOAT, "machine reliability, 0 to 1"),
    OfferField("rentable", K.BOOL, "can be rented now"),
    OfferField("rented", K.BOOL, "include machines you already rent"),
    OfferField("static_ip", K.BOOL, "the public IP address is static"),
    OfferField("storage_cost", K.FLOAT, "disk price, $/GB/month"),
    OfferField("total_flops", K.FLOAT, "total TFLOPS of all GPUs"),
    OfferField("ubuntu_version", K.STR, "host Ubuntu version"),
    OfferField("verification", K.STR, "verified, unverified or deverified"),
    OfferField("verified", K.BOOL, "only verified machines"),
    OfferField("vms_enabled", K.BOOL, "the machine runs VM instances"),
)
del K

GPU_OFFERS = Vocabulary.of(
    "GPU offers",
    "F",
    _TABLE,
    aliases={
        "cuda_vers": "cuda_max_good",
        "display_active": "gpu_display_active",
        "dlperf_usd": "dlperf_per_dphtotal",
        "dph": "dph_total",
        "flops_usd": "flops_per_dphtotal",
    },
    # ``score`` is the official default order.
    order_only={"score", "discounted_dph_total"},
    default_filters={
        "verified": {"eq": True},
        "external": {"eq": False},
        "rentable": {"eq": True},
        "rented": {"eq": False},
    },
    default_storage_gb=5.0,
    offer_types=True,
)
"""The offers of ``POST /api/v0/bundles/``: machines to run instances on."""

OFFER_FIELDS: MappingProxyType[str, OfferField] = MappingProxyType(dict(GPU_OFFERS.fields))
OFFER_ALIASES: MappingProxyType[str, str] = MappingProxyType(dict(GPU_OFFERS.aliases))
ORDER_ONLY_FIELDS = GPU_OFFERS.order_only
"""Columns offers can be sorted by but not filtered on (``score`` is the official default)."""
