"""`pulumi import` of a resource: refused before anything is recorded, with the way that
works printed, the object's declaration with the ``import_`` option.

What the engine does for `pulumi import TYPE NAME ID` (pkg/resource/deploy/step.go,
`ImportStep.Apply`, and cmd/pulumi/operations/import.go): it reads the object with the id
alone (the provider a dynamic resource needs is supplied by our plugin host, see
`pulumi_vast.engine.adoption`; the SDK's stock host fails there), checks the inputs the read
reported against themselves, records the resource, and then asks the provider for its
schema to write the resource's code. A dynamic provider has no schema, so the command
fails after the import (exit 1); and the read cannot know some inputs (the query an
instance was rented by), so the check fails too, with a warning blaming "a bug in the
pulumi-python provider". Code written from a schema would not be our classes anyway.

So the first read of an object (an import, or a `get`) marks the inputs it reports
(`IMPORT_INPUT`, holding the declaration to write). A check whose new inputs carry the mark
can only be `pulumi import`'s: with the ``import_`` option the engine checks the
program's inputs, which never do. That check refuses, printing the declaration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["IMPORT_INPUT", "ImportFromProgram", "declaration", "import_mark", "refusal"]

IMPORT_INPUT = "__import"
"""The hidden input a first read adds: ``{"id": ..., "inputs": {...}}``."""


class ImportFromProgram(Exception):
    """`pulumi import` of a pulumi-vast resource: the message says what to write instead."""


def import_mark(id_: str, inputs: Mapping[str, Any], *, secret: frozenset[str]) -> dict[str, Any]:
    """The value of `IMPORT_INPUT` for object ``id_``, to be declared with ``inputs``; the
    ``secret`` ones are named without their value (the mark is kept in the state)."""
    return {
        "id": id_,
        "inputs": {name: None if name in secret else v for name, v in inputs.items()},
    }


def declaration(
    class_name: str,
    resource_name: str,
    mark: Mapping[str, Any],
    *,
    order: Sequence[str],
    secret: frozenset[str],
) -> str:
    """The Python a program declares the marked object with, adopting it by ``import_``:
    its inputs in ``order`` (the engine keeps no order); a ``secret`` one is shown as where
    to take it from, never its value."""
    inputs: Mapping[str, Any] = mark.get("inputs") or {}
    lines = [f"vast.{class_name}(", f"    {_literal(resource_name)},"]
    for name in sorted(inputs, key=lambda n: order.index(n) if n in order else len(order)):
        value = inputs[name]
        if name in secret:
            lines.append(f'    {name}=pulumi.Config().require_secret("..."),  # a secret')
        else:
            lines.append(f"    {name}={_literal(value)},")
    lines.append(f"    opts=pulumi.ResourceOptions(import_={_literal(str(mark.get('id')))}),")
    lines.append(")")
    return "\n".join(lines)


def refusal(class_name: str, mark: Mapping[str, Any], code: str) -> str:
    """What `pulumi import` of the marked object prints, ``code`` its declaration."""
    return (
        "`pulumi import` cannot record pulumi-vast resources: Pulumi writes an imported "
        "resource's code from its provider's schema, which dynamic resources lack. Nothing "
        f"was imported. Adopt {class_name} {mark.get('id')} from your program with "
        f"`import_` and run `pulumi up` (then drop `import_`):\n\n{code}\n\n"
        "The inputs are what Vast reports (a query: one it satisfies; write your own). An "
        "input that differs from the object is refused by name, and nothing changes."
    )


def _literal(value: Any) -> str:
    """``value`` (JSON-like, as the engine sends it) as Python source."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return json.dumps(value) if isinstance(value, str) else repr(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{_literal(str(k))}: {_literal(v)}" for k, v in value.items())
        return f"{{{items}}}"
    if isinstance(value, list | tuple):
        return f"[{', '.join(_literal(v) for v in value)}]"
    return repr(value)
