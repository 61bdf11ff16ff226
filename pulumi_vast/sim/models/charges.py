"""Charges: what each contract (instance, volume) of an account cost in a date range.

`GET /api/v0/charges/` (openapi "show charges"; the official client's `show invoices-v1
--charges`) lists one row per contract active in the range, destroyed ones included: its
start and end, its amount (rounded to 3 decimals, as Vast does) and a breakdown by charge
type (`gpu`, `disk`). Costs accrue as the ledger counts them (`records.Instance.costs`,
`records.Volume.cost`), so the amount in a range is what accrued between its ends.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pulumi_vast.sim.models.instances import InstancesBackend
from pulumi_vast.sim.records import Account, Instance
from pulumi_vast.sim.records.volumes import Volume

__all__ = ["ChargesBackend"]


class ChargesBackend(InstancesBackend):
    def charges(
        self, account: Account, start: float, end: float, types: Collection[str]
    ) -> list[dict[str, Any]]:
        """One row per contract of `account` of the given types active in [start, end]."""
        until = min(end, self.now())
        mine = account.digest
        rows: list[dict[str, Any]] = []
        if "instance" in types:
            rows += [
                _instance_row(i, start, until)
                for i in self.instances.values()
                if i.account == account.digest
                and _overlaps(i.created_at, i.destroyed_at, start, end)
            ]
        if "volume" in types:
            rows += [
                _volume_row(v, start, until)
                for v in self.volumes.values()
                if v.account == mine and _overlaps(v.created_at, v.deleted_at, start, end)
            ]
        return rows


def _overlaps(born: float, gone: float | None, start: float, end: float) -> bool:
    return born <= end and (gone is None or gone >= start)


def _instance_row(instance: Instance, start: float, until: float) -> dict[str, Any]:
    later, earlier = instance.costs(until), instance.costs(start)
    gpu, disk = later.gpu - earlier.gpu, later.storage - earlier.storage
    hours = (later.running_seconds - earlier.running_seconds) / 3600
    began = max(instance.created_at, start)
    ended = min(instance.destroyed_at or until, until)
    metadata: dict[str, Any] = {"label": instance.label} if instance.label else {}
    if instance.template_id is not None:
        metadata["template_id"] = instance.template_id
    items = [
        _item(began, ended, "gpu", f"{hours:.3f} hours at ${instance.gpu_dph:.3f}/hour", gpu),
        _item(began, ended, "disk", f"storage at ${instance.storage_dph:.4f}/hour", disk),
    ]
    return _row(began, ended, "instance", instance.id, metadata, items, gpu + disk)


def _volume_row(volume: Volume, start: float, until: float) -> dict[str, Any]:
    amount = volume.cost(until) - volume.cost(start)
    began = max(volume.created_at, start)
    ended = min(volume.deleted_at or until, until)
    metadata: dict[str, Any] = {"label": volume.name} if volume.name else {}
    items = [_item(began, ended, "disk", f"storage at ${volume.storage_dph:.4f}/hour", amount)]
    return _row(began, ended, "volume", volume.id, metadata, items, amount)


def _row(
    began: float,
    ended: float,
    kind: str,
    contract: int,
    metadata: dict[str, Any],
    items: list[dict[str, Any]],
    amount: float,
) -> dict[str, Any]:
    days = max(ended - began, 0.0) / 86400
    return {
        "start": int(began),
        "end": int(ended),
        "type": kind,
        "source": f"{kind}-{contract}",
        "description": f"{kind.capitalize()} {contract} Charges - {days:.1f} days",
        "amount": round(amount, 3),
        "metadata": metadata,
        "items": items,
    }


def _item(began: float, ended: float, kind: str, description: str, amount: float) -> dict[str, Any]:
    return {
        "start": int(began),
        "end": int(ended),
        "type": kind,
        "source": None,
        "description": description,
        "amount": round(amount, 3),
        "metadata": {},
        "items": [],
    }
