"""From a task to the offers worth renting for it, ranked by what the whole job costs.

The GPU-rental workflow the package follows: a model's size and precision give the VRAM it
needs (20 % headroom), its checkpoint the disk; the hours a job takes on a reference GPU
scale by each offer's speed (Vast's DLPerf score), so a card twice as fast at less than
twice the price is the cheaper rental. Offers rank by estimated total cost (price per hour,
disk included, times the scaled hours); one below `RELIABLE` is flagged as a budget pick.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_vast.api import F, Query
from pulumi_vast.api.units import MIB_PER_GIB, QUERY_MB_PER_GB
from pulumi_vast.market.estimate import CostEstimate, estimate
from pulumi_vast.market.ranking import describe_offer

__all__ = [
    "BYTES_PER_PARAMETER",
    "REFERENCE_DLPERF",
    "REFERENCE_GPU",
    "RELIABLE",
    "TIER_ORDERS",
    "Requirements",
    "TaskEstimate",
    "rank_by_total",
]

BYTES_PER_PARAMETER = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}
VRAM_HEADROOM = 1.2
"""Activations, caches and the CUDA context on top of the weights: 20 %."""
BASE_DISK_GB = 20.0
"""The image, packages and scratch space, besides the model's checkpoint."""
DEFAULT_DISK_GB = 50.0
REFERENCE_GPU = "RTX 3090"
REFERENCE_DLPERF = 21.5
"""Vast's DLPerf score of one RTX 3090: a task's `hours` are measured on one."""
RELIABLE = 0.97
"""Below this reliability an offer is a budget pick: about a 3 % chance of interruption."""
TIER_ORDERS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("dph", "asc"),),
    (("dlperf_per_dphtotal", "desc"),),
    (("dlperf", "desc"),),
)
"""A task searches the market three ways (cheapest, best value, fastest), so that fast
cards that cost less in total are among the candidates, not only the cheapest per hour."""


@dataclass(frozen=True)
class Requirements:
    """What a task needs of an offer, and how long it runs on the reference GPU."""

    vram_gib: float
    """VRAM per GPU, in GiB as cards are sold (a 24 GB card has 24)."""
    num_gpus: int
    disk_gb: float
    cuda: float
    hours: float
    reference_dlperf: float = REFERENCE_DLPERF

    @classmethod
    def of(
        cls,
        *,
        hours: float,
        params_b: float | None = None,
        precision: str = "fp16",
        min_vram_gb: float | None = None,
        num_gpus: int = 1,
        disk_gb: float | None = None,
        cuda: float = 12.1,
    ) -> Requirements:
        checkpoint_gb = (params_b or 0.0) * BYTES_PER_PARAMETER[precision]
        total_vram = min_vram_gb if min_vram_gb is not None else checkpoint_gb * VRAM_HEADROOM
        if disk_gb is None:
            disk_gb = max(DEFAULT_DISK_GB, math.ceil(BASE_DISK_GB + checkpoint_gb))
        return cls(
            vram_gib=round(total_vram / num_gpus, 1),
            num_gpus=num_gpus,
            disk_gb=float(disk_gb),
            cuda=cuda,
            hours=hours,
        )

    def query(self) -> Query:
        # The query language counts 1000 MB to a GB and the API MiB: a card of V GiB has
        # gpu_ram V * 1.024 there.
        gpu_ram = math.ceil(self.vram_gib * MIB_PER_GIB / QUERY_MB_PER_GB * 10) / 10
        return Query.where(
            F.gpu_ram >= gpu_ram, F.num_gpus == self.num_gpus, F.cuda_max_good >= self.cuda
        )

    def hours_on(self, offer: Mapping[str, Any]) -> float:
        """The task's hours on ``offer``: the reference hours scaled by its DLPerf."""
        dlperf = float(offer.get("dlperf") or 0)
        if dlperf <= 0:
            return self.hours
        return self.hours * self.reference_dlperf / dlperf

    def summary(self) -> str:
        gpus = f"{self.num_gpus} GPUs of " if self.num_gpus > 1 else ""
        return (
            f"{gpus}>= {self.vram_gib:g} GB VRAM, {self.disk_gb:g} GB disk, CUDA >= "
            f"{self.cuda:g}, {self.hours:g} h on one {REFERENCE_GPU}"
        )


@dataclass(frozen=True)
class TaskEstimate:
    """One offer for a task: how long the task runs there and what it costs in all."""

    offer: Mapping[str, Any]
    cost: CostEstimate

    @property
    def hours(self) -> float:
        return self.cost.hours

    @property
    def reliable(self) -> bool:
        return float(self.offer.get("reliability") or 0) >= RELIABLE

    def line(self) -> str:
        text = (
            f"{describe_offer(self.offer)}: ~{self.hours:.1f} h x ${self.cost.per_hour:.3f}/h "
            f"= ${self.cost.total:.2f}"
        )
        if not self.reliable:
            text += f" (budget pick: reliability under {RELIABLE:g})"
        return text

    @classmethod
    def of(cls, offer: Mapping[str, Any], needs: Requirements) -> TaskEstimate:
        hours = needs.hours_on(offer)
        return cls(offer, estimate(offer, disk_gb=needs.disk_gb, hours=hours))


def rank_by_total(offers: Iterable[Any], needs: Requirements) -> list[Any]:
    """``offers`` (models with ``as_row``, or mappings) cheapest in total first; then the
    more reliable, then the lower id, so the same market always ranks the same."""

    def key(offer: Any) -> tuple[float, float, int]:
        row = offer.as_row() if hasattr(offer, "as_row") else offer
        total = TaskEstimate.of(row, needs).cost.total
        return (round(total, 6), -float(row.get("reliability") or 0), int(row.get("id") or 0))

    return sorted(offers, key=key)
