"""The offer query language: parse the CLI syntax, build queries in Python, render back.

``parse_query("gpu_ram>=24 num_gpus=1 dph<=0.5 gpu_name in [RTX_4090,RTX_3090]")`` and
``Query.where(F.gpu_ram >= 24, F.num_gpus == 1, F.dph <= 0.5,
F.gpu_name.in_(["RTX 4090", "RTX 3090"]))`` are the same `Query`; ``q.filters`` is the JSON
the API takes (``{"gpu_ram": {"gte": 24000.0}, ...}``), ``q.render()`` the string again.

Each kind of offer has its own words, a `Vocabulary`: GPU offers (`GPU_OFFERS`, built
with `F`, the default everywhere) and volume offers (`VOLUME_OFFERS`, built with `VF`:
``Query.where(VF.disk_space >= 50)``, or ``parse_query("disk_space>=50",
vocabulary=VOLUME_OFFERS)``). A query carries its vocabulary, so it renders, converts and
builds its search body with the right fields, units and defaults, and
``parse_query(q.render(), vocabulary=q.vocabulary) == q``.

The syntax is the official client's (same operators, aliases, unit multipliers, ``_`` for
a space, ``any``/``*``/``?`` with ``=`` to drop a filter, ``true``/``false``/``null``), but
stricter: an unknown field, operator or a value of the wrong type raises `QueryError`
naming the token, its position and the valid choices of that vocabulary, where the
official client warns or sends the string through. Values are typed per field; a query
keeps them in the user's units (GB, days) and converts when producing ``filters``, so
that the round trip holds exactly.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, cast

from pulumi_vast.api import filters as filter_eval
from pulumi_vast.api.errors import QueryError
from pulumi_vast.api.field_values import (
    WILDCARDS,
    Scalar,
    api_value,
    typed_value,
    value_from_text,
    value_text,
)
from pulumi_vast.api.offer_fields import GPU_OFFERS
from pulumi_vast.api.vocabulary import OfferField, Vocabulary
from pulumi_vast.api.volume_offer_fields import VOLUME_OFFERS

__all__ = [
    "CHEAPEST_FIRST",
    "DEFAULT_FILTERS",
    "GPU_OFFERS",
    "OFFICIAL_ORDER",
    "VF",
    "VOLUME_OFFERS",
    "Clear",
    "Condition",
    "F",
    "FieldRef",
    "Fields",
    "Op",
    "Order",
    "Query",
    "build_search_body",
    "parse_order",
    "parse_query",
]

Op = Literal["eq", "neq", "gt", "gte", "lt", "lte", "in", "notin"]
Direction = Literal["asc", "desc"]
Order: TypeAlias = tuple[tuple[str, Direction], ...]
Value: TypeAlias = Scalar | tuple[Scalar, ...]
OfferType = Literal["on-demand", "bid", "reserved"]

DEFAULT_FILTERS: Mapping[str, Mapping[str, Any]] = GPU_OFFERS.default_filters
"""What the official client adds to every GPU offer search unless told not to."""

OFFICIAL_ORDER: Order = (("score", "desc"),)
"""The official client's default order."""
CHEAPEST_FIRST: Order = (("dph_total", "asc"),)
"""The default order of pulumi-vast's resources."""

# Operator spellings, exactly the official client's.
_OPERATORS: dict[str, Op] = {
    ">=": "gte", ">": "gt", "gte": "gte", "gt": "gt",
    "<=": "lte", "<": "lt", "lte": "lte", "lt": "lt",
    "!=": "neq", "neq": "neq", "noteq": "neq", "not eq": "neq",
    "==": "eq", "=": "eq", "eq": "eq",
    "in": "in", "notin": "notin", "not in": "notin", "nin": "notin",
}  # fmt: skip
_OPERATOR_HINT = ">= > <= < = != in notin, or the words gte gt lte lt eq neq not in"
_LIST_OPS: frozenset[Op] = frozenset({"in", "notin"})
_RENDERED_OP: dict[Op, str] = {
    "eq": "=", "neq": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
    "in": " in ", "notin": " notin ",
}  # fmt: skip

# The official client's clause pattern: field, operator, value (a [list], a "quoted
# string", or a bare word).
_CLAUSE = re.compile(
    r"([a-zA-Z0-9_]+)"
    r"( *[=><!]+| +(?:[lg]te?|nin|neq|eq|not ?eq|not ?in|in) )?"
    r"( *)"
    r'(\[[^\]]+\]|"[^"]+"|[^ ]+)?'
    r"( *)"
)


# --------------------------------------------------------------------------- fields


def _resolve(vocabulary: Vocabulary, name: str, *, position: int | None = None) -> OfferField:
    spec = vocabulary.field(name)
    if spec is None:
        where = f" at position {position}" if position is not None else ""
        other = next((v for v in (GPU_OFFERS, VOLUME_OFFERS) if v.field(name) is not None), None)
        if other is not None:  # a word of the other language
            valid = ", ".join(vocabulary.names())
            raise QueryError(
                f"{name!r}{where} is a field of {other.name}, but this query searches "
                f"{vocabulary.name}. Valid fields of {vocabulary.name}: {valid}",
                token=name,
                position=position,
                choices=vocabulary.names(),
            )
        raise _unknown(
            "field", name, vocabulary.names(), where=where, position=position, of=vocabulary
        )
    return spec


def _unknown(
    what: str,
    token: str,
    valid: Sequence[str],
    *,
    where: str = "",
    position: int | None = None,
    of: Vocabulary | None = None,
) -> QueryError:
    close = difflib.get_close_matches(token, valid, n=4, cutoff=0.5)
    rest = sorted(set(valid) - set(close))
    ordered = [*close, *rest]
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    whose = f" of {of.name}" if of is not None else ""
    return QueryError(
        f"unknown {what} {token!r}{where}{hint} Valid {what}s{whose}: {', '.join(ordered)}",
        token=token,
        position=position,
        choices=ordered,
    )


# --------------------------------------------------------------------------- builder


@dataclass(frozen=True)
class Condition:
    """One clause ``field op value``, value in the user's units (GB, days).

    ``vocabulary`` is the kind of offer the field belongs to when a builder (`F`, `VF`) or
    the parser made it; a `Query` takes its vocabulary from its conditions.
    """

    field: str
    op: Op
    value: Value
    vocabulary: Vocabulary | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Clear:
    """Drop every clause on ``field``, defaults included (``field=any``)."""

    field: str
    vocabulary: Vocabulary | None = dataclasses.field(default=None, compare=False, repr=False)


class FieldRef:
    """A field of `F` or `VF`; comparisons build `Condition`s: ``F.gpu_ram >= 24``."""

    __slots__ = ("spec", "vocabulary")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, spec: OfferField, vocabulary: Vocabulary = GPU_OFFERS) -> None:
        self.spec = spec
        self.vocabulary = vocabulary

    def _cond(self, op: Op, value: Any) -> Condition:
        if isinstance(value, list | tuple | set | frozenset):
            raise QueryError(
                f"{self.spec.name}: use .in_() or .not_in() to compare with a list",
                token=repr(value),
            )
        if value is None and op not in ("eq", "neq"):
            raise QueryError(f"{self.spec.name}: null can only be compared with == or !=")
        return Condition(self.spec.name, op, typed_value(self.spec, value), self.vocabulary)

    def _members(self, op: Op, values: Iterable[Any]) -> Condition:
        if isinstance(values, str | bytes):
            raise QueryError(f"{self.spec.name}.{op}: give a list of values, not one string")
        members = tuple(typed_value(self.spec, v) for v in values)
        if not members:
            raise QueryError(f"{self.spec.name}: an empty list matches nothing")
        return Condition(self.spec.name, op, members, self.vocabulary)

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        return self._cond("eq", value)

    def __ne__(self, value: object) -> Condition:  # type: ignore[override]
        return self._cond("neq", value)

    def __gt__(self, value: object) -> Condition:
        return self._cond("gt", value)

    def __ge__(self, value: object) -> Condition:
        return self._cond("gte", value)

    def __lt__(self, value: object) -> Condition:
        return self._cond("lt", value)

    def __le__(self, value: object) -> Condition:
        return self._cond("lte", value)

    def in_(self, values: Iterable[Any]) -> Condition:
        return self._members("in", values)

    def not_in(self, values: Iterable[Any]) -> Condition:
        return self._members("notin", values)

    def any(self) -> Clear:
        return Clear(self.spec.name, self.vocabulary)

    def __repr__(self) -> str:
        return f"{self.vocabulary.builder}.{self.spec.name}"


class Fields:
    """``F.<field>`` for every field and alias of a vocabulary (`F`: GPU offers,
    `VF`: volume offers)."""

    __slots__ = ("_vocabulary",)

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._vocabulary = vocabulary

    @property
    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def __getattr__(self, name: str) -> FieldRef:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return FieldRef(_resolve(self._vocabulary, name), self._vocabulary)
        except QueryError as exc:
            raise AttributeError(str(exc)) from None

    def __dir__(self) -> list[str]:
        return self._vocabulary.names()

    def __repr__(self) -> str:
        return self._vocabulary.builder


F = Fields(GPU_OFFERS)
"""Fields of GPU offers: ``Query.where(F.gpu_ram >= 24, F.num_gpus == 1)``."""
VF = Fields(VOLUME_OFFERS)
"""Fields of volume offers: ``Query.where(VF.disk_space >= 50, VF.inet_up > 500)``."""


# --------------------------------------------------------------------------- the query


Clause = tuple[str, Op, Value]


def _checked(spec: OfferField, condition: Condition) -> Value:
    """A condition's value typed for its field; lists exactly for the list operators."""
    if condition.op not in _RENDERED_OP:
        raise _unknown("operator", condition.op, list(_RENDERED_OP))
    if condition.op in _LIST_OPS:
        values = condition.value
        if not isinstance(values, tuple) or not values:
            raise QueryError(f"{spec.name} {condition.op} needs a non-empty tuple of values")
        return tuple(typed_value(spec, v) for v in values)
    if isinstance(condition.value, tuple):
        raise QueryError(f"{spec.name} {condition.op} compares with one value, not a list")
    return typed_value(spec, condition.value)


def _vocabulary_of(items: Sequence[Condition | Clear], given: Vocabulary | None) -> Vocabulary:
    """The vocabulary a query of ``items`` speaks: ``given``, else the one its conditions
    were built with, else GPU offers. Conditions of another vocabulary are refused."""
    chosen = given
    for item in items:
        if item.vocabulary is None:
            continue
        if chosen is None:
            chosen = item.vocabulary
        elif item.vocabulary is not chosen:
            raise QueryError(
                f"{item.vocabulary.builder}.{item.field} is a field of {item.vocabulary.name}, "
                f"but this query searches {chosen.name}: build it with {chosen.builder}",
                token=item.field,
            )
    return chosen or GPU_OFFERS


class Query:
    """An immutable offer query; build with `parse_query` or `Query.where`."""

    __slots__ = ("_clauses", "_cleared", "_vocabulary")

    def __init__(
        self, clauses: Iterable[Condition | Clear] = (), *, vocabulary: Vocabulary | None = None
    ) -> None:
        items = list(clauses)
        self._vocabulary = _vocabulary_of(items, vocabulary)
        merged: dict[tuple[str, Op], Value] = {}
        cleared: set[str] = set()
        for item in items:
            spec = _resolve(self._vocabulary, item.field)
            if isinstance(item, Clear):
                merged = {k: v for k, v in merged.items() if k[0] != spec.name}
                cleared.add(spec.name)
            else:
                merged[(spec.name, item.op)] = _checked(spec, item)
                cleared.discard(spec.name)
        self._clauses: tuple[Clause, ...] = tuple((f, op, v) for (f, op), v in merged.items())
        self._cleared = frozenset(cleared)

    @classmethod
    def where(cls, *conditions: Condition | Clear, vocabulary: Vocabulary | None = None) -> Query:
        """``Query.where(F.gpu_ram >= 24, F.num_gpus == 1)``; the vocabulary is the one the
        conditions were built with (GPU offers when there are none)."""
        return cls(conditions, vocabulary=vocabulary)

    def and_(self, *conditions: Condition | Clear) -> Query:
        """This query with more conditions (a later clause on the same field and op wins)."""
        return Query([*self.conditions, *conditions], vocabulary=self._vocabulary)

    @property
    def vocabulary(self) -> Vocabulary:
        """The kind of offer this query searches."""
        return self._vocabulary

    @property
    def conditions(self) -> tuple[Condition | Clear, ...]:
        vocabulary = self._vocabulary
        return (
            *(Condition(f, op, v, vocabulary) for f, op, v in self._clauses),
            *(Clear(f, vocabulary) for f in sorted(self._cleared)),
        )

    @property
    def cleared(self) -> frozenset[str]:
        """Fields set to ``any``: their default filters are dropped too."""
        return self._cleared

    @property
    def filters(self) -> dict[str, dict[str, Any]]:
        """The API JSON (``{field: {op: value}}``, API units), a fresh copy each time."""
        result: dict[str, dict[str, Any]] = {}
        for name, op, value in self._clauses:
            spec = self._vocabulary.fields[name]
            api: Any = (
                [api_value(spec, v) for v in value]
                if isinstance(value, tuple)
                else api_value(spec, value)
            )
            result.setdefault(name, {})[op] = api
        return result

    def to_search_body(
        self,
        *,
        defaults: bool = True,
        order: str | Sequence[Sequence[str]] | None = None,
        limit: int | None = None,
        offer_type: OfferType | None = None,
        storage_gb: float | None = None,
    ) -> dict[str, Any]:
        """The search body for this query's kind of offer, as the official client builds it
        (``POST /api/v0/bundles/`` for GPU offers, ``/api/v0/volumes/search/`` for
        volumes); see `build_search_body`."""
        return build_search_body(
            self.filters,
            vocabulary=self._vocabulary,
            cleared=self._cleared,
            defaults=defaults,
            order=order,
            limit=limit,
            offer_type=offer_type,
            storage_gb=storage_gb,
        )

    def render(self) -> str:
        """The query in the CLI syntax; ``parse_query(q.render(), vocabulary=q.vocabulary)
        == q``."""
        parts = []
        for name, op, value in self._clauses:
            spec = self._vocabulary.fields[name]
            if isinstance(value, tuple):
                text = "[" + ",".join(value_text(spec, v) for v in value) + "]"
            else:
                text = value_text(spec, value)
            parts.append(f"{name}{_RENDERED_OP[op]}{text}")
        parts += [f"{name}=any" for name in sorted(self._cleared)]
        return " ".join(parts)

    def matches(self, offer: Mapping[str, Any] | Any) -> bool:
        """Whether an offer (an `Offer` or a row dict) satisfies this query's own clauses.

        The search defaults (verified, rentable, not rented...) are not part of it: a rented
        instance still "matches" the query it was created from.
        """
        row: Mapping[str, Any] = offer if isinstance(offer, Mapping) else offer.as_row()
        return filter_eval.matches(self.filters, row)

    def _key(self) -> tuple[frozenset[tuple[str, Op, Value]], frozenset[str], Vocabulary]:
        return frozenset(self._clauses), self._cleared, self._vocabulary

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Query) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __bool__(self) -> bool:
        return bool(self._clauses or self._cleared)

    def __repr__(self) -> str:
        vocabulary = "" if self._vocabulary is GPU_OFFERS else f", vocabulary={self._vocabulary!r}"
        try:
            return f"parse_query({self.render()!r}{vocabulary})"
        except QueryError:
            return f"Query.where({', '.join(map(repr, self.conditions))}{vocabulary})"


# --------------------------------------------------------------------------- parsing


def parse_query(text: str, *, vocabulary: Vocabulary = GPU_OFFERS) -> Query:
    """Parse the CLI offer syntax, e.g. ``"gpu_ram>=24 num_gpus=1 dph<=0.5"``, in the words
    of ``vocabulary`` (GPU offers unless told otherwise)."""
    stripped = text.strip()
    offset = len(text) - len(text.lstrip())
    items: list[Condition | Clear] = []
    pos = 0
    for match in _CLAUSE.finditer(stripped):
        if match.start() != pos:
            _unconsumed(stripped, pos, offset)
        pos = match.end()
        items.append(_clause(vocabulary, match, offset))
    if pos != len(stripped):
        _unconsumed(stripped, pos, offset)
    return Query(items, vocabulary=vocabulary)


def _unconsumed(text: str, pos: int, offset: int) -> None:
    token = text[pos:].split(" ", 1)[0] or text[pos:]
    raise QueryError(
        f"unexpected {token!r} at position {pos + offset}; a query is clauses like "
        "gpu_ram>=24 or gpu_name in [RTX_4090,RTX_3090] separated by spaces",
        token=token,
        position=pos + offset,
    )


def _clause(vocabulary: Vocabulary, match: re.Match[str], offset: int) -> Condition | Clear:
    name, raw_op, _, raw_value, _ = match.groups()
    spec = _resolve(vocabulary, name, position=match.start(1) + offset)
    op_text = (raw_op or "").strip()
    op = _OPERATORS.get(op_text)
    if op is None:
        spelled = sorted(_OPERATORS, key=len)
        if not op_text:
            raise QueryError(
                f"{name} at position {match.start(1) + offset} needs an operator "
                f"({_OPERATOR_HINT}) and a value, e.g. {name}>=1",
                token=name,
                position=match.start(1) + offset,
                choices=spelled,
            )
        raise _unknown(
            "operator",
            op_text,
            spelled,
            where=f" after {name}",
            position=match.start(2) + offset,
        )
    value_pos = match.start(4) + offset
    value = (raw_value or "").strip(",[]")
    if not value:
        raise QueryError(
            f"{name}{op_text} at position {match.start(1) + offset} has no value",
            token=name,
            position=match.start(1) + offset,
        )
    if value in WILDCARDS:
        if op != "eq":
            raise QueryError(
                f"{value!r} at position {value_pos} only works with =, to drop the {name} filter",
                token=value,
                position=value_pos,
            )
        return Clear(spec.name, vocabulary)
    if op in _LIST_OPS:
        members = [m.strip() for m in value.split(",") if m.strip()]
        values = tuple(value_from_text(spec, m, value_pos) for m in members)
        return Condition(spec.name, op, values, vocabulary)
    return Condition(spec.name, op, value_from_text(spec, value, value_pos), vocabulary)


def parse_order(text: str, *, vocabulary: Vocabulary = GPU_OFFERS) -> Order:
    """``"dph+,dlperf-"`` -> ``(("dph_total", "asc"), ("dlperf", "desc"))``.

    A trailing (or leading) ``-`` means descending, ``+`` or nothing ascending; aliases
    apply. Fields are those of ``vocabulary`` plus its order-only columns (``score``).
    """
    result: list[tuple[str, Direction]] = []
    pos = 0
    for part in text.split(","):
        start = pos + len(part) - len(part.lstrip())
        pos += len(part) + 1
        name = part.strip()
        if not name:
            continue
        direction: Direction = "asc"
        column = name
        if name.strip("-") != name:
            direction, column = "desc", name.strip("-")
        if name.strip("+") != name:
            direction, column = "asc", name.strip("+")
        result.append((_order_field(vocabulary, column, start), direction))
    return tuple(result)


def _order_field(vocabulary: Vocabulary, name: str, position: int | None) -> str:
    column = vocabulary.order_column(name)
    if column is not None:
        return column
    raise _unknown(
        "order field",
        name,
        vocabulary.order_names(),
        where=f" at position {position}" if position is not None else "",
        position=position,
        of=vocabulary,
    )


def _normalize_order(order: str | Sequence[Sequence[str]], vocabulary: Vocabulary) -> Order:
    if isinstance(order, str):
        return parse_order(order, vocabulary=vocabulary)
    result: list[tuple[str, Direction]] = []
    for entry in order:
        if len(entry) != 2 or str(entry[1]).lower() not in ("asc", "desc"):
            raise QueryError(
                f"order entries are (field, 'asc' or 'desc') pairs, got {tuple(entry)!r}",
                token=repr(tuple(entry)),
            )
        direction = cast(Direction, str(entry[1]).lower())
        result.append((_order_field(vocabulary, str(entry[0]), None), direction))
    return tuple(result)


def build_search_body(
    filters: Mapping[str, Mapping[str, Any]],
    *,
    vocabulary: Vocabulary = GPU_OFFERS,
    cleared: Iterable[str] = (),
    defaults: bool = True,
    order: str | Sequence[Sequence[str]] | None = None,
    limit: int | None = None,
    offer_type: OfferType | None = None,
    storage_gb: float | None = None,
) -> dict[str, Any]:
    """A search body from API-unit filters, as the official ``search_offers`` (or
    ``search_volumes``) builds it.

    The vocabulary's default filters first unless disabled or ``cleared``; a field in
    ``filters`` replaces its default whole. Order defaults to `OFFICIAL_ORDER`;
    ``storage_gb`` (the storage prices include) to the vocabulary's. ``offer_type``
    (default on-demand) only for offers that have one: a volume search takes none.
    """
    storage = vocabulary.default_storage_gb if storage_gb is None else storage_gb
    if storage <= 0:
        raise QueryError(f"storage_gb must be positive, got {storage!r}")
    if limit is not None and limit < 1:
        raise QueryError(f"limit must be at least 1, got {limit!r}")
    if offer_type is not None and not vocabulary.offer_types:
        raise QueryError(
            f"{vocabulary.name} have no offer type (on-demand, bid, reserved); "
            f"got offer_type={offer_type!r}",
            token=offer_type,
        )
    dropped = set(cleared)
    body: dict[str, Any] = {}
    if defaults:
        body.update({k: dict(v) for k, v in vocabulary.default_filters.items() if k not in dropped})
    body.update({k: dict(v) for k, v in filters.items()})
    body["order"] = [
        list(pair)
        for pair in _normalize_order(OFFICIAL_ORDER if order is None else order, vocabulary)
    ]
    if vocabulary.offer_types:
        wanted = offer_type or "on-demand"
        body["type"] = "bid" if wanted in ("bid", "interruptible") else wanted
    if limit:
        body["limit"] = int(limit)
    body["allocated_storage"] = storage
    return body
