"""The market as one provider process sees it: searches shared, offers claimed.

A stack often creates several instances from one query at the same moment. Each would
search, find the same best offer, and all but one would lose the race for it and start
over. Creates in one process therefore share a search (briefly) and claim the offer they
are renting, so the others go straight for the next ones. The same holds for every kind of
offer a resource rents from (`OfferKind`): GPU offers for instances, volume offers for
volumes and network volumes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pulumi_vast.api import (
    GPU_OFFERS,
    VOLUME_OFFERS,
    Condition,
    Offer,
    Query,
    VolumeOffer,
    parse_order,
    parse_query,
)
from pulumi_vast.api.filters import matches
from pulumi_vast.api.query import Fields, OfferType
from pulumi_vast.api.vocabulary import Vocabulary
from pulumi_vast.market import rank
from pulumi_vast.market.task import TIER_ORDERS, Requirements, rank_by_total
from pulumi_vast.resources._fields import known
from pulumi_vast.resources._shared import SharedFetch

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["SEARCH_LIMIT", "MarketOffer", "OfferBook", "OfferKind", "OfferSearch", "with_room_for"]

OfferKind = Literal["gpu", "volume", "network_volume"]
MarketOffer = Offer | VolumeOffer
VOCABULARIES: dict[OfferKind, Vocabulary] = {
    "gpu": GPU_OFFERS,
    "volume": VOLUME_OFFERS,
    "network_volume": VOLUME_OFFERS,
}

SEARCH_LIMIT = 100
"""Offers fetched per search: room for many parallel creates of one query to spread out."""


@dataclass(frozen=True)
class OfferSearch:
    """What a resource asks of the market (hashable: one shared search per distinct ask)."""

    query: Query | None
    offer_id: int | None
    order: tuple[tuple[str, str], ...]
    disk_gb: float
    """GB the offer must have room for: an instance's disk, a volume's size."""
    bid: bool = False
    kind: OfferKind = "gpu"
    machine_id: int | None = None
    """Only offers on this machine (an instance mounting a local volume)."""
    cluster_id: int | None = None
    """Only offers in this physical cluster (an instance mounting a network volume)."""
    task: Requirements | None = None
    """A task's needs: searched across GPU tiers, ranked by estimated total cost."""

    @property
    def ranking(self) -> str:
        """How the offers rank, in words."""
        if self.task is not None:
            return "estimated total cost for the task"
        return ", ".join(f"{name} {direction}" for name, direction in self.order)

    def rank(self, offers: list[Any]) -> list[Any]:
        """``offers`` best first."""
        if self.task is not None:
            return rank_by_total(offers, self.task)
        return rank(offers, self.order)

    @property
    def offer_type(self) -> OfferType:
        return "bid" if self.bid else "on-demand"

    @property
    def vocabulary(self) -> Vocabulary:
        return VOCABULARIES[self.kind]

    def narrowed(self) -> Query:
        """The query as sent: with room for ``disk_gb``, and on the machine or cluster."""
        query = with_room_for(self.query or Query(vocabulary=self.vocabulary), self.disk_gb)
        fields = Fields(query.vocabulary)
        for name, value in (("machine_id", self.machine_id), ("cluster_id", self.cluster_id)):
            if value is not None:
                query = query.and_(getattr(fields, name) == value)
        return query

    @classmethod
    def from_args(
        cls, args: Any, *, machine_id: int | None = None, cluster_id: int | None = None
    ) -> OfferSearch:
        """From resolved `InstanceArgs`, on the machine or cluster of its volume if any."""
        query = known(args.query)
        query = parse_query(query) if isinstance(query, str) else query
        task = known(getattr(args, "task", None))
        needs = task.requirements() if task is not None else None
        if needs is not None:  # the task's needs, and any conditions of the query besides
            query = needs.query().and_(*(query.conditions if query else ()))
        return cls(
            query=query,
            offer_id=known(args.offer_id),
            order=tuple(parse_order(known(args.order))),
            disk_gb=float(known(args.disk_gb)),
            bid=known(args.bid_price) is not None,
            machine_id=machine_id,
            cluster_id=cluster_id,
            task=needs,
        )


def with_room_for(query: Query | None, disk_gb: float) -> Query:
    """``query``, also asking for at least ``disk_gb`` of disk: an offer with less cannot
    take the instance or volume (a stricter ``disk_space`` condition of the query stays)."""
    query = query or Query()
    floors = [
        float(c.value)  # type: ignore[arg-type]
        for c in query.conditions
        if isinstance(c, Condition) and c.field == "disk_space" and c.op in ("gte", "gt")
    ]
    if floors and max(floors) >= disk_gb:
        return query
    return query.and_(Fields(query.vocabulary).disk_space >= disk_gb)


class OfferBook:
    def __init__(self, client: VastClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._searches: dict[OfferSearch, SharedFetch[list[MarketOffer]]] = {}
        self._claimed: set[tuple[OfferKind, int]] = set()
        self._previewed: dict[str, tuple[OfferKind, int]] = {}
        """Offer picked by each previewed resource (by its key), so that a check asked again
        answers the same: checking has no side effect beyond this memory."""
        self._freed: dict[str, Offer] = {}
        """The offer a resource being replaced holds, free again once it is destroyed."""
        self._said: dict[str, str] = {}
        """What a preview last said of each resource."""
        self._expected: dict[str, dict[str, Any]] = {}
        """Outputs a preview expects each new resource's create to give (its offer's)."""

    def ranked(self, search: OfferSearch, *, max_age: float) -> list[Any]:
        """Offers answering ``search``, best first, from a search at most ``max_age`` s old
        (`Offer`s for GPU searches, `VolumeOffer`s for volume ones)."""
        with self._lock:
            shared = self._searches.get(search)
            if shared is None:
                shared = SharedFetch(lambda: self._search(search))
                self._searches[search] = shared
        return list(shared.get(max_age=max_age).value)

    def _search(self, search: OfferSearch) -> list[MarketOffer]:
        pinned = search.offer_id is not None
        query: Any = {"id": {"eq": search.offer_id}} if pinned else search.narrowed()
        common: dict[str, Any] = {
            "defaults": not pinned,
            "limit": 1 if pinned else SEARCH_LIMIT,
            "storage_gb": search.disk_gb,
        }
        if not pinned:
            common["order"] = list(search.order)
        found: list[MarketOffer]
        if search.kind == "gpu":
            if not pinned:
                common["offer_type"] = search.offer_type
            found = list(self._client.offers.search(query, **common))
            if search.task is not None and not pinned:
                for order in TIER_ORDERS[1:]:  # the best value and the fastest too
                    seen = {offer.id for offer in found}
                    more = self._client.offers.search(query, **{**common, "order": list(order)})
                    found += [offer for offer in more if offer.id not in seen]
        elif search.kind == "volume":
            found = list(self._client.volumes.search(query, **common))
        else:
            found = list(self._client.network_volumes.search(query, **common))
        return found if pinned else search.rank(found)

    def freeing(self, key: str, offer: Offer) -> None:
        """Resource ``key`` is being replaced, its old instance destroyed first: ``offer``,
        which that instance holds, is free for the new one."""
        with self._lock:
            self._freed[key] = offer

    def with_freed(self, offers: list[Any], search: OfferSearch, key: str) -> list[Any]:
        """``offers`` and, for a replacement, the offer its old instance frees, where that
        one answers ``search``, ranked together."""
        with self._lock:
            freed = self._freed.get(key)
        if freed is None or any(offer.id == freed.id for offer in offers):
            return offers
        row = freed.as_row()
        wanted = search.narrowed().filters
        if search.offer_id not in (None, freed.id) or not matches(
            {k: v for k, v in wanted.items() if k in row}, row
        ):
            return offers
        return search.rank([*offers, freed])

    def first_word(self, key: str, text: str) -> bool:
        """Whether ``text`` is news about resource ``key`` (not what was said of it last)."""
        with self._lock:
            if self._said.get(key) == text:
                return False
            self._said[key] = text
            return True

    def forget(self) -> None:
        """Drop the searches kept: something given back (a destroy) may match them now."""
        with self._lock:
            for shared in self._searches.values():
                shared.forget()

    def preview_pick(self, offers: list[Any], key: str, kind: OfferKind = "gpu") -> Any | None:
        """The offer a create of resource ``key`` would get: the best of ``offers`` that no
        other resource previewed in this process picked. The same key gets the same answer
        (while its offer still matches), however often it asks."""
        with self._lock:
            mine = self._previewed.get(key)
            others = {picked for owner, picked in self._previewed.items() if owner != key}
            for offer in offers:
                if (kind, offer.id) == mine:
                    return offer
            for offer in offers:
                if (kind, offer.id) not in others:
                    self._previewed[key] = (kind, offer.id)
                    return offer
            self._previewed.pop(key, None)
            return None

    def expect(self, key: str, outputs: Mapping[str, Any]) -> None:
        """A create of resource ``key`` will give ``outputs`` (those of the offer its
        preview picked), which a preview can show instead of unknowns."""
        with self._lock:
            self._expected[key] = dict(outputs)

    def expected(self, key: str) -> dict[str, Any] | None:
        """What `expect` last recorded for resource ``key``, if anything."""
        with self._lock:
            found = self._expected.get(key)
        return None if found is None else dict(found)

    def claim(self, offer_id: int, kind: OfferKind = "gpu") -> bool:
        """Reserve an offer for one create in this process; False if another has it."""
        with self._lock:
            if (kind, offer_id) in self._claimed:
                return False
            self._claimed.add((kind, offer_id))
            return True

    def release(self, offer_id: int, kind: OfferKind = "gpu") -> None:
        with self._lock:
            self._claimed.discard((kind, offer_id))
