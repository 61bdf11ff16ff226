"""The field table: one declaration per resource input, from which everything derives.

A resource's inputs are one pydantic model (`ResourceArgs` subclass). Each field says, next
to its type and description, what a change to it does:

    image: Annotated[Input[str], REPLACE, Field(description="Docker image")]
    label: Annotated[Input[str] | None, UPDATE, Field(description="...")] = None

From that single declaration `FieldTable` derives input validation (`check`), the diff
(`changed_fields`, `replace_fields`), which outputs are secret, and the reference docs.

Constraints live in the declaration too, inside `Input[...]`:

    disk_gb: Annotated[Input[Annotated[float, Field(gt=0)]], REPLACE, Field(...)] = 10.0

`Input[T]` accepts a `pulumi.Output` as it is (a program's value not known yet; the
provider checks it once resolved) and validates anything else as T alone, never coercing
it: no bool or text as a number, no number as text (the engine's floats stand for whole
numbers where they are whole). The same model thus validates a program's arguments, stack
config and the provider's resolved inputs, and its refusals speak of T, not of Outputs.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, core_schema

from pulumi_vast.resources._problems import Failure, InvalidInputs, validation_failures

__all__ = [
    "COMPUTED",
    "REPLACE",
    "SECRET",
    "STATE",
    "UPDATE",
    "Change",
    "FieldPolicy",
    "FieldTable",
    "Input",
    "ResourceArgs",
    "holds_secret",
    "known",
    "nested_args",
    "plain_strings",
    "resources_as_ids",
    "secret_fields",
    "secret_names",
    "whole_float_as_int",
]

T = TypeVar("T")


class _ValueOrOutput:
    """`Input[T]`'s validation: an Output passes; anything else is T, strictly."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        values = [arg for arg in get_args(source) if not _is_output(arg)]
        value_type = values[0] if len(values) == 1 else Union[tuple(values)]  # noqa: UP007
        return core_schema.no_info_wrap_validator_function(
            _unless_output, _strict(handler.generate_schema(value_type))
        )


def _unless_output(value: Any, validate: core_schema.ValidatorFunctionWrapHandler) -> Any:
    # An engine's unknown stands where a program had an Output: checked once it is known.
    return value if isinstance(value, pulumi.Output | Unknown) else validate(value)


def _strict(schema: CoreSchema) -> CoreSchema:
    """``schema`` with its scalars strict (no coercion between text, numbers and booleans),
    except that a whole float is a whole number: the engine sends every number as a float."""
    kind = schema["type"]
    if kind in ("str", "bool"):
        return {**schema, "strict": True}
    if kind == "float":
        return {**schema, "strict": True, "allow_inf_nan": False}
    if kind == "int":
        return core_schema.no_info_before_validator_function(
            whole_float_as_int,
            {**schema, "strict": True},
        )
    strict: dict[str, Any] = dict(schema)
    for key in ("schema", "items_schema", "keys_schema", "values_schema"):
        if isinstance(strict.get(key), dict):
            strict[key] = _strict(strict[key])
    if kind == "union":
        strict["choices"] = [
            (_strict(c[0]), c[1]) if isinstance(c, tuple) else _strict(c) for c in strict["choices"]
        ]
    return strict


def whole_float_as_int(value: Any) -> Any:
    """``value``, an int if it is a whole float: the engine sends every number as a float."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


Input = Annotated[Union[T, pulumi.Output[T]], _ValueOrOutput()]  # noqa: UP007 - generic alias
"""A value or a `pulumi.Output` of it, as a program may pass (see the module docstring)."""


class Change(enum.Enum):
    """What a change to an input does: ``doc`` names it in the reference, ``meaning`` says it."""

    STATE = "state"
    UPDATE = "update"
    REPLACE = "replace"

    @property
    def doc(self) -> str:
        return _CHANGE_DOCS[self][0]

    @property
    def meaning(self) -> str:
        return _CHANGE_DOCS[self][1]


_CHANGE_DOCS = {
    Change.STATE: (
        "state only (steers pulumi-vast; nothing live changes)",
        "kept in the state: it steers pulumi-vast (how offers rank, when an instance is "
        "ready, what happens on destroy) and never reaches Vast, so a change touches nothing "
        "live and applies from the next operation that uses it.",
    ),
    Change.UPDATE: ("update in place", "the provider applies it to the live object."),
    Change.REPLACE: ("replace", "a new object is created and the old one deleted."),
}


_PRECEDENCE = (Change.STATE, Change.UPDATE, Change.REPLACE)


@dataclass(frozen=True)
class FieldPolicy:
    change: Change | None
    """None for a modifier (SECRET, COMPUTED) that combines with a change; alone it means
    UPDATE."""
    secret: bool = False
    computed: bool = False
    """Optional input the provider fills in when unset (Terraform's optional+computed): an
    unset new value is no change."""

    def __or__(self, other: FieldPolicy) -> FieldPolicy:
        changes = [c for c in (self.change, other.change) if c is not None]
        change = max(changes, key=_PRECEDENCE.index) if changes else None
        return FieldPolicy(change, self.secret or other.secret, self.computed or other.computed)

    @property
    def effect(self) -> Change:
        return self.change or Change.UPDATE


STATE = FieldPolicy(Change.STATE)
UPDATE = FieldPolicy(Change.UPDATE)
REPLACE = FieldPolicy(Change.REPLACE)
SECRET = FieldPolicy(None, secret=True)
COMPUTED = FieldPolicy(None, computed=True)


_ARRIVED_SECRET: ContextVar[frozenset[str]] = ContextVar("arrived_secret", default=frozenset())
"""Inputs of the check being validated that arrived secret: never quoted in a failure."""


class ResourceArgs(BaseModel):
    """Base of every resource's inputs model."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid", frozen=True)

    def __init__(self, /, **data: Any) -> None:
        """Built by a program: bad arguments raise `InvalidInputs`, which names each one
        under the model (``InstanceArgs.disk_gb``) and is printed without a traceback."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            model = type(self)
            hidden = secret_fields(model) | _ARRIVED_SECRET.get()
            failures = validation_failures(exc, model, hide_inputs=hidden)
            raise InvalidInputs(model.__name__, failures) from None

    def to_inputs(self) -> dict[str, Any]:
        """The property bag for the engine: set fields only, Outputs kept as they are."""
        return {
            name: _inputs_of(getattr(self, name))
            for name in type(self).model_fields
            if getattr(self, name) is not None
        }


def _inputs_of(value: Any) -> Any:
    if isinstance(value, ResourceArgs):
        return value.to_inputs()
    if isinstance(value, list | tuple):
        return [_inputs_of(v) for v in value]
    if isinstance(value, dict):
        return {k: _inputs_of(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    return value


def resources_as_ids(data: Any, outputs: Mapping[str, str]) -> Any:
    """``data`` (a model's raw inputs) with each input named in ``outputs`` that holds a
    resource replaced by that resource's output of the given name: ``template=tmpl`` takes
    ``tmpl.hash_id``, as if the program had passed the hash."""
    if not isinstance(data, Mapping):
        return data
    swapped = {
        name: getattr(data[name], output)
        for name, output in outputs.items()
        if isinstance(data.get(name), pulumi.Resource) and hasattr(data[name], output)
    }
    return {**data, **swapped} if swapped else data


def known(value: Input[T]) -> T:
    """Narrow a resolved input: inside a provider no value is an Output any more."""
    if isinstance(value, pulumi.Output):
        raise TypeError("an unresolved pulumi.Output reached the provider")
    return value


@dataclass(frozen=True)
class FieldRow:
    name: str
    policy: FieldPolicy
    required: bool
    description: str
    type_name: str
    default: Any


@dataclass(frozen=True)
class CheckOutcome:
    inputs: dict[str, Any]
    failures: list[Failure]
    args: BaseModel | None
    """The validated, resolved inputs; None when a value is still unknown or invalid."""


class FieldTable:
    """Everything derived from one resource's inputs model."""

    def __init__(self, args_model: type[ResourceArgs]) -> None:
        self.args_model = args_model
        self.rows: dict[str, FieldRow] = {
            name: _row(name, info) for name, info in args_model.model_fields.items()
        }

    @functools.cached_property
    def secret_fields(self) -> frozenset[str]:
        return secret_fields(self.args_model)

    @functools.cached_property
    def replace_fields(self) -> frozenset[str]:
        return self._fields_whose(Change.REPLACE)

    @functools.cached_property
    def state_fields(self) -> frozenset[str]:
        """Fields that never reach Vast: a change to them is stored, nothing live is touched."""
        return self._fields_whose(Change.STATE)

    def _fields_whose(self, change: Change) -> frozenset[str]:
        return frozenset(name for name, row in self.rows.items() if row.policy.effect is change)

    def check(self, news: Mapping[str, Any]) -> CheckOutcome:
        """Validate the new inputs; name each failing field and keep unknowns unknown.

        The inputs come back plain: the provider base marks secrets on every result.
        """
        plain, unknown, secret = _split(news, self.rows)
        failures: list[Failure] = []
        args: BaseModel | None = None
        normalized: dict[str, Any] = dict(plain)
        arrived = _ARRIVED_SECRET.set(frozenset(secret))
        try:
            # Unknowns stand in as such, so that checks across fields see them as given.
            model = self.args_model.model_validate(
                {**plain, **{name: Unknown() for name in unknown}}  # type: ignore[no-untyped-call]
            )
        except ValidationError as exc:
            hidden = secret | self.secret_fields
            failures = [
                (path, reason)
                for path, reason in validation_failures(exc, self.args_model, hide_inputs=hidden)
                if path.split(".")[0].split("[")[0] not in unknown
            ]
        else:
            normalized = model.model_dump(mode="json", exclude_none=True, exclude=unknown)
            if not unknown:
                args = model
        finally:
            _ARRIVED_SECRET.reset(arrived)
        inputs = {name: value for name, value in normalized.items() if name in self.rows}
        inputs.update({name: Unknown() for name in unknown})  # type: ignore[no-untyped-call]
        return CheckOutcome(inputs=inputs, failures=failures, args=args)

    def parse(self, props: Mapping[str, Any]) -> Any:
        """Resolved inputs from state or a create/update request (already checked)."""
        plain, unknown, _ = _split(props, self.rows)
        if unknown:
            raise ValueError(f"inputs still unknown: {', '.join(sorted(unknown))}")
        return self.args_model.model_validate(plain)

    def changed_fields(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """Declared fields whose value differs (an unknown new value counts as a change)."""
        changed = []
        for name, row in self.rows.items():
            new = news.get(name, row.default)
            if row.policy.computed and new is None:
                continue
            if isinstance(new, Unknown) or _plain(olds.get(name, row.default)) != _plain(new):
                changed.append(name)
        return changed

    def with_secrets(
        self, values: Mapping[str, Any], *, arrived: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """``values`` with each declared secret field, and each name in ``arrived`` (the
        properties the request carried as secrets), marked secret as a whole; an unknown
        value stays unknown."""
        secret = self.secret_fields.union(arrived)
        return {
            name: _as_secret(value) if name in secret else value for name, value in values.items()
        }

    def markdown(self) -> str:
        """The inputs reference table for docs."""
        lines = ["| input | type | required | on change | description |", "|---|---|---|---|---|"]
        for row in self.rows.values():
            change = row.policy.effect.doc + (", secret" if row.policy.secret else "")
            change += ", computed when unset" if row.policy.computed else ""
            required = "yes" if row.required else f"no (default `{row.default!r}`)"
            lines.append(
                f"| `{row.name}` | {row.type_name} | {required} | {change} | {row.description} |"
            )
        return "\n".join(lines)


def nested_args(model: type[BaseModel]) -> list[type[ResourceArgs]]:
    """The inputs models nested in ``model``'s fields (e.g. `ReadyArgs` in `InstanceArgs`)."""
    found: list[type[ResourceArgs]] = []

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, ResourceArgs):
            if tp not in found:
                found.append(tp)
                for info in tp.model_fields.values():
                    visit(info.annotation)
            return
        for arg in get_args(tp):
            visit(arg)

    for info in model.model_fields.values():
        visit(info.annotation)
    return found


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` declared SECRET."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if any(isinstance(m, FieldPolicy) and m.secret for m in info.metadata)
    )


def holds_secret(value: Any) -> bool:
    """Whether an input's value has a SECRET field of a nested inputs model set (an S3
    key in a policy): then the whole input is kept secret, as a program's config values
    reach it plain."""
    if isinstance(value, BaseModel):
        secret = secret_fields(type(value))
        return any(
            (name in secret and getattr(value, name) is not None)
            or holds_secret(getattr(value, name))
            for name in type(value).model_fields
        )
    if isinstance(value, dict):
        return any(holds_secret(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(holds_secret(v) for v in value)
    return False


def _row(name: str, info: FieldInfo) -> FieldRow:
    policies = [m for m in info.metadata if isinstance(m, FieldPolicy)]
    if not policies:
        raise TypeError(f"field {name!r} must declare its change policy (UPDATE, REPLACE...)")
    outside = [m for m in info.metadata if not isinstance(m, FieldPolicy | _ValueOrOutput)]
    if outside:
        # Applied around Input[...], they would meet unresolved Outputs.
        raise TypeError(
            f"field {name!r}: put constraints inside Input[...], e.g. "
            f"Input[Annotated[float, Field(gt=0)]], not beside it: {outside}"
        )
    return FieldRow(
        name=name,
        policy=functools.reduce(lambda a, b: a | b, policies),
        required=info.is_required(),
        description=info.description or "",
        type_name=_type_name(info.annotation),
        default=None if info.is_required() else info.get_default(call_default_factory=True),
    )


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Annotated:
        return _type_name(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        shown = [a for a in get_args(tp) if a is not type(None) and not _is_output(a)]
        return " or ".join(_type_name(a) for a in shown)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp.__name__
    if origin is not None:
        inner = ", ".join(_type_name(a) for a in get_args(tp))
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(tp, "__name__", str(tp))


def secret_names(props: Mapping[str, Any]) -> frozenset[str]:
    """The properties that are, or hold, a secret (as a secret-accepting host sends them)."""
    return frozenset(name for name, value in props.items() if _contains_secret(value))


def plain_strings(value: Any) -> list[str]:
    """Every string in a property value (secret markers removed): what a secret holds."""
    value = _plain(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for v in value.values() for text in plain_strings(v)]
    if isinstance(value, list | tuple):
        return [text for v in value for text in plain_strings(v)]
    return []


def _split(
    props: Mapping[str, Any], rows: Mapping[str, FieldRow]
) -> tuple[dict[str, Any], set[str], set[str]]:
    """(plain values, names of unknown fields, names that arrived as or with secrets)."""
    plain: dict[str, Any] = {}
    unknown: set[str] = set()
    secret: set[str] = set()
    for name, value in props.items():
        if name not in rows and name.startswith("__"):
            continue
        if _contains_secret(value):
            secret.add(name)
            value = _plain(value)
        if _contains_unknown(value):
            unknown.add(name)
        else:
            plain[name] = value
    return plain, unknown, secret


def _as_secret(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    return rpc.wrap_rpc_secret(_plain(value))


def _plain(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _contains_secret(value: Any) -> bool:
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(_contains_secret(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_contains_secret(v) for v in value)
    return False


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown) or value == rpc.UNKNOWN:
        return True
    if rpc.is_rpc_secret(value):
        return _contains_unknown(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_contains_unknown(v) for v in value)
    return False


def _is_output(tp: Any) -> bool:
    return tp is pulumi.Output or get_origin(tp) is pulumi.Output
