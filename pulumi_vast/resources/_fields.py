"""The field table: one declaration per resource input, from which everything derives.

A resource's inputs are one pydantic model (`ResourceArgs` subclass). Each field says, next
to its type and description, what a change to it does:

    image: Annotated[Input[str], REPLACE, Field(description="Docker image")]
    label: Annotated[Input[str] | None, UPDATE, Field(description="...")] = None

From that single declaration `FieldTable` derives input validation (`check`), the diff
(`changed_fields`, `replace_fields`), which outputs are secret, and the reference docs.
Fields accept `pulumi.Output` values in a program; the provider validates the resolved
values against a twin model with the `Output` branches stripped.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic.fields import FieldInfo

__all__ = [
    "COMPUTED",
    "REPLACE",
    "SECRET",
    "UPDATE",
    "Change",
    "FieldPolicy",
    "FieldTable",
    "Input",
    "InvalidField",
    "ResourceArgs",
    "known",
    "plain_strings",
    "secret_names",
    "validation_failures",
]

T = TypeVar("T")

Input = Union[T, pulumi.Output[T]]  # noqa: UP007 - a generic alias needs Union
"""A value or a `pulumi.Output` of it, as a program may pass."""


class Change(enum.Enum):
    UPDATE = "update"
    """Applied to the live object in place by the provider's `update`."""
    REPLACE = "replace"
    """A new object is created and the old one deleted."""


@dataclass(frozen=True)
class FieldPolicy:
    change: Change
    secret: bool = False
    computed: bool = False
    """Optional input the provider fills in when unset (Terraform's optional+computed): an
    unset new value is no change."""

    def __or__(self, other: FieldPolicy) -> FieldPolicy:
        change = Change.REPLACE if Change.REPLACE in (self.change, other.change) else Change.UPDATE
        return FieldPolicy(change, self.secret or other.secret, self.computed or other.computed)


UPDATE = FieldPolicy(Change.UPDATE)
REPLACE = FieldPolicy(Change.REPLACE)
SECRET = FieldPolicy(Change.UPDATE, secret=True)
COMPUTED = FieldPolicy(Change.UPDATE, computed=True)


class ResourceArgs(BaseModel):
    """Base of every resource's inputs model."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid", frozen=True)

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


class InvalidField(ValueError):
    """Raised by an inputs model's validators to blame one field (message names the fix)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


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
    failures: list[tuple[str, str]]
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
    def resolved_model(self) -> type[BaseModel]:
        """Built on first use: only the provider checks inputs, and a program that merely
        declares resources should not pay for building it."""
        return _resolved_twin(self.args_model)

    @functools.cached_property
    def secret_fields(self) -> frozenset[str]:
        return frozenset(name for name, row in self.rows.items() if row.policy.secret)

    @functools.cached_property
    def replace_fields(self) -> frozenset[str]:
        return frozenset(
            name for name, row in self.rows.items() if row.policy.change is Change.REPLACE
        )

    def check(self, news: Mapping[str, Any]) -> CheckOutcome:
        """Validate the new inputs; name each failing field and keep unknowns unknown.

        The inputs come back plain: the provider base marks secrets on every result.
        """
        plain, unknown, secret = _split(news, self.rows)
        failures: list[tuple[str, str]] = []
        args: BaseModel | None = None
        normalized: dict[str, Any] = dict(plain)
        try:
            model = self.resolved_model.model_validate(plain)
        except ValidationError as exc:
            hidden = secret | self.secret_fields
            failures = [
                (path, reason)
                for path, reason in validation_failures(exc, hide_inputs=hidden)
                if path.split(".")[0].split("[")[0] not in unknown
            ]
        else:
            normalized = model.model_dump(mode="json", exclude_none=True)
            if not unknown:
                args = model
        inputs = {name: value for name, value in normalized.items() if name in self.rows}
        inputs.update({name: Unknown() for name in unknown})  # type: ignore[no-untyped-call]
        return CheckOutcome(inputs=inputs, failures=failures, args=args)

    def parse(self, props: Mapping[str, Any]) -> Any:
        """Resolved inputs from state or a create/update request (already checked)."""
        plain, unknown, _ = _split(props, self.rows)
        if unknown:
            raise ValueError(f"inputs still unknown: {', '.join(sorted(unknown))}")
        return self.resolved_model.model_validate(plain)

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
            change = row.policy.change.value + (", secret" if row.policy.secret else "")
            change += ", computed when unset" if row.policy.computed else ""
            required = "yes" if row.required else f"no (default `{row.default!r}`)"
            lines.append(
                f"| `{row.name}` | {row.type_name} | {required} | {change} | {row.description} |"
            )
        return "\n".join(lines)


def _row(name: str, info: FieldInfo) -> FieldRow:
    policies = [m for m in info.metadata if isinstance(m, FieldPolicy)]
    if not policies:
        raise TypeError(f"field {name!r} must declare its change policy (UPDATE, REPLACE...)")
    return FieldRow(
        name=name,
        policy=functools.reduce(lambda a, b: a | b, policies),
        required=info.is_required(),
        description=info.description or "",
        type_name=_type_name(_strip_outputs(info.annotation)),
        default=None if info.is_required() else info.get_default(call_default_factory=True),
    )


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Annotated:
        return _type_name(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp) if a is not type(None))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp.__name__.removesuffix("Resolved")
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


def validation_failures(
    exc: ValidationError, *, prefix: str = "", hide_inputs: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(field path, reason) per error, blaming the field an `InvalidField` names; the bad
    value is quoted except under ``hide_inputs`` (secrets)."""
    hidden = set(hide_inputs)
    found = []
    for error in exc.errors(include_url=False):
        path = prefix
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = str(error["msg"]).removeprefix("Value error, ")
        blamed = error.get("ctx", {}).get("error")
        if isinstance(blamed, InvalidField):
            path = ".".join(p for p in (path, blamed.field) if p)
            message = str(blamed)
        elif error["type"] == "extra_forbidden":
            message = "unknown input; remove it or check its spelling"
        elif (
            "input" in error
            and error["type"] not in ("missing", "value_error")
            and not hidden.intersection(str(part) for part in error["loc"])
        ):
            message = f"{message} (got {error['input']!r})"
        found.append((path or "inputs", message))
    return found


@functools.cache
def _resolved_twin(model: type[BaseModel]) -> type[BaseModel]:
    """The same model with every `Output` branch removed from its annotations."""
    fields: dict[str, Any] = {
        name: (_strip_outputs(info.annotation), _copy_info(info))
        for name, info in model.model_fields.items()
    }
    twin: type[BaseModel] = create_model(
        f"{model.__name__}Resolved", __base__=model, __module__=model.__module__, **fields
    )
    return twin


def _copy_info(info: FieldInfo) -> FieldInfo:
    copied = FieldInfo.merge_field_infos(info)
    copied.annotation = None
    return copied


def _strip_outputs(tp: Any) -> Any:
    origin = get_origin(tp)
    if origin is Annotated:
        inner, *meta = get_args(tp)
        return Annotated[(_strip_outputs(inner), *meta)]
    if origin in (Union, types.UnionType):
        kept = [_strip_outputs(a) for a in get_args(tp) if not _is_output(a)]
        return kept[0] if len(kept) == 1 else Union[tuple(kept)]  # noqa: UP007
    if origin in (list, tuple, dict, set, frozenset):
        args = tuple(_strip_outputs(a) for a in get_args(tp))
        return origin[args] if len(args) > 1 else origin[args[0]]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _resolved_twin(tp)
    return tp


def _is_output(tp: Any) -> bool:
    return tp is pulumi.Output or get_origin(tp) is pulumi.Output
