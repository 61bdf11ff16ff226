"""The ledger: every instance ever created, what it cost so far, and the totals.

It is how tests prove nothing leaked (`totals.alive == 0`, `totals.dph_now == 0`) and
what `pulumi-vast sim ledger` prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_vast.sim.marketplace import Market
from pulumi_vast.sim.records import Instance, Phase

__all__ = ["ledger_report"]


def _entry(instance: Instance, market: Market, now: float) -> dict[str, Any]:
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


def ledger_report(instances: Iterable[Instance], market: Market, now: float) -> dict[str, Any]:
    """`{"now", "instances": [entry...], "totals": {...}}` for the given instances."""
    entries = [_entry(i, market, now) for i in sorted(instances, key=lambda i: i.id)]
    return {
        "now": now,
        "instances": entries,
        "totals": {
            "instances": len(entries),
            "alive": sum(1 for e in entries if e["status"] != Phase.DESTROYED),
            "running": sum(1 for e in entries if e["status"] == Phase.RUNNING),
            "billing": sum(1 for e in entries if e["dph_now"] > 0),
            "dph_now": sum(e["dph_now"] for e in entries),
            "gpu_cost": sum(e["gpu_cost"] for e in entries),
            "storage_cost": sum(e["storage_cost"] for e in entries),
            "total_cost": sum(e["total_cost"] for e in entries),
        },
    }
