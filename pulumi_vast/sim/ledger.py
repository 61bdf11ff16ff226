"""The ledger: everything that ever billed, what it cost so far, and the totals.

It is how tests prove nothing leaked (`totals.billing == 0`, `totals.dph_now == 0`, and
`totals.alive == 0` for instances) and what `pulumi-vast sim ledger` prints. Each object
that bills adds a section (`LedgerSection`: its entries and its own counts, such as
``instances``/``alive``/``running``); the money totals add up every section's entries,
each of which carries ``dph_now``, ``storage_cost`` and ``total_cost`` (and ``gpu_cost``
when it has GPUs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_vast.sim.marketplace import Market
from pulumi_vast.sim.records import Instance

__all__ = ["LedgerSection", "instance_entry", "ledger_report"]


@dataclass(frozen=True)
class LedgerSection:
    """One kind of billable thing: its entries and its own counts."""

    name: str
    entries: list[dict[str, Any]]
    counts: dict[str, int]


def instance_entry(instance: Instance, market: Market, now: float) -> dict[str, Any]:
    costs = instance.costs(now)
    return {
        "id": instance.id,
        "account_id": instance.account_id,
        "label": instance.label,
        "offer_id": instance.offer_id,
        "machine_id": instance.machine_id,
        "gpu_name": market.offers[instance.offer_id].machine.gpu.name,
        "num_gpus": instance.num_gpus,
        "is_bid": instance.is_bid,
        "status": str(instance.phase),
        "dph_total": instance.dph_total,
        "gpu_dph": instance.gpu_dph,
        "storage_dph": instance.storage_dph,
        "created_at": instance.created_at,
        "destroyed_at": instance.destroyed_at,
        "running_intervals": [[start, stop] for start, stop in instance.running_intervals()],
        "running_seconds": costs.running_seconds,
        "gpu_cost": costs.gpu,
        "storage_cost": costs.storage,
        "total_cost": costs.total,
        "dph_now": instance.dph_now(),
    }


def ledger_report(now: float, sections: Sequence[LedgerSection]) -> dict[str, Any]:
    """`{"now", <section>: [entry...], ..., "totals": {...}}`."""
    entries = [entry for section in sections for entry in section.entries]
    totals: dict[str, Any] = {}
    for section in sections:
        totals.update(section.counts)
    totals.update(
        {
            "billing": sum(1 for e in entries if e["dph_now"] > 0),
            "dph_now": sum(e["dph_now"] for e in entries),
            "gpu_cost": sum(e.get("gpu_cost", 0.0) for e in entries),
            "storage_cost": sum(e["storage_cost"] for e in entries),
            "total_cost": sum(e["total_cost"] for e in entries),
        }
    )
    return {"now": now, **{s.name: s.entries for s in sections}, "totals": totals}
