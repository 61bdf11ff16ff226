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
    GPU_OFFERS,
    OFFER_ALIASES,
    OFFER_FIELDS,
    VF,
    VOLUME_OFFERS,
    Clear,
    Condition,
    F,
    FieldKind,
    Offer,
    Query,
    QueryError,
    Vocabulary,
    parse_order,
    parse_query,
)
from pulumi_vast.api.query import Fields

EXAMPLE = (
    "gpu_ram>=24 num_gpus=1 reliability>0.95 dph<=0.5 cuda_vers>=12.1 "
    "gpu_name in [RTX_4090,RTX_3090]"
)


def official_parse(text: str, vocabulary: Vocabulary = GPU_OFFERS) -> dict[str, Any]:
    """What the official client sends for ``text``: ``search offers`` parses with the offer
    words, ``search volumes`` with the volume fields, no aliases, the offer multipliers."""
    from vastai.api.query import offers_alias, offers_fields, offers_mult, vol_offers_fields
    from vastai.api.query import parse_query as official

    fields, aliases = (
        (offers_fields, offers_alias) if vocabulary is GPU_OFFERS else (vol_offers_fields, {})
    )
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        result: dict[str, Any] = official(text, {}, fields, aliases, offers_mult)
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


# --------------------------------------------------------------------------- volume offers


VOLUME_EXAMPLE = "disk_space>=50 inet_up>500 duration>=30 geolocation in [US,CA] verified=any"


def test_a_volume_query_reads_like_the_official_volume_search() -> None:
    query = parse_query(VOLUME_EXAMPLE, vocabulary=VOLUME_OFFERS)
    assert query.vocabulary is VOLUME_OFFERS
    assert query.filters == {
        "disk_space": {"gte": 50.0},
        "inet_up": {"gt": 500.0},
        "duration": {"gte": 30 * 86400.0},
        "geolocation": {"in": ["US", "CA"]},
    }
    assert same_filters(query.filters, official_parse(VOLUME_EXAMPLE, VOLUME_OFFERS))
    assert query == Query.where(
        VF.disk_space >= 50,
        VF.inet_up > 500,
        VF.duration >= 30,
        VF.geolocation.in_(["US", "CA"]),
        VF.verified.any(),
    )
    assert parse_query(query.render(), vocabulary=VOLUME_OFFERS) == query


def test_cuda_vers_is_sent_as_the_column_volume_offers_have() -> None:
    # The official volume parser passes no aliases and would send a `cuda_vers` column.
    query = parse_query("cuda_vers>=12.1", vocabulary=VOLUME_OFFERS)
    assert query.filters == {"cuda_max_good": {"gte": 12.1}}
    assert official_parse("cuda_vers>=12.1", VOLUME_OFFERS) == {"cuda_vers": {"gte": "12.1"}}


def test_the_same_text_in_two_vocabularies_is_two_queries() -> None:
    gpu, volume = (
        parse_query("disk_space>=50"),
        parse_query("disk_space>=50", vocabulary=VOLUME_OFFERS),
    )
    assert gpu.filters == volume.filters
    assert gpu != volume and len({gpu, volume}) == 2
    assert gpu.vocabulary is GPU_OFFERS and Query().vocabulary is GPU_OFFERS
    assert repr(volume) == "parse_query('disk_space>=50', vocabulary=<vocabulary of volume offers>)"
    assert repr(VF.disk_space) == "VF.disk_space" and repr(F.disk_space) == "F.disk_space"


def test_unknown_volume_fields_list_the_volume_choices() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("disk_space>=50 gpu_ram>=24", vocabulary=VOLUME_OFFERS)
    err = caught.value
    assert (err.token, err.position) == ("gpu_ram", 15)
    assert "'gpu_ram' at position 15 is a field of GPU offers" in str(err)
    assert "Valid fields of volume offers:" in str(err)
    assert set(err.choices) == set(VOLUME_OFFERS.names())
    with pytest.raises(AttributeError, match="did you mean 'disk_space'"):
        _ = VF.disk_spac
    with pytest.raises(QueryError, match="Valid order fields of volume offers") as order:
        parse_order("dph+", vocabulary=VOLUME_OFFERS)
    assert "score" in order.value.choices and "dph" not in order.value.choices
    assert parse_order("-score,disk_space", vocabulary=VOLUME_OFFERS) == (
        ("score", "desc"),
        ("disk_space", "asc"),
    )


def test_fields_of_two_vocabularies_do_not_mix() -> None:
    with pytest.raises(QueryError) as caught:
        Query.where(F.num_gpus == 1, VF.disk_space >= 50)
    assert str(caught.value) == (
        "VF.disk_space is a field of volume offers, but this query searches GPU offers: "
        "build it with F"
    )
    with pytest.raises(QueryError, match="build it with VF"):
        Query.where(VF.disk_space >= 50).and_(F.num_gpus == 1)
    with pytest.raises(QueryError, match="build it with VF"):
        Query.where(F.disk_space >= 50, vocabulary=VOLUME_OFFERS)
    # Plain conditions take the query's vocabulary; they are checked against it.
    assert Query.where(Condition("disk_space", "gte", 5), vocabulary=VOLUME_OFFERS) == (
        Query.where(VF.disk_space >= 5)
    )
    with pytest.raises(QueryError, match="volume offers"):
        Query.where(Condition("num_gpus", "eq", 1), vocabulary=VOLUME_OFFERS)


def test_a_volume_search_body_has_the_volume_defaults_and_no_offer_type() -> None:
    body = Query.where(VF.disk_space >= 100, VF.external.any()).to_search_body(limit=5)
    assert body == {
        "verified": {"eq": True},
        "disk_space": {"gte": 100.0},
        "order": [["score", "desc"]],
        "limit": 5,
        "allocated_storage": 1.0,
    }
    with pytest.raises(QueryError, match="volume offers have no offer type"):
        Query.where(VF.disk_space >= 100).to_search_body(offer_type="bid")


def test_matches_evaluates_volume_offers_like_the_server() -> None:
    offer = {"id": 7, "disk_space": 512.0, "duration": 40 * 86400.0, "cuda_max_good": 12.4}
    assert parse_query(
        "disk_space>=500 duration>30 cuda_vers>=12", vocabulary=VOLUME_OFFERS
    ).matches(offer)
    assert not parse_query("duration>=41", vocabulary=VOLUME_OFFERS).matches(offer)


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
VOCABULARIES = (GPU_OFFERS, VOLUME_OFFERS)


def _spellings(vocabulary: Vocabulary) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {name: [name] for name in vocabulary.fields}
    for alias, target in vocabulary.aliases.items():
        names[target].append(alias)
    return names


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
def written_conditions(
    draw: Any, vocabulary: Vocabulary = GPU_OFFERS, official: bool = False
) -> tuple[str, list[Condition | Clear]]:
    """A query string with random spellings, and the builder conditions it stands for."""
    names = _spellings(vocabulary)
    if official and vocabulary is VOLUME_OFFERS:
        names = {name: [name] for name in names}  # the official volume parser has no aliases
    fields = Fields(vocabulary)
    parts: list[str] = []
    conditions: list[Condition | Clear] = []
    for _ in range(draw(st.integers(0, 6))):
        spec = vocabulary.fields[draw(st.sampled_from(sorted(vocabulary.fields)))]
        name = draw(st.sampled_from(names[spec.name]))
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
            ref = getattr(fields, name)
            conditions.append(ref.in_(values) if op == "in" else ref.not_in(values))
        else:
            value = draw(_kind_values(spec.kind))
            text = _text(spec.kind, value, draw)
            conditions.append(Condition(spec.name, op, value))
        parts.append(f"{name}{spelled}{text}")
    return " ".join(parts), conditions


def _in_some_vocabulary(official: bool = False) -> st.SearchStrategy[Any]:
    return st.sampled_from(VOCABULARIES).flatmap(
        lambda v: st.tuples(st.just(v), written_conditions(v, official))
    )


@settings(max_examples=300, deadline=None)
@given(_in_some_vocabulary())
def test_written_queries_parse_to_what_the_builder_builds(
    case: tuple[Vocabulary, tuple[str, list[Any]]],
) -> None:
    vocabulary, (text, conditions) = case
    built = Query.where(*conditions, vocabulary=vocabulary)
    parsed = parse_query(text, vocabulary=vocabulary)
    assert parsed == built
    assert parsed.filters == built.filters
    assert parsed.cleared == built.cleared


@settings(max_examples=300, deadline=None)
@given(_in_some_vocabulary())
def test_render_round_trips(case: tuple[Vocabulary, tuple[str, list[Any]]]) -> None:
    vocabulary, (_, conditions) = case
    query = Query.where(*conditions, vocabulary=vocabulary)
    assert parse_query(query.render(), vocabulary=query.vocabulary) == query
    assert parse_query(query.render(), vocabulary=vocabulary).filters == query.filters


@settings(max_examples=300, deadline=None)
@given(_in_some_vocabulary(official=True))
def test_the_official_parser_reads_the_same_filters(
    case: tuple[Vocabulary, tuple[str, list[Any]]],
) -> None:
    vocabulary, (text, _) = case
    theirs = official_parse(text, vocabulary)
    assert same_filters(parse_query(text, vocabulary=vocabulary).filters, theirs), text


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
