"""Evaluate Vast's JSON search filters against rows, as the server does.

A filter document is what `POST /api/v0/bundles/` receives: ``{field: {op: value}}``
with the ops ``eq neq gt gte lt lte in notin``, beside the non-filter keys ``order``,
``type``, ``limit``, ``allocated_storage`` and friends (see `SEARCH_CONTROL_KEYS`).

A dotted version in a row (``driver_version: "535.86.05"``) compares with a number as the
official client sends it (``535086005``), as the server compares them.

Both sides use this one evaluator: the simulator to answer searches, the resources to
ask whether a running instance still satisfies a changed query. A field a row does not
carry reads as ``None``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_vast.api.vocabulary import version_number

__all__ = [
    "OPERATORS",
    "SEARCH_CONTROL_KEYS",
    "FilterError",
    "matches",
    "sort_rows",
    "split_search_body",
]

Row = Mapping[str, Any]
Filters = Mapping[str, Mapping[str, Any]]

SEARCH_CONTROL_KEYS = frozenset(
    {"order", "type", "limit", "allocated_storage", "disable_bundling", "select_cols", "q"}
)


class FilterError(ValueError):
    """A filter document that cannot be evaluated (unknown op, malformed clause)."""


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, wanted: Any) -> bool:
        if actual is None or wanted is None:
            return False
        try:
            return compare(_coerce(actual, wanted), wanted)
        except TypeError:
            return False

    return check


def _coerce(actual: Any, wanted: Any) -> Any:
    """Compare numbers as numbers even when one side arrived as a string ("0.95")."""
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual
    if isinstance(wanted, int | float) and isinstance(actual, str):
        return _number(actual)
    return actual


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return version_number(text)
    except ValueError:
        return text


def _equal(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, int | float) and not isinstance(wanted, bool):
        number = _number(actual) if isinstance(actual, str) else actual
        try:
            return float(number) == float(wanted)
        except (TypeError, ValueError):
            return False
    return bool(actual == wanted)


def _member(actual: Any, wanted: Any) -> bool:
    if not isinstance(wanted, list | tuple | set | frozenset):
        wanted = [wanted]
    return any(_equal(actual, w) for w in wanted)


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _equal,
    "neq": lambda actual, wanted: not _equal(actual, wanted),
    "gt": _ordered(operator.gt),
    "gte": _ordered(operator.ge),
    "lt": _ordered(operator.lt),
    "lte": _ordered(operator.le),
    "in": _member,
    "notin": lambda actual, wanted: not _member(actual, wanted),
}


def split_search_body(body: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Split a search body into (filters, controls such as order/limit/type)."""
    filters: dict[str, dict[str, Any]] = {}
    controls: dict[str, Any] = {}
    for key, value in body.items():
        if key in SEARCH_CONTROL_KEYS:
            controls[key] = value
        elif isinstance(value, Mapping):
            filters[key] = dict(value)
        else:
            raise FilterError(f'filter {key!r} must be an object like {{"gte": 1}}, got {value!r}')
    return filters, controls


def matches(filters: Filters, row: Row) -> bool:
    """Whether ``row`` satisfies every clause of ``filters``."""
    for field, clause in filters.items():
        actual = row.get(field)
        for op, wanted in clause.items():
            check = OPERATORS.get(op)
            if check is None:
                raise FilterError(
                    f"unknown operator {op!r} on {field!r}; valid: {', '.join(OPERATORS)}"
                )
            if not check(actual, wanted):
                return False
    return True


def sort_rows(rows: Iterable[Row], order: Sequence[Sequence[str]]) -> list[Row]:
    """Sort by ``[[field, "asc"|"desc"], ...]``; rows missing a field sort last."""
    result = list(rows)
    for field, direction in reversed([tuple(o) for o in order]):
        descending = str(direction).lower() == "desc"
        present = [r for r in result if r.get(field) is not None]
        missing = [r for r in result if r.get(field) is None]
        present.sort(key=lambda r: r[field], reverse=descending)
        result = present + missing
    return result
