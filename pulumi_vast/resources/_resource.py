"""The program-side half of a resource: typed args in, typed outputs out."""

from __future__ import annotations

import inspect
import typing
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic

from pulumi_vast.resources._fields import ResourceArgs
from pulumi_vast.resources._owner import OWNER_INPUT
from pulumi_vast.resources._provider import VastProvider

__all__ = ["VastResource", "output_names"]


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


class VastResource(pulumi.dynamic.Resource):
    """Base of the public resource classes (`Instance`, `SshKey`, ...)."""

    provider_class: ClassVar[type[VastProvider]]
    args_class: ClassVar[type[ResourceArgs]]
    output_properties: ClassVar[list[str]] = []
    rents: ClassVar[bool] = False
    """Whether it bills: then it carries its stack's tag (`stack_tag`), so that nothing it
    rents can be lost by an interrupted run."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.output_properties = output_names(cls)

    def __init__(
        self,
        resource_name: str,
        args: ResourceArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        if args is None:
            args = self.args_class(**kwargs)
        elif kwargs:
            raise TypeError("pass either an args object or keyword arguments, not both")
        elif not isinstance(args, self.args_class):
            raise TypeError(f"args must be a {self.args_class.__name__}")
        props: dict[str, Any] = dict.fromkeys(self.output_properties)
        props.update(args.to_inputs())
        if self.rents:
            from pulumi_vast.resources.stack_tag import owner_input  # it is a VastResource

            props[OWNER_INPUT] = owner_input(resource_name)
        secret_outputs = sorted(self.provider_class.table.secret_fields)
        for name in secret_outputs:
            # Secret as an input too: the engine stores inputs beside outputs in the state.
            if props.get(name) is not None:
                props[name] = pulumi.Output.secret(props[name])
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs)
        )
        super().__init__(self.provider_class(), resource_name, props, opts)
