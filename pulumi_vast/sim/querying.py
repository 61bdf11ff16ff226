"""Vast's query documents over rows, as the server reads them.

Offer search bodies go through `pulumi_vast.api.filters` after being typed the way the
server's columns are: the official client sends numbers as strings (``"num_gpus": {"eq":
"1"}``), underscores for spaces in GPU names (``RTX_4090``), two-letter country codes
for `geolocation` ("Sweden, SE") and dotted driver versions as integers.

`GET /api/v1/instances/` uses keyset pagination: the token encodes the sort key of the
last row served, so a page never repeats or skips rows while others are added.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from pulumi_vast.api.filters import FilterError, matches, sort_rows
from pulumi_vast.sim.errors import InvalidRequest, InvalidToken
from pulumi_vast.sim.reading import parse_json

__all__ = [
    "MAX_PAGE",
    "OrderKey",
    "filter_offers",
    "order_instances",
    "page_after",
    "parse_order_by",
    "select_instances",
    "select_typed",
]

MAX_PAGE = 25
"""`GET /api/v1/instances/` serves at most 25 instances a page."""
_SMALL_PAGE = 5
"""A limit of zero or less is read as 5 (openapi)."""

Row = dict[str, Any]
OrderKey = tuple[str, bool]
"""A column and whether it sorts descending."""


def _typed(value: Any, sample: Any) -> Any:
    """`value` converted to the type of the column's `sample` value when it is a string."""
    if isinstance(value, list | tuple):
        return [_typed(item, sample) for item in value]
    if not isinstance(value, str):
        return value
    if isinstance(sample, bool):
        lowered = value.lower()
        if lowered in {"true", "1"}:
            return True
        if lowered in {"false", "0"}:
            return False
        return value
    if isinstance(sample, int | float):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _driver_number(version: str) -> int | None:
    parts = version.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    major, minor, patch = parts
    return int(major.zfill(3) + minor.zfill(3) + patch.zfill(3))


_LIST_OPERATORS = frozenset({"in", "notin"})
_SCALARS = (str, int, float, bool, type(None))


def _check_clause(field: str, clause: Mapping[str, Any]) -> None:
    """Each operand is a value (a list of values for in/notin), never a nested document."""
    for op, wanted in clause.items():
        values = wanted if op in _LIST_OPERATORS and isinstance(wanted, list) else [wanted]
        if not all(isinstance(value, _SCALARS) for value in values):
            shape = "a list of values" if op in _LIST_OPERATORS else "a number, string or bool"
            raise InvalidRequest(
                f"Error in query parameters: {field}.{op} must be {shape}, got {wanted!r:.80}"
            )


def _normalize_filters(
    filters: Mapping[str, Mapping[str, Any]], sample: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    normalized: dict[str, dict[str, Any]] = {}
    for field, clause in filters.items():
        if field not in sample:
            raise InvalidRequest(
                f"Error in query parameters: {field} is not a valid search key",
            )
        _check_clause(field, clause)
        typed = {op: _typed(wanted, sample[field]) for op, wanted in clause.items()}
        if field == "gpu_name":
            typed = {
                op: [w.replace("_", " ") for w in wanted]
                if isinstance(wanted, list)
                else wanted.replace("_", " ")
                if isinstance(wanted, str)
                else wanted
                for op, wanted in typed.items()
            }
        normalized[field] = typed
    return normalized


def _view(row: Row, filters: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    """The row as a filter compares it: country codes and numeric driver versions when the
    filter is written that way."""
    adjusted: dict[str, Any] | None = None
    geo = filters.get("geolocation")
    if geo is not None and _all_country_codes(geo.values()):
        adjusted = dict(row)
        adjusted["geolocation"] = str(row["geolocation"]).rsplit(", ", 1)[-1]
    driver = filters.get("driver_version")
    if driver is not None and any(
        isinstance(v, int | float) and not isinstance(v, bool) for v in driver.values()
    ):
        adjusted = adjusted if adjusted is not None else dict(row)
        adjusted["driver_version"] = _driver_number(str(row["driver_version"]))
    return adjusted if adjusted is not None else row


def _all_country_codes(values: Any) -> bool:
    flat: list[Any] = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return bool(flat) and all(isinstance(v, str) and len(v) == 2 for v in flat)


def filter_offers(
    rows: Sequence[Row],
    filters: Mapping[str, Mapping[str, Any]],
    order: Any,
    limit: Any,
    *,
    default_limit: int,
) -> list[Row]:
    """Apply a search body's filters, `order` and `limit` to rendered offers."""
    if not rows:
        return []
    normalized = _normalize_filters(filters, _sample(rows, filters))
    try:
        kept = [row for row in rows if matches(normalized, _view(row, normalized))]
    except FilterError as exc:
        raise InvalidRequest(f"Error in query parameters: {exc}") from exc
    pairs = _order_pairs(order, rows[0])
    ordered = cast(list[Row], sort_rows(kept, pairs)) if pairs else kept
    return ordered[: _limit(limit, default_limit)]


def _sample(rows: Sequence[Row], filters: Mapping[str, Any]) -> Row:
    """The first row, with each filtered column's first value that is not None, so a
    string operand is typed by the column (`cluster_id` is None on most offers)."""
    sample = dict(rows[0])
    for field in filters:
        if field in sample and sample[field] is None:
            sample[field] = next((row[field] for row in rows if row.get(field) is not None), None)
    return sample


def _order_pairs(order: Any, sample: Mapping[str, Any]) -> list[list[str]]:
    if order is None:
        return []
    if not isinstance(order, list):
        raise InvalidRequest('order must be a list like [["dph_total", "asc"]]')
    pairs: list[list[str]] = []
    for item in order:
        if isinstance(item, str):
            item = [item, "asc"]
        if not isinstance(item, list | tuple) or not item or not isinstance(item[0], str):
            raise InvalidRequest(f'order entries must look like ["field", "asc"], got {item!r}')
        field = item[0]
        direction = str(item[1]).lower() if len(item) > 1 else "asc"
        if field not in sample:
            raise InvalidRequest(f"Error in query parameters: {field} is not a valid order key")
        pairs.append([field, "desc" if direction == "desc" else "asc"])
    return pairs


def _limit(value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"limit must be an integer, got {value!r}") from exc
    return max(limit, 0)


# ---- GET /api/v1/instances/ --------------------------------------------------------------


def parse_order_by(raw: Any, columns: Sequence[str]) -> list[OrderKey]:
    """`order_by` (`[{"col": ..., "dir": ...}]`) with `id` appended as the tiebreaker."""
    keys: list[OrderKey] = []
    if raw is not None:
        if not isinstance(raw, list):
            raise InvalidRequest('order_by must be a JSON list like [{"col": "id", "dir": "asc"}]')
        for item in raw:
            if not isinstance(item, Mapping) or not isinstance(item.get("col"), str):
                raise InvalidRequest(f'order_by entries need a "col", got {item!r}')
            column = item["col"]
            if column not in columns:
                raise InvalidRequest(f"Error in query parameters: {column} is not a valid column")
            keys.append((column, str(item.get("dir", "asc")).lower() == "desc"))
    if not any(column == "id" for column, _ in keys):
        keys.append(("id", False))
    return keys


def select_instances(
    rows: Sequence[Row], select_filters: Any, filterable: frozenset[str]
) -> list[Row]:
    """Rows matching `select_filters`; only stored columns may be filtered (openapi)."""
    if select_filters in (None, {}):
        return list(rows)
    if not isinstance(select_filters, Mapping):
        raise InvalidRequest("select_filters must be a JSON object")
    for column, clause in select_filters.items():
        if column not in filterable:
            raise InvalidRequest(f"Error in query parameters: {column} is not a valid search key")
        if not isinstance(clause, Mapping):
            raise InvalidRequest(f'select_filters.{column} must be an object like {{"eq": 1}}')
        _check_clause(column, clause)
    try:
        return [row for row in rows if matches(select_filters, row)]
    except FilterError as exc:
        raise InvalidRequest(f"Error in query parameters: {exc}") from exc


def select_typed(rows: Sequence[Row], select_filters: Any, filterable: frozenset[str]) -> list[Row]:
    """`select_instances` for a list the official CLI filters with its query language,
    which sends numbers and booleans as text (``{"count_created": {"gt": "100"}}``):
    each value is read as its column's type first."""
    if select_filters in (None, {}) or not rows:
        return select_instances(rows, select_filters, filterable)
    select_instances([], select_filters, filterable)  # the same checks, on no rows
    typed = {
        column: {op: _typed(wanted, rows[0].get(column)) for op, wanted in clause.items()}
        for column, clause in select_filters.items()
    }
    return select_instances(rows, typed, filterable)


def _compare(a: Any, b: Any) -> int:
    """Order values with None last; mixed types by their text."""
    if a is None or b is None:
        return (a is None) - (b is None)
    try:
        return int(a > b) - int(a < b)
    except TypeError:
        return int(str(a) > str(b)) - int(str(a) < str(b))


def _compare_keys(keys: Sequence[OrderKey], left: Sequence[Any], right: Sequence[Any]) -> int:
    for (_, descending), a, b in zip(keys, left, right, strict=True):
        result = _compare(a, b)
        if result:
            if a is not None and b is not None and descending:
                return -result
            return result
    return 0


def _sort_key(row: Row, keys: Sequence[OrderKey]) -> list[Any]:
    return [row.get(column) for column, _ in keys]


def order_instances(rows: Sequence[Row], keys: Sequence[OrderKey]) -> list[Row]:
    def compare(a: Row, b: Row) -> int:
        return _compare_keys(keys, _sort_key(a, keys), _sort_key(b, keys))

    return sorted(rows, key=functools.cmp_to_key(compare))


def page_after(
    ordered: Sequence[Row], keys: Sequence[OrderKey], limit: Any, after_token: str | None
) -> tuple[list[Row], str | None]:
    """One page of `ordered` rows after the token's row, and the next token (or None)."""
    size = _page_size(limit)
    start = 0
    if after_token:
        last = _decode_token(after_token, keys)
        start = len(ordered)
        for index, row in enumerate(ordered):
            if _compare_keys(keys, _sort_key(row, keys), last) > 0:
                start = index
                break
    page = list(ordered[start : start + size])
    more = start + size < len(ordered)
    return page, _encode_token(_sort_key(page[-1], keys)) if page and more else None


def _page_size(limit: Any) -> int:
    if limit is None:
        return MAX_PAGE
    try:
        size = int(limit)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"limit must be an integer, got {limit!r}") from exc
    return _SMALL_PAGE if size <= 0 else min(size, MAX_PAGE)


def _encode_token(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"values": values}).encode()).decode()


def _decode_token(token: str, keys: Sequence[OrderKey]) -> list[Any]:
    try:
        values = parse_json(base64.urlsafe_b64decode(token.encode()), what="after_token")["values"]
    except (InvalidRequest, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidToken(f"invalid after_token {token[:80]!r}") from exc
    if not isinstance(values, list) or len(values) != len(keys):
        raise InvalidToken("after_token does not match this order_by")
    return values
