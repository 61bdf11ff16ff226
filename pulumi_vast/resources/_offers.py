"""The market as one provider process sees it: searches shared, offers claimed.

A stack often creates several instances from one query at the same moment. Each would
search, find the same best offer, and all but one would lose the race for it and start
over. Creates in one process therefore share a search (briefly) and claim the offer they
are renting, so the others go straight for the next ones.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi_vast.api import Condition, F, Offer, Query, parse_order, parse_query
from pulumi_vast.api.query import OfferType
from pulumi_vast.market import rank
from pulumi_vast.resources._fields import known
from pulumi_vast.resources._shared import SharedFetch

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["SEARCH_LIMIT", "OfferBook", "OfferSearch", "with_room_for"]

SEARCH_LIMIT = 100
"""Offers fetched per search: room for many parallel creates of one query to spread out."""


@dataclass(frozen=True)
class OfferSearch:
    """What an instance asks of the market (hashable: one shared search per distinct ask)."""

    query: Query | None
    offer_id: int | None
    order: tuple[tuple[str, str], ...]
    disk_gb: float
    bid: bool

    @property
    def offer_type(self) -> OfferType:
        return "bid" if self.bid else "on-demand"

    @classmethod
    def from_args(cls, args: Any) -> OfferSearch:
        """From resolved `InstanceArgs`."""
        query = known(args.query)
        return cls(
            query=parse_query(query) if isinstance(query, str) else query,
            offer_id=known(args.offer_id),
            order=tuple(parse_order(known(args.order))),
            disk_gb=float(known(args.disk_gb)),
            bid=known(args.bid_price) is not None,
        )


def with_room_for(query: Query | None, disk_gb: float) -> Query:
    """``query``, also asking for at least ``disk_gb`` of disk: an offer with less cannot
    take the instance (a stricter ``disk_space`` condition of the query stays)."""
    query = query or Query()
    floors = [
        float(c.value)  # type: ignore[arg-type]
        for c in query.conditions
        if isinstance(c, Condition) and c.field == "disk_space" and c.op in ("gte", "gt")
    ]
    if floors and max(floors) >= disk_gb:
        return query
    return query.and_(F.disk_space >= disk_gb)


class OfferBook:
    def __init__(self, client: VastClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._searches: dict[OfferSearch, SharedFetch[list[Offer]]] = {}
        self._claimed: set[int] = set()
        self._previewed: dict[str, int] = {}
        """Offer picked by each previewed resource (by its key), so that a check asked again
        answers the same: checking has no side effect beyond this memory."""

    def ranked(self, search: OfferSearch, *, max_age: float) -> list[Offer]:
        """Offers answering ``search``, best first, from a search at most ``max_age`` s old."""
        with self._lock:
            shared = self._searches.get(search)
            if shared is None:
                shared = SharedFetch(lambda: self._search(search))
                self._searches[search] = shared
        return list(shared.get(max_age=max_age).value)

    def _search(self, search: OfferSearch) -> list[Offer]:
        if search.offer_id is not None:
            return self._client.offers.search(
                {"id": {"eq": search.offer_id}},
                defaults=False,
                limit=1,
                storage_gb=search.disk_gb,
            )
        found = self._client.offers.search(
            with_room_for(search.query, search.disk_gb),
            order=list(search.order),
            limit=SEARCH_LIMIT,
            offer_type=search.offer_type,
            storage_gb=search.disk_gb,
        )
        return rank(found, search.order)

    def preview_pick(self, offers: list[Offer], key: str) -> Offer | None:
        """The offer a create of resource ``key`` would get: the best of ``offers`` that no
        other resource previewed in this process picked. The same key gets the same answer
        (while its offer still matches), however often it asks."""
        with self._lock:
            mine = self._previewed.get(key)
            others = {picked for owner, picked in self._previewed.items() if owner != key}
            for offer in offers:
                if offer.id == mine:
                    return offer
            for offer in offers:
                if offer.id not in others:
                    self._previewed[key] = offer.id
                    return offer
            self._previewed.pop(key, None)
            return None

    def claim(self, offer_id: int) -> bool:
        """Reserve an offer for one create in this process; False if another has it."""
        with self._lock:
            if offer_id in self._claimed:
                return False
            self._claimed.add(offer_id)
            return True

    def release(self, offer_id: int) -> None:
        with self._lock:
            self._claimed.discard(offer_id)
