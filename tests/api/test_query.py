"""The offer query language: examples, errors, and properties against the official parser."""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_vast.api import (
    OFFER_ALIASES,
    OFFER_FIELDS,
    Clear,
    Condition,
    F,
    FieldKind,
    Offer,
    Query,
    QueryError,
    parse_order,
    parse_query,
)

EXAMPLE = (
    "gpu_ram>=24 num_gpus=1 reliability>0.95 dph<=0.5 cuda_vers>=12.1 "
    "gpu_name in [RTX_4090,RTX_3090]"
)


def official_parse(text: str) -> dict[str, Any]:
    from vastai.api.query import offers_alias, offers_fields, offers_mult
    from vastai.api.query import parse_query as official

    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        result: dict[str, Any] = official(text, {}, offers_fields, offers_alias, offers_mult)
    return result


def same_value(ours: Any, theirs: Any) -> bool:
    """Ours is typed; the official parser sends most scalars as the strings typed."""
    if isinstance(ours, list):
        return (
            isinstance(theirs, list)
            and len(ours) == len(theirs)
            and all(same_value(a, b) for a, b in zip(ours, theirs, strict=True))
        )
    if isinstance(ours, bool) or ours is None:
        return theirs == ours or str(theirs).lower() == str(ours).lower() or theirs == "None"
    if isinstance(ours, int | float):
        return float(theirs) == float(ours)
    return bool(theirs == ours)


def same_filters(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    return ours.keys() == theirs.keys() and all(
        ours[f].keys() == theirs[f].keys()
        and all(same_value(v, theirs[f][op]) for op, v in ops.items())
        for f, ops in ours.items()
    )


# --------------------------------------------------------------------------- examples


def test_the_example_from_the_docs() -> None:
    query = parse_query(EXAMPLE)
    assert query.filters == {
        "gpu_ram": {"gte": 24000.0},
        "num_gpus": {"eq": 1},
        "reliability": {"gt": 0.95},
        "dph_total": {"lte": 0.5},
        "cuda_max_good": {"gte": 12.1},
        "gpu_name": {"in": ["RTX 4090", "RTX 3090"]},
    }
    assert same_filters(query.filters, official_parse(EXAMPLE))
    assert query == Query.where(
        F.gpu_ram >= 24,
        F.num_gpus == 1,
        F.reliability > 0.95,
        F.dph <= 0.5,
        F.cuda_vers >= 12.1,
        F.gpu_name.in_(["RTX 4090", "RTX 3090"]),
    )


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("duration>=3", {"duration": {"gte": 259200.0}}),
        ("cpu_ram>16 gpu_total_ram<=80",
         {"cpu_ram": {"gt": 16000.0}, "gpu_total_ram": {"lte": 80000.0}}),
        ("driver_version>=535.86.05", {"driver_version": {"gte": 535086005}}),
        ("driver_version=550", {"driver_version": {"eq": 550}}),
        ("verified=false static_ip=True", {"verified": {"eq": False}, "static_ip": {"eq": True}}),
        ("cluster_id=null", {"cluster_id": {"eq": None}}),
        ('gpu_name="RTX A6000"', {"gpu_name": {"eq": "RTX A6000"}}),
        ("geolocation notin [CN,RU]", {"geolocation": {"notin": ["CN", "RU"]}}),
        ("geolocation not in [CN, RU]", {"geolocation": {"notin": ["CN", "RU"]}}),
        ("num_gpus in [1,2,4]", {"num_gpus": {"in": [1, 2, 4]}}),
        ("num_gpus gte 2 num_gpus lt 8", {"num_gpus": {"gte": 2, "lt": 8}}),
        ("dlperf_usd>10 flops_usd>1 display_active=false",
         {"dlperf_per_dphtotal": {"gt": 10.0}, "flops_per_dphtotal": {"gt": 1.0},
          "gpu_display_active": {"eq": False}}),
        ("num_gpus=1 num_gpus=2", {"num_gpus": {"eq": 2}}),
        ("gpu_name=RTX_4090 gpu_name=any", {}),
        ("  num_gpus = 1  ", {"num_gpus": {"eq": 1}}),
        ("", {}),
    ],
)  # fmt: skip
def test_parse_examples(text: str, filters: dict[str, Any]) -> None:
    query = parse_query(text)
    assert query.filters == filters
    assert same_filters(query.filters, official_parse(text))
    assert parse_query(query.render()) == query


def test_any_drops_a_default_filter_and_survives_rendering() -> None:
    query = parse_query("verified=any num_gpus=1")
    assert query.cleared == {"verified"}
    body = query.to_search_body()
    assert "verified" not in body and body["rentable"] == {"eq": True}
    assert query.render() == "num_gpus=1 verified=any"
    assert parse_query(query.render()) == query
    assert parse_query("verified=any verified=true").cleared == frozenset()


@pytest.mark.parametrize(
    ("text", "token", "position", "fragment"),
    [
        ("gpu_ram>=lots", "lots", 9, "gpu_ram takes a number (GB)"),
        ("num_gpus=1 gpu_rm>=24", "gpu_rm", 11, "did you mean 'gpu_ram'"),
        ("gpu_ram=>24", "=>", 7, "unknown operator '=>'"),
        ("gpu_ram", "gpu_ram", 0, "needs an operator"),
        ("gpu_ram>=", "gpu_ram", 0, "has no value"),
        ("num_gpus=1.5", "1.5", 9, "a whole number"),
        ("verified=yes", "yes", 9, "true or false"),
        ("driver_version>=535.86", "535.86", 16, "a version like 535.86.05"),
        ("dph<=nan", "nan", 5, "a number"),
        ("num_gpus=1 )", ")", 11, "unexpected"),
        ("gpu_name!=any", "any", 10, "only works with ="),
    ],
)
def test_errors_name_the_token_its_position_and_the_choices(
    text: str, token: str, position: int, fragment: str
) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    err = caught.value
    assert (err.token, err.position) == (token, position)
    assert fragment in str(err)
    assert isinstance(err, ValueError)


def test_unknown_field_lists_every_valid_choice_closest_first() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("gpu_rma>=24")
    choices = caught.value.choices
    assert choices[0] == "gpu_ram"
    assert set(choices) == set(OFFER_FIELDS) | set(OFFER_ALIASES)


def test_order_syntax() -> None:
    assert parse_order("dph+,dlperf-") == (("dph_total", "asc"), ("dlperf", "desc"))
    assert parse_order("-score, num_gpus") == (("score", "desc"), ("num_gpus", "asc"))
    with pytest.raises(QueryError) as caught:
        parse_order("dph+,dlpref-")
    assert (caught.value.token, caught.value.position, caught.value.choices[0]) == (
        "dlpref",
        5,
        "dlperf",
    )


def test_builder_rejects_what_the_field_cannot_hold() -> None:
    with pytest.raises(AttributeError, match="did you mean 'gpu_ram'"):
        _ = F.gpu_rma
    builds: list[Callable[[], object]] = [
        lambda: F.num_gpus == "two",
        lambda: F.verified == 1,
        lambda: F.gpu_ram >= True,
        lambda: F.gpu_name.in_([]),
        lambda: F.gpu_name == ["A", "B"],
        lambda: F.gpu_ram > None,
        lambda: F.driver_version >= "535",
    ]
    for build in builds:
        with pytest.raises(QueryError):
            build()
    with pytest.raises(QueryError, match="_"):
        Query.where(F.gpu_name == "RTX_4090").render()


def test_query_is_an_immutable_value() -> None:
    query = parse_query("num_gpus=1")
    query.filters["num_gpus"]["eq"] = 8
    assert query.filters == {"num_gpus": {"eq": 1}}
    assert parse_query("num_gpus=1 gpu_ram>=24") == parse_query("gpu_ram>=24 num_gpus=1")
    assert len({parse_query("num_gpus=1"), Query.where(F.num_gpus == 1)}) == 1
    assert query.and_(F.num_gpus == 2).filters == {"num_gpus": {"eq": 2}}
    assert query.filters == {"num_gpus": {"eq": 1}}
    assert not Query() and query


def test_matches_evaluates_offers_like_the_server() -> None:
    offer = Offer.model_validate(
        {"id": 1, "gpu_ram": 24576, "num_gpus": 1, "gpu_name": "RTX 4090", "dph_total": 0.4,
         "driver_version": "550.54.14", "rented": True, "reliability2": 0.99}
    )  # fmt: skip
    assert parse_query(EXAMPLE.replace(" cuda_vers>=12.1", "")).matches(offer)
    assert parse_query("driver_version>=535.86.05").matches(offer)
    assert not parse_query("driver_version>=555.0.0").matches(offer)
    assert not parse_query("gpu_ram>=48").matches(offer)
    assert parse_query("gpu_ram>=24").matches({"gpu_ram": 24000})
    # The search defaults are not part of the query: a rented machine still matches.
    assert parse_query("num_gpus=1").matches(offer)


# --------------------------------------------------------------------------- properties

_SPELLINGS: dict[str, list[str]] = {
    "eq": ["=", "==", " = ", " eq "],
    "neq": ["!=", " != ", " neq ", " noteq ", " not eq "],
    "gt": [">", " > ", " gt "],
    "gte": [">=", " >= ", " gte "],
    "lt": ["<", " lt "],
    "lte": ["<=", " lte "],
    "in": [" in "],
    "notin": [" notin ", " not in ", " nin "],
}
_NAMES: dict[str, list[str]] = {name: [name] for name in OFFER_FIELDS}
for _alias, _target in OFFER_ALIASES.items():
    _NAMES[_target].append(_alias)

_WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -.+/:",
                min_size=1, max_size=12)  # fmt: skip
_LITERALS = {"any", "none", "null", "true", "false"}


def _kind_values(kind: FieldKind) -> st.SearchStrategy[Any]:
    if kind is FieldKind.FLOAT:
        return st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.integers(0, 500)
    if kind is FieldKind.INT:
        return st.integers(min_value=0, max_value=10**9)
    if kind is FieldKind.BOOL:
        return st.booleans()
    if kind is FieldKind.VERSION:
        return st.tuples(st.integers(1, 999), st.integers(0, 999), st.integers(0, 999)).map(
            lambda v: f"{v[0]}.{v[1]}.{v[2]}"
        )
    return _WORD.filter(
        lambda w: w.strip().lower() not in _LITERALS and w.strip(" ") != "" and w[0] not in "*?"
    )


def _text(kind: FieldKind, value: Any, draw: Callable[[st.SearchStrategy[Any]], Any]) -> str:
    if kind is FieldKind.BOOL:
        spelled: str = draw(st.sampled_from(["true", "True"] if value else ["false", "False"]))
        return spelled
    if kind is FieldKind.STR:
        return str(value).replace(" ", "_")
    return repr(value) if isinstance(value, float) else str(value)


@st.composite
def written_conditions(draw: Any, official: bool = False) -> tuple[str, list[Condition | Clear]]:
    """A query string with random spellings, and the builder conditions it stands for."""
    parts: list[str] = []
    conditions: list[Condition | Clear] = []
    for _ in range(draw(st.integers(0, 6))):
        spec = OFFER_FIELDS[draw(st.sampled_from(sorted(OFFER_FIELDS)))]
        name = draw(st.sampled_from(_NAMES[spec.name]))
        if draw(st.integers(0, 9)) == 0:
            parts.append(f"{name}={draw(st.sampled_from(['any', '*', '?']))}")
            conditions.append(Clear(spec.name))
            continue
        # The official parser crashes on lists of multiplied or version fields.
        listable = not official or (spec.multiplier == 1.0 and spec.kind is not FieldKind.VERSION)
        ops = ["eq", "neq", "gt", "gte", "lt", "lte"] + (["in", "notin"] if listable else [])
        op = draw(st.sampled_from(ops))
        spelled = draw(st.sampled_from(_SPELLINGS[op]))
        if op in ("in", "notin"):
            values = draw(st.lists(_kind_values(spec.kind), min_size=1, max_size=4))
            text = "[" + ",".join(_text(spec.kind, v, draw) for v in values) + "]"
            ref = getattr(F, name)
            conditions.append(ref.in_(values) if op == "in" else ref.not_in(values))
        else:
            value = draw(_kind_values(spec.kind))
            text = _text(spec.kind, value, draw)
            conditions.append(Condition(spec.name, op, value))
        parts.append(f"{name}{spelled}{text}")
    return " ".join(parts), conditions


@settings(max_examples=300, deadline=None)
@given(written_conditions())
def test_written_queries_parse_to_what_the_builder_builds(case: tuple[str, list[Any]]) -> None:
    text, conditions = case
    built = Query.where(*conditions)
    parsed = parse_query(text)
    assert parsed == built
    assert parsed.filters == built.filters
    assert parsed.cleared == built.cleared


@settings(max_examples=300, deadline=None)
@given(written_conditions())
def test_render_round_trips(case: tuple[str, list[Any]]) -> None:
    query = Query.where(*case[1])
    assert parse_query(query.render()) == query
    assert parse_query(query.render()).filters == query.filters


@settings(max_examples=300, deadline=None)
@given(written_conditions(official=True))
def test_the_official_parser_reads_the_same_filters(case: tuple[str, list[Any]]) -> None:
    text, _ = case
    assert same_filters(parse_query(text).filters, official_parse(text)), text


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=0, max_value=1e7, allow_nan=False), st.sampled_from(["gpu_ram", "duration"])
)
def test_multiplied_values_are_exact_for_the_user_and_scaled_for_the_api(
    value: float, name: str
) -> None:
    query = Query.where(getattr(F, name) >= value)
    api_value = query.filters[name]["gte"]
    assert math.isclose(api_value / OFFER_FIELDS[name].multiplier, value, rel_tol=1e-12)
    assert parse_query(query.render()) == query
