"""`max_budget`: a plan whose estimated total exceeds it is refused before anything is rented.

Each instance's check records what it plans to spend (`Plan`: its price per hour and the
hours it is meant to run, from its `max_hours` or its task) in the provider process's
`Plans`, which every resource of the stack checks into, and is refused when its own total
exceeds its own `policy.max_budget`, or the stack's total exceeds `vast:policy.max_budget`
(the resource whose check takes the total over the budget is refused, and any checked
again after it; `pulumi up` previews, checking every resource, before it creates any). A plan
with no hours known cannot be estimated: under a budget it is refused, saying what to set.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pulumi_vast.resources._policy import Policy
from pulumi_vast.resources._problems import Failure

__all__ = ["Plan", "Plans", "budget_failures"]


@dataclass(frozen=True)
class Plan:
    """What one resource is planned to spend."""

    resource: str
    per_hour: float
    hours: float | None
    """None: nothing says how long it runs (no `max_hours`, no task)."""

    @property
    def total(self) -> float | None:
        return None if self.hours is None else self.per_hour * self.hours

    def text(self) -> str:
        if self.hours is None:
            return f"{self.resource}: ${self.per_hour:.3f}/h for an unknown time"
        return f"{self.resource}: ${self.per_hour:.3f}/h x {self.hours:g} h = ${self.total:.2f}"


class Plans:
    """The plans of the resources checked in this provider process, by resource key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[str, Plan] = {}

    def record(self, key: str, plan: Plan) -> list[Plan]:
        """Record ``plan`` for resource ``key``; every plan recorded, in the order made."""
        with self._lock:
            self._plans[key] = plan
            return list(self._plans.values())


def budget_failures(
    plan: Plan, own: Policy | None, stack: Policy | None, every: list[Plan]
) -> list[Failure]:
    """Why ``plan`` breaks the resource's own budget or the stack's (``every`` plan of the
    stack, ``plan`` included); none when it fits."""
    failures: list[Failure] = []
    mine = own.max_budget if own is not None else None
    if isinstance(mine, float | int):
        failures += _over(plan, [plan], float(mine), "policy.max_budget", "this instance's")
    ours = stack.max_budget if stack is not None else None
    if isinstance(ours, float | int):
        failures += _over(plan, every, float(ours), "vast:policy.max_budget", "the stack's")
    return failures


def _over(plan: Plan, plans: list[Plan], budget: float, where: str, whose: str) -> list[Failure]:
    unknown = [p for p in plans if p.hours is None]
    if plan in unknown:
        return [
            (
                where,
                f"{whose} budget is ${budget:g}, and {plan.text()}, so its total cannot be "
                "estimated: set max_hours (the instance's policy.max_hours, or "
                "vast:policy.max_hours for the stack), or give it a task with its hours",
            )
        ]
    if unknown:
        return []  # the resource without hours is refused on its own
    total = sum(p.total or 0.0 for p in plans)
    if total <= budget:
        return []
    # By name, not check order (the engine checks in parallel): the same plan reads the same.
    parts = "; ".join(p.text() for p in sorted(plans, key=lambda p: p.resource))
    return [
        (
            where,
            f"the estimated total ${total:.2f} exceeds {whose} budget of ${budget:g} "
            f"({parts}); raise max_budget, lower max_hours, or rent less (nothing was rented)",
        )
    ]
