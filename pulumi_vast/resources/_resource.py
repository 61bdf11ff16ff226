"""The program-side half of a resource: typed args in, typed outputs out."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

import pulumi
import pulumi.dynamic

from pulumi_vast.api import MAX_LABEL_LENGTH
from pulumi_vast.resources import _stack_cost as stack_cost
from pulumi_vast.resources._fields import ResourceArgs, holds_secret
from pulumi_vast.resources._owner import OWNER_INPUT
from pulumi_vast.resources._problems import InvalidInputs, describe
from pulumi_vast.resources._provider import VastProvider

__all__ = [
    "ConfigRef",
    "VastResource",
    "default_label",
    "output_names",
    "provider_class_for",
    "registered",
]

_REGISTRY: dict[str, type[VastResource]] = {}


def output_names(cls: type) -> list[str]:
    """The `pulumi.Output[...]` attributes a resource class declares: its outputs table.

    Only our own classes' annotations are read; Pulumi's base classes annotate with names
    that exist for type checkers only.
    """
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        own = inspect.get_annotations(klass)
        if not own or not klass.__module__.startswith("pulumi_vast."):
            continue
        holder = type("Annotations", (), {"__annotations__": own, "__module__": klass.__module__})
        for name, hint in typing.get_type_hints(holder).items():
            if typing.get_origin(hint) is pulumi.Output or hint is pulumi.Output:
                names.append(name)
    return names


@dataclass(frozen=True)
class ConfigRef:
    """An input that stack config may fill by naming another resource declared there.

    ``path`` is the input (``template``), a list's items (``ssh_keys[]``) or a field of
    them (``volumes[].volume``); ``sections`` the config keys whose entries it may name. A
    named entry is replaced by the resource itself (``use="resource"``: its args model takes
    a resource there) or dropped from the list and only waited for (``use="depend"``, e.g.
    an account SSH key, which Vast gives every instance). Anything else must pass
    ``literal`` (a hash id, a key line) or is refused naming the declared names.
    """

    path: str
    sections: tuple[str, ...]
    use: Literal["resource", "depend"] = "resource"
    literal: Callable[[Any], bool] = field(default=lambda value: False, compare=False)
    what: str = "a literal value"
    """How a literal is described in a refusal."""


class VastResource(pulumi.dynamic.Resource):
    """Base of the public resource classes (`Instance`, `SshKey`, ...)."""

    provider_class: ClassVar[type[VastProvider]]
    args_class: ClassVar[type[ResourceArgs]]
    output_properties: ClassVar[list[str]] = []
    config_key: ClassVar[str | None] = None
    """The key of its entries in stack config (`pulumi-vast:<key>`), if it may be declared
    there: a list of entries, each a `name` (the resource's) and its inputs."""
    config_entry: ClassVar[type[Any] | None] = None
    """A model for its stack-config entries when they are not simply `name` plus its inputs;
    it has ``name`` and ``inputs() -> dict`` (raising `InvalidField`)."""
    config_example: ClassVar[str] = ""
    """How it is declared in stack config (YAML), shown in the docs and run by a test."""
    config_refs: ClassVar[tuple[ConfigRef, ...]] = ()
    """Its inputs that stack config may fill by naming other resources."""
    rents: ClassVar[bool] = False
    """Whether it bills: then it carries its stack's tag (`stack_tag`), so that nothing it
    rents can be lost by an interrupted run."""
    cost_output: ClassVar[tuple[str, float] | None] = None
    """(output, factor): its price in $/hour is that output times the factor, counted in
    its stack's `vast_cost` (unless `billed_per_hour` says otherwise)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.output_properties = output_names(cls)
        provider = vars(cls).get("provider_class")
        if provider is not None:
            # The outputs are declared once, here; the provider's results must carry them.
            provider.output_names = frozenset(cls.output_properties)
            provider.class_name = cls.__name__
            _REGISTRY[f"pulumi-python:{cls._resource_type_name}"] = cls

    def __init__(
        self,
        resource_name: str,
        args: ResourceArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        args = self.defaults(resource_name, self._args(resource_name, args, kwargs))
        props: dict[str, Any] = dict.fromkeys(self.output_properties)
        props.update(args.to_inputs())
        if self.rents:
            from pulumi_vast.resources.stack_tag import owner_input  # it is a VastResource

            props[OWNER_INPUT] = owner_input(resource_name, self._provider_in(opts))
        secret_outputs = sorted(
            self.provider_class.table.secret_fields
            | {name for name in type(args).model_fields if holds_secret(getattr(args, name))}
        )
        for name in secret_outputs:
            # Secret as an input too: the engine stores inputs beside outputs in the state.
            if props.get(name) is not None:
                props[name] = pulumi.Output.secret(props[name])
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs)
        )
        super().__init__(self.provider_class(), resource_name, props, opts)
        billed = self.billed_per_hour(args)
        if billed is not None:
            kind = self.provider_class.kind.replace(" ", "_") + "s"
            stack_cost.track(kind, billed, self.billed_hours())

    def billed_hours(self) -> pulumi.Output[float | None] | None:
        """How many hours it is meant to bill (`planned_hours`), if it says."""
        return None

    def billed_per_hour(self, args: ResourceArgs) -> pulumi.Output[float] | None:
        """What it bills in $/hour once applied (declared with ``args``), counted in its
        stack's `vast_cost`; None if it bills nothing."""
        if self.cost_output is None:
            return None
        name, factor = self.cost_output
        cost: pulumi.Output[float | None] = getattr(self, name)
        return cost.apply(lambda value: float(value or 0) * factor)

    @classmethod
    def get(
        cls,
        resource_name: str,
        id: pulumi.Input[str],  # Pulumi's name for it, in every SDK
        opts: pulumi.ResourceOptions | None = None,
    ) -> Self:
        """The existing object ``id`` (as `pulumi import` and ``import_`` take it), read into
        the program without managing it: its outputs are Vast's, every `pulumi up` reads it
        again, and nothing in the stack changes or deletes it."""
        if not isinstance(resource_name, str) or not resource_name:
            got = describe(resource_name)
            problem = f"needs a name, text unique in the stack; got {got}"
            raise InvalidInputs(f"{cls.__name__}.get({resource_name!r})", [("", problem)])
        resource = cls.__new__(cls)
        # Every input and output is read back, so each is an attribute of the result.
        props = dict.fromkeys([*cls.provider_class.table.rows, *cls.output_properties])
        secret_outputs = sorted(cls.provider_class.table.secret_fields)
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(id=id, additional_secret_outputs=secret_outputs)
        )
        pulumi.dynamic.Resource.__init__(resource, cls.provider_class(), resource_name, props, opts)
        return resource

    @classmethod
    def _provider_in(cls, opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
        """The explicit provider (an `Account`) the resource will run under, if any: its
        own, else its parent's."""
        if opts is None:
            return None
        if isinstance(opts.provider, pulumi.ProviderResource):
            return opts.provider
        if opts.parent is not None:
            return opts.parent.get_provider(f"pulumi-python:{cls._resource_type_name}")
        return None

    @classmethod
    def defaults(cls, resource_name: str, args: ResourceArgs) -> ResourceArgs:
        """``args`` with the inputs a resource derives from its name filled in."""
        return args

    @classmethod
    def _args(cls, resource_name: Any, args: Any, kwargs: dict[str, Any]) -> ResourceArgs:
        """The validated inputs; a mistake raises `InvalidInputs` naming this resource and
        the argument (``Instance("gpu").disk_gb``), which prints without a traceback."""
        named = isinstance(resource_name, str)
        owner = (
            f'{cls.__name__}("{resource_name}")' if named else f"{cls.__name__}({resource_name!r})"
        )
        if not named or not resource_name:
            got = describe(resource_name)
            raise InvalidInputs(owner, [("", f"needs a name, text unique in the stack; got {got}")])
        if args is None:
            try:
                return cls.args_class(**kwargs)
            except InvalidInputs as exc:
                raise exc.under(owner) from None
        args_name = cls.args_class.__name__
        if kwargs:
            problem = f"pass either {args_name}(...) or keyword arguments, not both"
        elif not isinstance(args, cls.args_class):
            problem = (
                f"args must be {args_name}(...) (or pass the inputs as keyword arguments), "
                f"got {describe(args, hidden=True)}"
            )
        else:
            return args
        raise InvalidInputs(owner, [("", problem)])


def registered() -> dict[str, type[VastResource]]:
    """Every resource class of the package, by type token (`pulumi-python:dynamic/vast:X`):
    what the docs, the stack program and imports derive from."""
    import pulumi_vast.resources  # noqa: F401 - importing it defines them all

    return dict(sorted(_REGISTRY.items()))


def provider_class_for(type_token: str) -> type[VastProvider] | None:
    """The provider class of a type token (`pulumi-python:dynamic/vast:Instance`): what the
    plugin host supplies to import a resource (the package's entry point names this)."""
    resource = registered().get(type_token)
    return resource.provider_class if resource is not None else None


def default_label(project: str, stack: str, name: str) -> str:
    """`project/stack/name`: how a resource names its object on Vast when not told, so that
    it can be traced back to its stack. One line, at most Vast's label length."""
    text = "".join(c for c in f"{project}/{stack}/{name}" if c.isprintable())
    return text[:MAX_LABEL_LENGTH]
