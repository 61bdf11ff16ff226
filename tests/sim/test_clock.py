"""The simulator's clock: it only moves forward, finitely and by bounded steps."""

from __future__ import annotations

import math

import pytest

from pulumi_vast.sim.clock import MAX_ADVANCE, MAX_OFFSET, Clock


def test_advance_moves_now_forward() -> None:
    clock = Clock(wall=lambda: 1000.0)
    assert clock.advance(60) == 1060.0
    assert clock.offset == 60.0


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf, 1e308, MAX_ADVANCE + 1])
def test_advance_refuses_steps_back_or_out_of_bounds(seconds: float) -> None:
    clock = Clock(wall=lambda: 1000.0)
    with pytest.raises(ValueError, match="moves forward 0 to"):
        clock.advance(seconds)
    assert clock.offset == 0.0


def test_the_clock_runs_at_most_max_offset_ahead_in_all() -> None:
    clock = Clock(wall=lambda: 1000.0)
    while clock.offset + MAX_ADVANCE <= MAX_OFFSET:
        clock.advance(MAX_ADVANCE)
    with pytest.raises(ValueError, match="at most"):
        clock.advance(MAX_ADVANCE)
    assert clock.offset <= MAX_OFFSET
