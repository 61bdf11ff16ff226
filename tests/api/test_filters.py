"""The shared filter evaluator (also used by the simulator to answer searches)."""

from __future__ import annotations

import pytest

from pulumi_vast.api.filters import FilterError, matches, sort_rows, split_search_body

ROW = {"gpu_name": "RTX 4090", "num_gpus": 2, "reliability": "0.97", "driver_version": "550.54.14"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"num_gpus": {"gte": 2, "lt": 4}}, True),
        ({"num_gpus": {"eq": "2"}}, False),  # a string is compared as a string
        ({"num_gpus": {"eq": 2.0}}, True),
        ({"reliability": {"gt": 0.95}}, True),  # numeric strings compare as numbers
        ({"gpu_name": {"in": ["RTX 3090", "RTX 4090"]}}, True),
        ({"gpu_name": {"notin": ["RTX 4090"]}}, False),
        ({"cluster_id": {"eq": None}}, True),  # a missing field reads as None
        ({"cluster_id": {"gt": 1}}, False),
        ({"driver_version": {"gte": 535086005}}, True),  # dotted versions compare as numbers
        ({"driver_version": {"lt": 550054014}}, False),
        ({"driver_version": {"eq": 550054014}}, True),
    ],
)
def test_matches(filters: dict[str, dict[str, object]], expected: bool) -> None:
    assert matches(filters, ROW) is expected


def test_unknown_operator_and_malformed_clause_are_errors() -> None:
    with pytest.raises(FilterError, match="like"):
        matches({"num_gpus": {"like": 2}}, ROW)
    with pytest.raises(FilterError, match="must be an object"):
        split_search_body({"num_gpus": 2})


def test_split_and_sort() -> None:
    filters, controls = split_search_body({"num_gpus": {"eq": 1}, "order": [["dph_total", "asc"]],
                                           "type": "on-demand", "limit": 5})  # fmt: skip
    assert filters == {"num_gpus": {"eq": 1}}
    assert controls == {"order": [["dph_total", "asc"]], "type": "on-demand", "limit": 5}
    rows: list[dict[str, float]] = [{"id": 1, "dph": 0.5}, {"id": 2}, {"id": 3, "dph": 0.2},
                                    {"id": 4, "dph": 0.5}]  # fmt: skip
    ordered = sort_rows(rows, [["dph", "desc"], ["id", "desc"]])
    assert [r["id"] for r in ordered] == [4, 1, 3, 2]


def test_a_volume_search_body_splits_and_evaluates_like_an_offer_search() -> None:
    from pulumi_vast.api import VF, Query

    body = Query.where(VF.disk_space >= 100, VF.duration > 7).to_search_body(limit=3)
    filters, controls = split_search_body(body)
    assert controls == {"order": [["score", "desc"]], "limit": 3, "allocated_storage": 1.0}
    volume_offer = {"id": 9, "verified": True, "external": False, "disk_space": 120.0,
                    "duration": 8 * 86400.0}  # fmt: skip
    assert matches(filters, volume_offer)
    assert not matches(filters, {**volume_offer, "disk_space": 99.0})
