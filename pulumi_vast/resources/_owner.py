"""Whose an instance is: the stack and resource every create tags it with.

A create can outlive its record: the CLI is killed while instances boot, a rollback's
destroy keeps failing, an answer is lost. So every instance carries, in its environment
(which every listing shows), the id of its stack's `StackTag` record and the name of the
resource that rented it. With them:

- a create of resource R first looks for instances tagged R: left by an interrupted run,
  they are adopted when they are what R asks for, and destroyed otherwise;
- a refresh or delete of R destroys any other instance tagged R (R's state holds one);
- the deletion of the stack's record (`pulumi destroy`, or the last billing resource gone
  from the program) destroys whatever still carries the stack's tag.

The stack id is random, made once per stack, so two stacks of the same name (two people,
one team account) never touch each other's instances.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a program imports this module, and must not load the API client
    from pulumi_vast.api import Instance as LiveInstance

__all__ = [
    "OWNER_INPUT",
    "RELEASED_MARK",
    "RESOURCE_TAG_ENV",
    "SPEC_TAG_ENV",
    "STACK_TAG_ENV",
    "Owner",
    "spec_digest",
    "stack_of",
]

OWNER_INPUT = "__owner"
"""The hidden input carrying ``<stack id>/<resource name>`` from the program."""
STACK_TAG_ENV = "PULUMI_VAST_STACK"
RESOURCE_TAG_ENV = "PULUMI_VAST_RESOURCE"
SPEC_TAG_ENV = "PULUMI_VAST_SPEC"
"""A digest of what was asked for: an instance left behind is adopted only if it matches."""
RELEASED_MARK = "[released by pulumi-vast]"
"""Ends the label of an instance its stack let go of on purpose (`on_destroy: stop` or
`keep`): it still carries the stack's tags, but is no longer the stack's to sweep."""


def released(instance: LiveInstance) -> bool:
    return (instance.label or "").endswith(RELEASED_MARK)


@dataclass(frozen=True)
class Owner:
    stack: str
    resource: str

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> Owner | None:
        """The owner a program passed (None for a state written before tags existed)."""
        value = props.get(OWNER_INPUT)
        if not isinstance(value, str) or "/" not in value:
            return None
        stack, _, resource = value.partition("/")
        return cls(stack, resource) if stack and resource else None

    def tags(self) -> dict[str, str]:
        return {STACK_TAG_ENV: self.stack, RESOURCE_TAG_ENV: self.resource}

    def owns(self, instance: LiveInstance) -> bool:
        env = instance.extra_env
        return (
            env.get(STACK_TAG_ENV) == self.stack
            and env.get(RESOURCE_TAG_ENV) == self.resource
            and not released(instance)
        )


def stack_of(instance: LiveInstance) -> str | None:
    """The stack that rented it, unless that stack released it."""
    return None if released(instance) else instance.extra_env.get(STACK_TAG_ENV)


def spec_digest(spec: Mapping[str, Any]) -> str:
    """A short, stable digest of a JSON-able description of what a create asks for."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
