"""The GPU market: every account sees the whole seeded marketplace (`marketplace`); what it
rents disappears from *its* view.

Other renters exist only as the `taken_offers` fault (and preemption), so concurrent tests
never starve each other of offers. What an account holds comes from `_rentals`, which the
instances' backend answers.
"""

from __future__ import annotations

from typing import Any

from pulumi_vast.api.filters import FilterError, split_search_body
from pulumi_vast.sim.errors import BadRequest
from pulumi_vast.sim.marketplace import Market, OfferSpec, normalize_offer_type
from pulumi_vast.sim.models.accounts import AccountsBackend
from pulumi_vast.sim.querying import filter_offers
from pulumi_vast.sim.records import HOLDS_GPUS, Account, Instance

__all__ = [
    "DEFAULT_SEARCH_LIMIT",
    "DEFAULT_SEARCH_STORAGE_GB",
    "MAX_SEARCH_STORAGE_GB",
    "MarketBackend",
    "search_storage_gb",
]

DEFAULT_SEARCH_LIMIT = 64
DEFAULT_SEARCH_STORAGE_GB = 8.0
"""openapi: `allocated_storage` defaults to 8 GB (the official client always sends 5)."""
MAX_SEARCH_STORAGE_GB = 1e6
"""More than any machine has (a petabyte): larger asks are refused, not priced."""


def search_storage_gb(controls: dict[str, Any], default: float) -> float:
    """A search body's `allocated_storage` (GB to price the offers for), checked."""
    storage = controls.get("allocated_storage")
    storage_gb = default if storage is None else storage
    if not isinstance(storage_gb, int | float) or not 0 <= storage_gb <= MAX_SEARCH_STORAGE_GB:
        raise BadRequest(
            f"allocated_storage must be 0 to {MAX_SEARCH_STORAGE_GB:g} GB, got {storage!r:.40}"
        )
    return float(storage_gb)


def split_search(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A search body's (filters, controls), or a 400 naming what is wrong."""
    try:
        return split_search_body(body)
    except FilterError as exc:
        raise BadRequest(str(exc)) from exc


class MarketBackend(AccountsBackend):
    market: Market

    def _load(self) -> None:
        super()._load()
        self.market = Market(self.seed, self.epoch, self.market_scale)

    def _rentals(self, owner: str) -> list[Instance]:
        """The owner's instances that are not destroyed (the instances' backend knows)."""
        return []

    def cluster_of(self, machine_id: int) -> int | None:
        """The physical cluster a machine is in, if any (the seeded market's here; the
        clusters' backend adds those accounts register)."""
        machine = self.market.machines.get(machine_id)
        return machine.cluster_id if machine is not None else None

    def _gpus_in_use(self, owner: str, machine_id: int, *, exclude: int | None) -> int:
        own = sum(
            inst.num_gpus
            for inst in self._rentals(owner)
            if inst.machine_id == machine_id and inst.phase in HOLDS_GPUS and inst.id != exclude
        )
        taken = sum(
            self.market.offers[offer_id].num_gpus
            for offer_id in self.faults.taken_offers(owner)
            if offer_id in self.market.offers
            and self.market.offers[offer_id].machine.id == machine_id
        )
        return own + taken

    def _gpus_free(self, owner: str, offer: OfferSpec, *, exclude: int | None = None) -> bool:
        in_use = self._gpus_in_use(owner, offer.machine.id, exclude=exclude)
        return offer.num_gpus <= offer.machine.num_gpus - in_use

    def offer_available(self, owner: str, offer: OfferSpec) -> bool:
        """Whether the account (by digest) may rent the offer now: nobody else took it, its
        own instances don't hold it, and its machine has the GPUs free."""
        return self._can_hold(owner, offer, exclude=None)

    def _can_hold(self, owner: str, offer: OfferSpec, *, exclude: int | None) -> bool:
        if offer.id in self.faults.taken_offers(owner):
            return False
        if any(
            inst.offer_id == offer.id and inst.phase in HOLDS_GPUS and inst.id != exclude
            for inst in self._rentals(owner)
        ):
            return False
        return self._gpus_free(owner, offer, exclude=exclude)

    def search_offers(self, account: Account | None, body: dict[str, Any]) -> list[dict[str, Any]]:
        """`POST /api/v0/bundles/`: the account's view of the market, filtered and ordered."""
        filters, controls = split_search(body)
        offer_type = normalize_offer_type(controls.get("type"))
        if offer_type is None:
            raise BadRequest(f"type must be on-demand, bid or reserved, got {controls['type']!r}")
        storage_gb = search_storage_gb(controls, DEFAULT_SEARCH_STORAGE_GB)
        now = self.now()
        key = account.digest if account is not None else None
        rented_machines = {
            inst.machine_id
            for inst in (self._rentals(key) if key is not None else [])
            if inst.phase in HOLDS_GPUS
        }
        rows = [
            {
                **self.market.render(
                    offer,
                    now=now,
                    storage_gb=storage_gb,
                    offer_type=offer_type,
                    rented=offer.machine.id in rented_machines,
                ),
                "cluster_id": self.cluster_of(offer.machine.id),
            }
            for offer in self.market
            if key is None or self.offer_available(key, offer)
        ]
        return filter_offers(
            rows,
            filters,
            controls.get("order"),
            controls.get("limit"),
            default_limit=DEFAULT_SEARCH_LIMIT,
        )

    def gpu_names(self) -> list[str]:
        return self.market.gpu_names
