"""The Serverless Engine's knobs, as an endpoint and a worker group take them.

An endpoint holds the knobs of its whole fleet; a worker group may override the three the
API allows per group (`min_load`, `target_util`, `cold_mult`). Each is declared once here,
with the range Vast accepts (`pulumi_vast.api.serverless`, which the simulator enforces),
so that a value Vast would refuse fails `pulumi preview` naming the knob.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from pulumi_vast.api.serverless import (
    MAX_LOAD,
    MAX_QUEUE_SECONDS,
    MAX_TIMEOUT_SECONDS,
    MAX_WORKERS,
)
from pulumi_vast.resources._problems import InvalidField

__all__ = [
    "ColdMult",
    "Load",
    "QueueSeconds",
    "TargetUtil",
    "TimeoutSeconds",
    "WorkerCount",
    "inconsistent_knobs",
]

MAX_COLD_MULT = 100.0
"""The largest `cold_mult` the API takes (`EndpointRequest`'s bound)."""

Load = Annotated[float, Field(ge=0, le=MAX_LOAD)]
"""Perf units (tokens for an LLM) per second."""
TargetUtil = Annotated[float, Field(gt=0, le=1)]
"""The fraction of the workers' capacity the load should use: above 0, at most 1."""
ColdMult = Annotated[float, Field(ge=0, le=MAX_COLD_MULT)]
"""Cold capacity as a multiple of the hot capacity."""
WorkerCount = Annotated[int, Field(ge=0, le=MAX_WORKERS)]
QueueSeconds = Annotated[float, Field(gt=0, le=MAX_QUEUE_SECONDS)]
TimeoutSeconds = Annotated[float, Field(ge=0, le=MAX_TIMEOUT_SECONDS)]


def inconsistent_knobs(
    cold_workers: Any, max_workers: Any, target_queue_time: Any, max_queue_time: Any
) -> InvalidField | None:
    """What is wrong between knobs that are each in range (None: nothing, or a value still
    unknown)."""
    cold, most = cold_workers, max_workers
    if isinstance(cold, int) and isinstance(most, int) and cold > most:
        return InvalidField(
            "cold_workers",
            f"is {cold}, more than max_workers ({most}): raise max_workers or keep fewer cold "
            "workers",
        )
    target, limit = target_queue_time, max_queue_time
    if isinstance(target, int | float) and isinstance(limit, int | float) and target > limit:
        return InvalidField(
            "target_queue_time",
            f"is {target:g} s, longer than max_queue_time ({limit:g} s): lower it or raise "
            "max_queue_time",
        )
    return None
