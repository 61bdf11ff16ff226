"""Values of one offer field: checked and typed, read from query text, written back, and
converted to the API's units. The query language (`query`) builds on these; a value is
always held in the user's units (GB, days) and converted only for the API.
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeAlias

from pulumi_vast.api.errors import QueryError
from pulumi_vast.api.vocabulary import FieldKind, OfferField, version_number, version_text

__all__ = [
    "NULLS",
    "WILDCARDS",
    "Scalar",
    "api_value",
    "typed_value",
    "value_from_text",
    "value_text",
]

Scalar: TypeAlias = bool | int | float | str | None

WILDCARDS = frozenset({"any", "*", "?"})
"""Written after ``=``, they drop a filter instead of being a value."""
NULLS = frozenset({"None", "null"})
_BOOLS = {"true": True, "false": False}
# What a string value may not contain and still be written back in the syntax.
_UNWRITABLE = re.compile(r'[_"\[\],\s]')


def typed_value(spec: OfferField, value: Any) -> Scalar:
    """A Python value checked and converted to the field's type (user units)."""
    if value is None:
        return None
    kind = spec.kind
    wrong = QueryError(f"{spec.name} takes {_describe(spec)}, got {value!r}", token=repr(value))
    if kind is FieldKind.BOOL:
        if not isinstance(value, bool):
            raise wrong
        return value
    if isinstance(value, bool):
        raise wrong
    if kind is FieldKind.STR:
        if not isinstance(value, str) or not value:
            raise wrong
        return value
    if kind is FieldKind.VERSION:
        if isinstance(value, str):
            try:
                return version_number(value)
            except ValueError:
                raise wrong from None
        if isinstance(value, int) and value >= 0:
            return value
        raise wrong
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise wrong
    if kind is FieldKind.INT:
        if isinstance(value, float) and not value.is_integer():
            raise wrong
        return int(value)
    return float(value)


def value_from_text(spec: OfferField, text: str, position: int) -> Scalar:
    """A value as written in a query string, typed for the field."""
    if text in NULLS:
        return None
    kind = spec.kind
    try:
        if kind is FieldKind.STR:
            return typed_value(spec, text.replace("_", " ").strip('"'))
        if kind is FieldKind.BOOL:
            return typed_value(spec, _BOOLS[text.lower()])
        if kind is FieldKind.VERSION:
            return typed_value(spec, text if "." in text else int(text))
        number: int | float
        try:
            number = int(text)
        except ValueError:
            number = float(text)
        return typed_value(spec, number)
    except (QueryError, KeyError, ValueError):
        raise QueryError(
            f"{spec.name} takes {_describe(spec)}; {text!r} at position {position} is not one",
            token=text,
            position=position,
        ) from None


def _describe(spec: OfferField) -> str:
    unit = spec.doc.rsplit(", ", 1)[1] if ", " in spec.doc else ""
    return {
        FieldKind.FLOAT: f"a number{f' ({unit})' if unit else ''}",
        FieldKind.INT: "a whole number",
        FieldKind.BOOL: "true or false",
        FieldKind.STR: "a word (write spaces as _)",
        FieldKind.VERSION: "a version like 535.86.05",
    }[spec.kind]


def api_value(spec: OfferField, value: Scalar) -> Scalar:
    """A value in the API's units (GB -> MB, days -> seconds)."""
    if spec.multiplier != 1.0 and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) * spec.multiplier
    return value


def value_text(spec: OfferField, value: Scalar) -> str:
    """A value as the query syntax writes it; `value_from_text` reads it back the same."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if spec.kind is FieldKind.VERSION and isinstance(value, int):
        return version_text(value) if value >= 1_000_000 else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if _UNWRITABLE.sub("", value.replace(" ", "")) != value.replace(" ", "") or (
        value in WILDCARDS or value in NULLS
    ):
        raise QueryError(
            f"{spec.name} value {value!r} cannot be written in the query syntax (which reads _ "
            'as a space and has no escape for _ " [ ] , or tabs); use the JSON filters',
            token=value,
        )
    return value.replace(" ", "_")
