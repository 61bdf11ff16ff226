import pytest

from pulumi_vast.market import estimate
from pulumi_vast.market.estimate import HOURS_PER_MONTH


def test_compute_plus_storage_for_the_disk_asked():
    cost = estimate({"dph_base": 0.30, "storage_cost": 0.10}, disk_gb=72, hours=10)
    assert cost.storage_per_hour == pytest.approx(0.10 * 72 / HOURS_PER_MONTH)
    assert cost.per_hour == pytest.approx(0.30 + 0.01)
    assert cost.total == pytest.approx(3.1)
    assert cost.per_day == pytest.approx(0.31 * 24)


def test_falls_back_to_dph_total_without_dph_base():
    cost = estimate({"dph_total": 0.5, "storage_cost": 0.0}, disk_gb=10)
    assert cost.per_hour == pytest.approx(0.5)


def test_summary_mentions_hourly_and_daily_cost():
    assert estimate({"dph_base": 0.25}, disk_gb=0).summary() == "$0.250/h ($6.00/day)"
    assert "for 2 h" in estimate({"dph_base": 0.25}, disk_gb=0, hours=2).summary()
