"""Gang placement: N instances on one physical cluster, on one overlay, or none at all.

Vast's multi-node training needs every node on the same physical cluster (machines on one
LAN, sharing a ``cluster_id``) and on one overlay network created there. No single API call
rents such a gang, and N independent creates cannot place one: each would pick its own
offer, and the first may land on a cluster where the last finds nothing. So one create
does it all, as a transaction (`Gang.place`):

1. one search of the market for the nodes' query, on any cluster; the clusters with at
   least N matching offers ranked by the total price of their N cheapest (`plan`);
2. on the best cluster: the overlay is created, then the N ranks are rented in parallel,
   each a `Rental` (taken offers, lost answers and failed boots are its job) narrowed to
   that cluster and joining the overlay at create;
3. when a rank cannot be rented there (its offers were taken meanwhile), every rank rented
   is destroyed and the overlay deleted, and the next cluster is tried; nothing is left
   behind when none works.

Growing a gang (`Gang.grow`) rents only the missing ranks, on the gang's cluster and
overlay, and gives back what it rented if any of them fails; shrinking destroys only the
ranks past the new size. Each rank is tagged with its own owner (``<resource>/<rank>``),
so that a rank left by an interrupted run is adopted or destroyed by that rank only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pulumi_vast import remote
from pulumi_vast._partial import CreatedButFailed
from pulumi_vast.api import CreateInstanceRequest, Offer
from pulumi_vast.api import Instance as LiveInstance
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._connection import Connection
from pulumi_vast.resources._errors import RentalFailed
from pulumi_vast.resources._offers import OfferSearch
from pulumi_vast.resources._owner import Owner
from pulumi_vast.resources._rental import Rental, RentalOutcome
from pulumi_vast.resources._waiting import Readiness

__all__ = [
    "ClusterPlan",
    "Gang",
    "GangFailed",
    "Shortfall",
    "overlay_address",
    "plan",
    "rank_owner",
    "shortfall",
]

ADDRESS_COMMAND = "ip -4 addr show eth0"
"""How a node's overlay address is read inside it: the overlay is its eth0."""
_INET = re.compile(r"\binet\s+(\d{1,3}(?:\.\d{1,3}){3})/\d+")
ADDRESS_TIMEOUT = 60.0


@dataclass(frozen=True)
class ClusterPlan:
    """A physical cluster that can take the gang: its matching offers, best first, and the
    total $/hour of the cheapest ``nodes`` of them."""

    cluster_id: int
    offers: tuple[Offer, ...]
    total: float


@dataclass(frozen=True)
class Shortfall:
    """Why no cluster can take the gang: the best one found and how many offers matched."""

    clusters: int
    best_cluster: int | None
    matched: int


def _by_cluster(offers: Iterable[Offer]) -> dict[int, list[Offer]]:
    found: dict[int, list[Offer]] = {}
    for offer in offers:
        if offer.cluster_id is not None:
            found.setdefault(offer.cluster_id, []).append(offer)
    return found


def _price(offer: Offer) -> float:
    return float(offer.dph_total or 0.0)


def plan(offers: Iterable[Offer], nodes: int) -> list[ClusterPlan]:
    """The clusters with at least ``nodes`` of ``offers``, cheapest total first (ties: the
    lower cluster id). Each keeps its offers in the order given (the search's ranking)."""
    plans = [
        ClusterPlan(
            cluster_id=cluster_id,
            offers=tuple(found),
            total=sum(sorted(_price(o) for o in found)[:nodes]),
        )
        for cluster_id, found in _by_cluster(offers).items()
        if len(found) >= nodes
    ]
    return sorted(plans, key=lambda p: (p.total, p.cluster_id))


def shortfall(offers: Iterable[Offer]) -> Shortfall:
    """The cluster with the most matching offers (ties: the cheapest), for a refusal."""
    clusters = _by_cluster(offers)
    if not clusters:
        return Shortfall(clusters=0, best_cluster=None, matched=0)
    best = min(clusters, key=lambda c: (-len(clusters[c]), sum(_price(o) for o in clusters[c]), c))
    return Shortfall(clusters=len(clusters), best_cluster=best, matched=len(clusters[best]))


def rank_owner(owner: Owner | None, rank: int) -> Owner | None:
    """The owner a rank's instance is tagged with: the gang's resource and the rank."""
    return None if owner is None else Owner(owner.stack, f"{owner.resource}/{rank}")


def overlay_address(instance: LiveInstance, readiness: Readiness) -> str:
    """The node's IPv4 address on the overlay, read as one would on Vast: over SSH, from
    ``ip -4 addr show eth0`` inside the instance."""
    endpoints = instance.ssh_endpoints()
    if not endpoints:
        raise RentalFailed(f"instance {instance.id} offers no SSH endpoint to read its address")
    target = remote.SshTarget(
        host=endpoints[0].host, port=endpoints[0].port, private_key=readiness.private_key
    )
    result = remote.run(target, ADDRESS_COMMAND, timeout=ADDRESS_TIMEOUT, check=True)
    found = _INET.search(result.stdout)
    if found is None:
        raise RentalFailed(
            f"instance {instance.id} has no IPv4 address on eth0 (`{ADDRESS_COMMAND}` "
            f"printed {result.stdout.strip()!r}): is it on the overlay?"
        )
    return found.group(1)


class GangFailed(RentalFailed):
    """No cluster could take the whole gang; nothing was left rented."""


@dataclass
class Gang:
    """Renting the ranks of one gang (see the module docstring)."""

    connection: Connection
    request: CreateInstanceRequest
    """The create body of every rank (its ``network`` is set per overlay)."""
    search: OfferSearch
    """What each rank asks of the market (narrowed to a cluster per attempt)."""
    readiness: Readiness
    ssh_keys: tuple[str, ...] = ()
    owner: Owner | None = None
    notes: list[str] = field(default_factory=list)
    rental_factory: Callable[..., Rental] = Rental

    def place(
        self, plans: Sequence[ClusterPlan], nodes: int, network: str
    ) -> tuple[int, int, dict[int, RentalOutcome]]:
        """(cluster id, overlay id, outcome per rank): the first of ``plans`` where the
        overlay and all ``nodes`` ranks could be made; otherwise `GangFailed`, with
        nothing left behind."""
        overlays = self.connection.client.overlays
        for candidate in plans:
            progress.status(f"placing {nodes} nodes on cluster {candidate.cluster_id}")
            overlay = overlays.create(candidate.cluster_id, network)
            try:
                ranks = self.grow(candidate.cluster_id, network, range(nodes))
            except RentalFailed as exc:
                self.notes.append(f"cluster {candidate.cluster_id}: {exc}")
                overlays.delete(overlay.id)
                continue
            except BaseException:
                overlays.delete(overlay.id)
                raise
            return candidate.cluster_id, overlay.id, ranks
        tried = "; ".join(self.notes) or "no cluster had enough matching offers"
        raise GangFailed(f"no cluster could take all {nodes} nodes ({tried}); nothing is rented")

    def grow(self, cluster_id: int, network: str, ranks: Iterable[int]) -> dict[int, RentalOutcome]:
        """Rent ``ranks`` on ``cluster_id``'s overlay ``network``, all at once: when one
        fails, those rented are destroyed and the failure raised."""
        wanted = list(ranks)
        if not wanted:
            return {}
        search = OfferSearch(
            query=self.search.query,
            offer_id=None,
            order=self.search.order,
            disk_gb=self.search.disk_gb,
            bid=self.search.bid,
            cluster_id=cluster_id,
        )
        request = self.request.model_copy(update={"network": network})

        def rent(rank: int) -> RentalOutcome:
            return self.rental_factory(
                connection=self.connection,
                request=request,
                search=search,
                readiness=self.readiness,
                ssh_keys=self.ssh_keys,
                owner=rank_owner(self.owner, rank),
            ).run()

        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            futures = {rank: pool.submit(rent, rank) for rank in wanted}
        done: dict[int, RentalOutcome] = {}
        failures: list[BaseException] = []
        for rank, future in futures.items():
            exc = future.exception()
            if exc is None:
                done[rank] = future.result()
            else:
                failures.append(exc)
        if failures:
            self.release(outcome.instance.id for outcome in done.values())
            failed = failures[0]
            if isinstance(failed, CreatedButFailed):
                # Its instance carries its rank's owner tags: the next run of the rank, or
                # the stack's destroy, finds it; the gang's state never held it.
                raise RentalFailed(str(failed)) from failed
            raise failed
        return done

    def release(self, instance_ids: Iterable[int]) -> None:
        """Destroy the instances of a gang that could not be completed."""
        for instance_id in instance_ids:
            progress.warn(f"destroying instance {instance_id}: its gang could not be completed")
            self.connection.client.instances.destroy(instance_id)


def live_ranks(
    nodes: Sequence[Mapping[str, Any]], listing: Mapping[int, LiveInstance]
) -> dict[int, LiveInstance]:
    """The ranks of ``nodes`` (as a gang's output lists them) whose instance still exists."""
    return {
        int(node["node_rank"]): listing[int(node["instance_id"])]
        for node in nodes
        if int(node["instance_id"]) in listing
    }
