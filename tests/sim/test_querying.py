"""Vast's query documents as the server reads them: typed filters, order, keyset pages."""

from __future__ import annotations

from typing import Any

import pytest
from vastai.api.query import offers_alias, offers_fields, offers_mult, parse_query

from pulumi_vast.sim.errors import InvalidRequest, InvalidToken
from pulumi_vast.sim.querying import (
    filter_offers,
    order_instances,
    page_after,
    parse_order_by,
    select_instances,
)

OFFERS: list[dict[str, Any]] = [
    {
        "id": 1,
        "gpu_name": "RTX 4090",
        "num_gpus": 1,
        "gpu_ram": 24564,
        "reliability": 0.99,
        "dph_total": 0.4,
        "verified": True,
        "geolocation": "Sweden, SE",
        "driver_version": "550.127.05",
    },
    {
        "id": 2,
        "gpu_name": "RTX 3090",
        "num_gpus": 2,
        "gpu_ram": 24576,
        "reliability": 0.95,
        "dph_total": 0.5,
        "verified": True,
        "geolocation": "Texas, US",
        "driver_version": "535.183.01",
    },
    {
        "id": 3,
        "gpu_name": "RTX 3060",
        "num_gpus": 1,
        "gpu_ram": 12288,
        "reliability": 0.8,
        "dph_total": 0.05,
        "verified": False,
        "geolocation": "Taiwan, TW",
        "driver_version": "525.147.05",
    },
]


def _official(query: str) -> dict[str, Any]:
    """The filter document the official CLI sends for a query string."""
    return parse_query(query, {}, offers_fields, offers_alias, offers_mult)


def _ids(filters: dict[str, Any], order: Any = None, limit: Any = None) -> list[int]:
    return [row["id"] for row in filter_offers(OFFERS, filters, order, limit, default_limit=64)]


def test_official_query_strings_match_as_the_server_types_them() -> None:
    # The official client sends "1" for num_gpus=1 and "0.9" for reliability>0.9.
    assert _ids(_official("gpu_ram>=24 num_gpus=1")) == [1]
    assert _ids(_official("reliability>0.9 verified=true")) == [1, 2]
    assert _ids(_official("gpu_name=RTX_3090")) == [2]
    assert _ids(_official("gpu_name in [RTX_4090, RTX_3060]")) == [1, 3]
    assert _ids(_official("dph<=0.4")) == [1, 3]


def test_geolocation_filters_by_country_code() -> None:
    assert _ids(_official("geolocation in [TW,SE]")) == [1, 3]
    assert _ids(_official("geolocation notin [TW,SE]")) == [2]
    assert _ids({"geolocation": {"eq": "Texas, US"}}) == [2]


def test_driver_version_compares_as_a_version() -> None:
    assert _ids(_official("driver_version >= 535.86.05")) == [1, 2]


def test_order_and_limit() -> None:
    assert _ids({}, order=[["dph_total", "asc"]]) == [3, 1, 2]
    assert _ids({}, order=[["reliability", "desc"]], limit=2) == [1, 2]


def test_unknown_field_or_order_key_is_a_clear_400() -> None:
    with pytest.raises(InvalidRequest, match="gpu_rma is not a valid search key"):
        _ids({"gpu_rma": {"gte": 1}})
    with pytest.raises(InvalidRequest, match="not a valid order key"):
        _ids({}, order=[["speed", "asc"]])
    with pytest.raises(InvalidRequest, match="unknown operator"):
        _ids({"num_gpus": {"approx": 1}})


ROWS = [
    {"id": i, "label": None if i % 3 else f"l{i % 2}", "start_date": 100 - i} for i in range(1, 31)
]
COLUMNS = ["id", "label", "start_date"]


def _all_pages(keys: Any, limit: int) -> list[int]:
    ordered = order_instances(ROWS, keys)
    seen: list[int] = []
    token = None
    while True:
        page, token = page_after(ordered, keys, limit, token)
        seen += [row["id"] for row in page]
        if token is None:
            return seen


def test_keyset_pages_cover_every_row_once_in_order() -> None:
    keys = parse_order_by(None, COLUMNS)
    assert keys == [("id", False)]
    assert _all_pages(keys, 7) == list(range(1, 31))
    desc = parse_order_by([{"col": "start_date", "dir": "asc"}], COLUMNS)
    assert desc[-1] == ("id", False)
    assert _all_pages(desc, 25) == list(range(30, 0, -1))
    labels = parse_order_by([{"col": "label", "dir": "desc"}], COLUMNS)
    pages = _all_pages(labels, 4)
    assert sorted(pages) == list(range(1, 31))
    assert pages[-1] in {i for i in range(1, 31) if i % 3}, "unlabelled (None) rows sort last"


def test_page_size_is_capped_at_25_and_small_limits_mean_5() -> None:
    keys = parse_order_by(None, COLUMNS)
    assert len(page_after(ROWS, keys, 100, None)[0]) == 25
    assert len(page_after(ROWS, keys, 0, None)[0]) == 5
    assert page_after(ROWS, keys, 30, None)[1] is not None, "30 rows need two pages of 25"
    assert page_after(ROWS[:25], keys, 30, None)[1] is None


def test_a_token_we_did_not_issue_is_invalid() -> None:
    keys = parse_order_by(None, COLUMNS)
    with pytest.raises(InvalidToken):
        page_after(ROWS, keys, 5, "not-a-token")


def test_select_filters_only_on_stored_columns() -> None:
    rows = [{"id": 1, "label": None}, {"id": 2, "label": "x"}]
    filterable = frozenset({"id", "label"})
    assert select_instances(rows, {"label": {"in": [None]}}, filterable) == [rows[0]]
    with pytest.raises(InvalidRequest, match="dph_total is not a valid search key"):
        select_instances(rows, {"dph_total": {"lt": 1}}, filterable)
    with pytest.raises(InvalidRequest, match="not a valid column"):
        parse_order_by([{"col": "nope"}], COLUMNS)


def test_a_string_operand_is_typed_by_the_column_even_when_the_first_row_has_none() -> None:
    rows = [{"id": 1, "cluster_id": None}, {"id": 2, "cluster_id": 700}]
    # The official CLI sends `cluster_id=700` as {"eq": "700"}.
    kept = filter_offers(rows, {"cluster_id": {"eq": "700"}}, None, None, default_limit=10)
    assert [row["id"] for row in kept] == [2]
