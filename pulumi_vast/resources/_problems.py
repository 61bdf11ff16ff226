"""How a bad input is told to the person who wrote it: the setting, what was wrong, the fix.

Every refusal is a `Failure`, a (path, reason) pair: the path is relative to what was
validated (``disk_gb``, ``ready.timeout``, ``ports[0]``, ``env``) and each caller puts its
own prefix in front (``pulumi-vast:instances[0].``, ``Instance("gpu").``). A reason says
what was wrong and how to fix it. The value is quoted only where it is not secret.

`validation_failures` turns pydantic's errors into such failures, drawing the fix from the
field's own declaration (its description and ``examples``).
"""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

__all__ = [
    "Failure",
    "InvalidField",
    "InvalidInputs",
    "at",
    "closest",
    "describe",
    "join_path",
    "validation_failures",
]

Failure = tuple[str, str]
"""(path of the bad setting, what was wrong and the fix)"""

_SHOWN_CHARS = 60
_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping of NAME: value",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_NUMBERS = ("a whole number", "a number", "a finite number")
_FIRST_SENTENCE = re.compile(r"(?<!e\.g)\. ")


class InvalidField(ValueError):
    """Raised by an inputs model's validators to blame one field (message names the fix)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidInputs(pulumi.RunError, ValueError):
    """Inputs a program got wrong, each named under ``owner`` (``Instance("gpu")``).

    A `pulumi.RunError`: the language host prints its message alone, without a traceback;
    the message is one paragraph, a sentence per failure.
    """

    def __init__(self, owner: str, failures: Sequence[Failure]) -> None:
        self.owner = owner
        self.failures = list(failures)
        super().__init__(" ".join(_sentence(at(owner, path), reason) for path, reason in failures))

    def under(self, owner: str) -> InvalidInputs:
        """The same failures, named under another owner."""
        return InvalidInputs(owner, self.failures)


def _sentence(where: str, reason: str) -> str:
    text = f"{where}: {reason}"
    return text if text.endswith((".", "?", "!")) else text + "."


def at(prefix: str, path: str) -> str:
    """``path`` under ``prefix``: ``vast:`` + ``apiKey``, ``Instance("gpu")`` + ``.disk_gb``."""
    if not path:
        return prefix
    if not prefix or prefix.endswith(":") or path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"


def join_path(parts: Iterable[str | int]) -> str:
    """``("ready", "timeout")`` -> ``ready.timeout``; ``("ports", 0)`` -> ``ports[0]``."""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def describe(value: Any, *, hidden: bool = False) -> str:
    """``True (a boolean)``, ``'20' (text)``; with ``hidden`` only the kind of value."""
    kind = _kind(value)
    if hidden or isinstance(value, list | tuple | dict | Mapping) or value is None:
        return kind
    shown = repr(value)
    if len(shown) > _SHOWN_CHARS:
        shown = shown[: _SHOWN_CHARS - 3] + "..."
    return f"{shown} ({kind})"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict | Mapping):
        return "a mapping"
    if isinstance(value, bytes):
        return "bytes"
    return f"a {type(value).__name__}"


def closest(word: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` when one of ``choices`` is close to ``word``, else ``""``."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not found:
        found = [c for c in choices if c.lower() == word.lower()]
    return f"; did you mean {found[0]!r}?" if found else ""


def validation_failures(
    exc: ValidationError,
    model: type[BaseModel],
    *,
    hide_inputs: Iterable[str] = (),
) -> list[Failure]:
    """One failure per pydantic error of ``model``: the path of the bad setting, what was
    wrong and the fix. Values under a top-level field of ``hide_inputs`` are never quoted."""
    hidden = set(hide_inputs)
    found: list[Failure] = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        key_error = loc[-1:] == ["[key]"]
        if key_error:  # a dict key: the mapping is the setting, the key is in the message
            loc = loc[:-2]
        path = join_path(loc)
        secret = bool(loc) and str(loc[0]) in hidden
        blamed = error.get("ctx", {}).get("error")
        if isinstance(blamed, InvalidField):
            found.append((join_path([p for p in (path, blamed.field) if p]), str(blamed)))
            continue
        if isinstance(blamed, InvalidInputs):  # a nested inputs model, already explained
            found += [(at(path, inner), reason) for inner, reason in blamed.failures]
            continue
        reason = _reason(error, _field_of(model, loc), hidden=secret)
        if key_error:
            reason = f"key {error['loc'][-2]!r}: {reason}"
        found.append((path, reason))
    return found


def _reason(error: ErrorDetails, field: _Field, *, hidden: bool) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    message = str(error["msg"]).removeprefix("Value error, ")
    got = describe(value, hidden=hidden)
    if kind == "missing":
        return f"is required: {field.hint()}"
    if kind == "extra_forbidden":
        valid = ", ".join(field.siblings)
        suggestion = closest(str(error["loc"][-1]), field.siblings)
        return (
            f"unknown setting{suggestion} Valid settings: {valid}"
            if suggestion
            else (f"unknown setting; valid settings: {valid}")
        )
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        if kind in ("model_type", "model_attributes_type") and field.model_fields:
            expected = f"a mapping of its settings ({', '.join(field.model_fields)})"
        return f"expected {expected}{field.example()}, got {got}{_hint(expected, value)}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected', '')}, got {got}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {
            "greater_than": f"greater than {_number(ctx.get('gt'))}",
            "greater_than_equal": f"at least {_number(ctx.get('ge'))}",
            "less_than": f"less than {_number(ctx.get('lt'))}",
            "less_than_equal": f"at most {_number(ctx.get('le'))}",
        }[kind]
        return f"got {got}; it must be {bound}{field.example()}"
    if kind == "string_too_long":
        length = f"{len(value)} characters long" if isinstance(value, str) else "too long"
        return f"is {length}; at most {ctx.get('max_length')} are allowed: shorten it"
    if kind == "string_too_short":
        return f"is empty: {field.hint()}"
    if kind == "too_long":
        most, count = ctx.get("max_length"), ctx.get("actual_length")
        allowed = f"at most {most} {'is' if most == 1 else 'are'} allowed"
        return f"has {count} items; {allowed}: {field.hint()}"
    return message if kind == "value_error" else f"{message}; got {got}"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _hint(expected: str, value: Any) -> str:
    if expected in _NUMBERS and isinstance(value, str) and _is_number(value):
        return ": write the number without quotes"
    if expected == "text" and isinstance(value, int | float):
        return ": put it in quotes"
    return ""


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


class _Field:
    """What a field declares that helps phrase a fix: description, example, settings."""

    def __init__(self, info: FieldInfo | None, siblings: list[str], element: bool) -> None:
        self.info = info
        self.siblings = siblings
        self.element = element
        self.model_fields = [] if element else _model_fields(info)

    def hint(self) -> str:
        """The field's description (its first sentence), with an example unless it has one."""
        text = self.info.description if self.info is not None else None
        what = _FIRST_SENTENCE.split(text or "set it", maxsplit=1)[0].rstrip(".")
        return what if "e.g." in what else what + self.example()

    def example(self) -> str:
        examples = self.info.examples if self.info is not None else None
        if not examples:
            return ""
        sample = examples[0]
        if self.element and isinstance(sample, list) and sample:
            sample = sample[0]
        elif self.element and isinstance(sample, dict) and sample:
            sample = next(iter(sample.values()))
        return f", e.g. {sample!r}"


def _field_of(model: type[BaseModel], loc: list[int | str]) -> _Field:
    """The field declaration ``loc`` points into (and the names beside it)."""
    current: type[BaseModel] | None = model
    info: FieldInfo | None = None
    siblings = _settings_of(model)
    element = False
    for part in loc:
        if current is not None and isinstance(part, str):
            siblings = _settings_of(current)
            info = siblings.get(part)
            current = _nested_model(info) if info is not None else None
            element = info is None
        else:
            element = True
    return _Field(info, list(siblings), element)


def _settings_of(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the names users write (aliases where declared)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _model_fields(info: FieldInfo | None) -> list[str]:
    nested = _nested_model(info) if info is not None else None
    return list(_settings_of(nested)) if nested is not None else []


def _nested_model(info: FieldInfo) -> type[BaseModel] | None:
    for tp in _flatten(info.annotation):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
    return None


def _flatten(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType, list, dict):
        return [t for arg in typing.get_args(tp) for t in _flatten(arg)]
    return [tp]
