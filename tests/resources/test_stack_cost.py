"""The stack's `vast_cost`: the sum of what its resources cost, however they are declared."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from pulumi_vast.resources._stack_cost import StackCost, summary


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """pulumi.Output needs an event loop of the thread, as a program has."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def exported(loop: asyncio.AbstractEventLoop, cost: StackCost) -> tuple[Any, bool]:
    """(value, known) of ``cost`` as the SDK registers an exported value once the program
    has returned: an Input, awaited."""
    output = pulumi.Output.from_input(cost)
    value = loop.run_until_complete(output.future(with_unknowns=True))
    return value, loop.run_until_complete(output.is_known())


def pending(
    loop: asyncio.AbstractEventLoop, *, known: bool = True
) -> tuple[pulumi.Output[float], asyncio.Future[float]]:
    """An output whose value comes when the returned future gets one (as a create's does);
    unknown, as at a preview that cannot tell, unless ``known``."""
    value: asyncio.Future[float] = loop.create_future()
    is_known: asyncio.Future[bool] = loop.create_future()
    is_known.set_result(known)
    return pulumi.Output(set(), value, is_known), value


def test_the_summary_rounds_and_counts_each_kind_held() -> None:
    assert summary(["instances", "instances", "volumes"], [0.25491, 0.2558, 0.0015]) == {
        "per_hour": 0.5122,
        "per_day": 12.29,
        "instances": 2,
        "volumes": 1,
    }
    assert summary([], []) == {"per_hour": 0, "per_day": 0}


def test_everything_tracked_before_the_program_returns_counts(
    loop: asyncio.AbstractEventLoop,
) -> None:
    cost = StackCost()
    cost.track("network_volumes", pulumi.Output.from_input(0.006))
    cost.track("instances", pulumi.Output.from_input(0.5))

    assert exported(loop, cost) == (
        {"per_hour": 0.506, "per_day": 12.14, "instances": 1, "network_volumes": 1},
        True,
    )


def test_a_resource_declared_before_the_total_is_known_counts(
    loop: asyncio.AbstractEventLoop,
) -> None:
    cost = StackCost()
    first, created = pending(loop)
    cost.track("instances", first)
    # declared in an apply on the first one's output, as a program may
    first.apply(lambda _: cost.track("volumes", pulumi.Output.from_input(0.01)))
    loop.call_soon(created.set_result, 0.2)

    value, known = exported(loop, cost)

    assert known
    assert value == {"per_hour": 0.21, "per_day": 5.04, "instances": 1, "volumes": 1}


def test_an_unknown_cost_makes_the_total_unknown(loop: asyncio.AbstractEventLoop) -> None:
    cost = StackCost()
    cost.track("instances", pulumi.Output.from_input(0.5))
    unknown, value = pending(loop, known=False)
    value.set_result(0.0)
    cost.track("instances", unknown)

    assert exported(loop, cost)[1] is False


@pytest.mark.usefixtures("loop")
def test_only_the_kinds_it_counts_are_tracked() -> None:
    with pytest.raises(ValueError, match="network_volumes, worker_groups, training_clusters"):
        StackCost().track("templates", pulumi.Output.from_input(0.0))


def test_planned_hours_add_what_the_stack_costs_for_them() -> None:
    assert summary(["instances", "instances", "volumes"], [0.5, 0.25, 0.01], [10, None, None]) == {
        "per_hour": 0.76,
        "per_day": 18.24,
        "instances": 2,
        "volumes": 1,
        "planned": 5.0,
        "unplanned": 2,
    }
    assert "planned" not in summary(["instances"], [0.5], [None])
