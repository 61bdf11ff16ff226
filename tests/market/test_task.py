"""A task's needs, hours scaled by DLPerf, and offers ranked by estimated total cost."""

from __future__ import annotations

import pytest

from pulumi_vast.market.task import REFERENCE_DLPERF, Requirements, TaskEstimate, rank_by_total


def offer(id_: int, dph: float, dlperf: float, reliability: float = 0.99) -> dict[str, object]:
    return {
        "id": id_,
        "gpu_name": "GPU",
        "num_gpus": 1,
        "gpu_ram": 24576,
        "dph_base": dph,
        "dph_total": dph,
        "storage_cost": 0.0,
        "dlperf": dlperf,
        "reliability": reliability,
    }


def test_a_7b_fp16_model_needs_its_weights_and_a_fifth_more_and_a_50_gb_disk() -> None:
    needs = Requirements.of(hours=10, params_b=7)
    assert (needs.vram_gib, needs.disk_gb, needs.cuda) == (16.8, 50.0, 12.1)
    # 16.8 GiB in the query language's GB (1000 MB each, of the API's MiB), rounded up.
    assert needs.query().render() == "gpu_ram>=17.3 num_gpus=1 cuda_max_good>=12.1"


def test_precision_gpus_and_an_explicit_vram_size_the_gpu() -> None:
    assert Requirements.of(hours=1, params_b=70, precision="int4").vram_gib == 42.0
    assert Requirements.of(hours=1, params_b=70, num_gpus=4).vram_gib == 42.0
    assert Requirements.of(hours=1, params_b=70).disk_gb == 160.0  # 20 + the checkpoint
    assert Requirements.of(hours=1, min_vram_gb=40, params_b=1).vram_gib == 40.0


def test_hours_scale_by_dlperf_against_the_reference_gpu() -> None:
    needs = Requirements.of(hours=10, params_b=1)
    assert needs.hours_on(offer(1, 0.2, REFERENCE_DLPERF)) == pytest.approx(10)
    assert needs.hours_on(offer(1, 0.2, REFERENCE_DLPERF * 2)) == pytest.approx(5)
    assert needs.hours_on(offer(1, 0.2, 0)) == 10, "no score: the reference's hours"


def test_a_faster_card_that_costs_less_in_total_ranks_first() -> None:
    needs = Requirements.of(hours=8, params_b=1)
    slow_cheap = offer(1, 0.30, REFERENCE_DLPERF)  # 8 h x 0.30 = 2.40
    fast = offer(2, 0.90, REFERENCE_DLPERF * 4)  # 2 h x 0.90 = 1.80
    assert [o["id"] for o in rank_by_total([slow_cheap, fast], needs)] == [2, 1]
    line = TaskEstimate.of(fast, needs).line()
    assert line.endswith("~2.0 h x $0.900/h = $1.80"), line


def test_an_offer_under_097_reliability_is_flagged_a_budget_pick() -> None:
    needs = Requirements.of(hours=1, params_b=1)
    assert "budget pick" in TaskEstimate.of(offer(1, 0.1, 20, reliability=0.95), needs).line()
    assert "budget pick" not in TaskEstimate.of(offer(1, 0.1, 20, 0.98), needs).line()
