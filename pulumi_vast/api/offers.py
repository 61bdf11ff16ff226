"""Offers (asks): machines for rent, and the search that finds them."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import AliasChoices, Field

from pulumi_vast.api._base import VastModel
from pulumi_vast.api._searching import OfferSearching, SearchQuery
from pulumi_vast.api.offer_fields import GPU_OFFERS
from pulumi_vast.api.query import OfferType
from pulumi_vast.api.units import gib

__all__ = ["Offer", "OffersClient"]

SEARCH_ROUTE = "/api/v0/bundles/"


class Offer(VastModel):
    """One offer from ``POST /api/v0/bundles/``; rent it with its ``id``.

    Units are the API's: ``gpu_ram``, ``gpu_total_ram`` and ``cpu_ram`` in MiB (which the
    API calls MB; `gpu_ram_gib` converts), ``disk_space`` in GB, prices in $/hour
    (``storage_cost`` in $/GB/month), ``duration`` in seconds.
    """

    id: int
    ask_contract_id: int | None = None
    bundle_id: int | None = None
    machine_id: int | None = None
    host_id: int | None = None
    cluster_id: int | None = None
    gpu_name: str | None = None
    gpu_arch: str | None = None
    num_gpus: int | None = None
    gpu_ram: float | None = None
    gpu_total_ram: float | None = None
    gpu_frac: float | None = None
    gpu_mem_bw: float | None = None
    compute_cap: int | None = None
    cuda_max_good: float | None = None
    driver_version: str | None = None
    cpu_name: str | None = None
    cpu_arch: str | None = None
    cpu_cores: int | None = None
    cpu_cores_effective: float | None = None
    cpu_ghz: float | None = None
    cpu_ram: float | None = None
    disk_space: float | None = None
    disk_bw: float | None = None
    dph_total: float | None = None
    dph_base: float | None = None
    discounted_dph_total: float | None = None
    storage_cost: float | None = None
    storage_total_cost: float | None = None
    inet_up: float | None = None
    inet_down: float | None = None
    inet_up_cost: float | None = None
    inet_down_cost: float | None = None
    min_bid: float | None = None
    is_bid: bool | None = None
    reliability: float | None = Field(
        default=None, validation_alias=AliasChoices("reliability", "reliability2")
    )
    dlperf: float | None = None
    dlperf_per_dphtotal: float | None = None
    flops_per_dphtotal: float | None = None
    total_flops: float | None = None
    score: float | None = None
    pci_gen: float | None = None
    pcie_bw: float | None = None
    direct_port_count: int | None = None
    duration: float | None = None
    geolocation: str | None = None
    public_ipaddr: str | None = None
    static_ip: bool | None = None
    verification: str | None = None
    rentable: bool | None = None
    rented: bool | None = None
    external: bool | None = None
    start_date: float | None = None
    end_date: float | None = None

    @property
    def gpu_ram_gib(self) -> float | None:
        """Memory per GPU in GiB: 24.0 for a 24 GB card (``gpu_ram`` is MiB: 24576)."""
        return gib(self.gpu_ram)


class OffersClient(OfferSearching):
    def search(
        self,
        query: SearchQuery = None,
        *,
        order: str | Sequence[Sequence[str]] | None = None,
        limit: int | None = None,
        offer_type: OfferType = "on-demand",
        storage_gb: float = GPU_OFFERS.default_storage_gb,
        defaults: bool = True,
    ) -> list[Offer]:
        """Offers matching ``query``, in ``order`` (default: the official ``score`` desc).

        ``query`` is a `Query` of GPU offers, the CLI syntax (``"gpu_ram>=24 num_gpus=1"``),
        or API JSON filters in API units (``{"gpu_ram": {"gte": 24000}}``), sent as given.
        Unless ``defaults`` is False, the official client's defaults apply (verified, not
        external, rentable, not rented) where the query does not set those fields.
        ``storage_gb`` is the disk the prices include. Pass ``order=CHEAPEST_FIRST`` for
        cheapest first.
        """
        return self._search(
            SEARCH_ROUTE,
            Offer,
            GPU_OFFERS,
            query,
            order=order,
            limit=limit,
            offer_type=offer_type,
            storage_gb=storage_gb,
            defaults=defaults,
        )
