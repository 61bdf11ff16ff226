"""What a stack's rentals cost together: its `vast_cost` output.

Every resource that bills reports its price per hour here (`track`, from its constructor),
and the program's root stack exports, once, ``vast_cost``: ``per_hour`` ($, 4 decimals),
``per_day`` (2 decimals) and how many ``instances``, ``volumes``, ``network_volumes``,
``worker_groups`` and ``training_clusters`` the stack holds (a kind it holds none of is
left out; a worker group counts what its workers bill as of the last `up` or `refresh`, as
the Serverless Engine recruits and releases them between runs); once a resource says how
long it is meant to run (an instance's ``planned_hours``: its task's hours, at most its
TTL), also ``planned``, what those cost for their hours in $, and ``unplanned``, how many
others bill for an unknown time. At preview it is what the stack will cost once applied, and the
engine prints its change against the last `up`:
``~ vast_cost: {~ instances: 2 => 3, ~ per_hour: 0.5108 => 0.9146, ...}``. After `up`
it is what Vast bills (`VastResource.billed_per_hour`: a stopped instance bills only its
disk). At preview a new instance counts the price its "will rent" line
gives, which our provider host shows as the instance's output (`OfferBook.expect`); under
the SDK's stock host, which does not take part in previews, the total is unknown while
the stack rents or changes anything. What `get` reads is not counted (`get` does not run
the resource's constructor): the stack does not pay for it.

The total must count every resource of the program, however they are declared: the
first one to bill exports it, long before the others exist. So the export is an
awaitable (`StackCost.__await__`), which the SDK awaits only when it registers the stack's
outputs, once the program has returned; and a resource declared afterwards (in an
`apply`) before the total is known counts too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Sequence
from typing import Any

import pulumi
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import Stack

__all__ = ["COUNTED", "STACK_OUTPUT", "StackCost", "summary", "track"]

STACK_OUTPUT = "vast_cost"
COUNTED = ("instances", "volumes", "network_volumes", "worker_groups", "training_clusters")
"""The kinds of billing resources `vast_cost` counts, as its keys name them."""


def summary(
    kinds: Sequence[str],
    per_hour: Sequence[float | None],
    hours: Sequence[float | None] | None = None,
) -> dict[str, Any]:
    """`vast_cost` of resources of ``kinds`` costing ``per_hour`` $ each, meant to run
    ``hours`` each (None: not said). ``planned`` ($) is what those that say cost for their
    hours, and ``unplanned`` counts those that do not, beside them."""
    total = sum(cost or 0.0 for cost in per_hour)
    counts = Counter(kinds)
    result: dict[str, Any] = {
        "per_hour": round(total, 4),
        "per_day": round(total * 24, 2),
        **{kind: counts[kind] for kind in COUNTED if counts[kind]},
    }
    spans = list(hours or [None] * len(per_hour))
    if any(span is not None for span in spans):
        planned = [
            (cost or 0.0) * span
            for cost, span in zip(per_hour, spans, strict=True)
            if span is not None
        ]
        result["planned"] = round(sum(planned), 2)
        unplanned = sum(1 for span in spans if span is None)
        if unplanned:
            result["unplanned"] = unplanned
    return result


class StackCost:
    """The `vast_cost` of one root stack, from the resources tracked in it."""

    def __init__(self) -> None:
        self._tracked: list[tuple[str, pulumi.Output[float], pulumi.Output[float | None]]] = []

    def track(
        self,
        kind: str,
        per_hour: pulumi.Output[float],
        hours: pulumi.Output[float | None] | None = None,
    ) -> None:
        if kind not in COUNTED:
            raise ValueError(f"{kind!r} is not a kind vast_cost counts ({', '.join(COUNTED)})")
        self._tracked.append((kind, per_hour, hours or pulumi.Output.from_input(None)))

    def total(self) -> pulumi.Output[dict[str, Any]]:
        """The total of what is tracked by the time it is known (unknown while any part
        is, as at a preview under the SDK's stock host)."""
        return self._total_of(len(self._tracked))

    def _total_of(self, count: int) -> pulumi.Output[dict[str, Any]]:
        tracked = self._tracked[:count]

        def summed(values: list[float | None]) -> Any:
            if len(self._tracked) > count:  # declared meanwhile, in an apply
                return self._total_of(len(self._tracked))
            kinds = [kind for kind, _, _ in tracked]
            return summary(kinds, values[: len(tracked)], values[len(tracked) :])

        costs = [cost for _, cost, _ in tracked]
        hours = [span for _, _, span in tracked]
        return pulumi.Output.all(*costs, *hours).apply(summed)

    def __await__(self) -> Generator[Any, None, pulumi.Output[dict[str, Any]]]:
        # Awaited by the SDK when it registers the stack's outputs: the program is done.
        return self._after_program().__await__()

    async def _after_program(self) -> pulumi.Output[dict[str, Any]]:
        return self.total()


class _Exported:
    """The `StackCost` exported by the current root stack (one per program run)."""

    stack: Stack | None = None
    cost: StackCost | None = None


def track(
    kind: str, per_hour: pulumi.Output[float], hours: pulumi.Output[float | None] | None = None
) -> None:
    """Count a resource of ``kind`` costing ``per_hour`` $, meant to run ``hours`` (if it
    says), in its stack's `vast_cost`."""
    root = get_root_resource()
    if not isinstance(root, Stack):  # not in a program (nothing to export to)
        return
    if _Exported.stack is not root or _Exported.cost is None:
        _Exported.stack, _Exported.cost = root, StackCost()
        pulumi.export(STACK_OUTPUT, _Exported.cost)
    _Exported.cost.track(kind, per_hour, hours)
