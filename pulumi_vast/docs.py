"""The resource reference, rendered from the code it documents.

Inputs come from each resource's field table (type, default, what a change does), outputs
from the `pulumi.Output` attributes of its class and their docstrings, so the reference
cannot drift from the code: `docs/resources.md` is this module's output, and a test fails
when the committed file differs.

    python -m pulumi_vast.docs > docs/resources.md
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import sys
import textwrap
from typing import Any

from pulumi_vast.resources import Account, RankedOffer, get_offers
from pulumi_vast.resources._fields import Change, FieldTable, ResourceArgs, nested_args
from pulumi_vast.resources._resource import VastResource, registered
from pulumi_vast.resources._settings import SECRET_SETTINGS, SETTING_KEYS, ProviderSettings
from pulumi_vast.resources._stack_cost import COUNTED, STACK_OUTPUT

__all__ = ["attribute_docs", "render", "resource_section"]


def attribute_docs(cls: type) -> dict[str, str]:
    """``name: "docstring"`` of the annotated attributes in a class body, and in the bodies
    of the package's own classes it derives from."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("pulumi_vast."):
            docs.update(_own_attribute_docs(klass))
    return docs


def _own_attribute_docs(cls: type) -> dict[str, str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = " ".join(following.value.value.split())
    return docs


def resource_section(resource: type[VastResource]) -> str:
    doc = inspect.getdoc(resource) or ""
    summary = doc.split("\n\n")[0]
    token = f"pulumi-python:{resource._resource_type_name}"
    outputs = attribute_docs(resource)
    lines = [
        f"## {resource.__name__}",
        "",
        summary,
        "",
        f"Type token: `{token}`",
        "",
        "### Inputs",
        "",
        resource.provider_class.table.markdown(),
        "",
        "### Outputs",
        "",
        "Every input, plus:",
        "",
        "| output | description |",
        "|---|---|",
        *(f"| `{name}` | {outputs.get(name, '')} |" for name in resource.output_properties),
        "",
        *_cost_line(resource),
        *_examples(resource),
        "### Import",
        "",
        "Adopt an object made outside Pulumi from the program: declare it with the inputs "
        'it has and `opts=pulumi.ResourceOptions(import_="ID")`, run `pulumi up`, then drop '
        "the option. `pulumi import` records nothing (Pulumi writes imported code from a "
        "provider schema, which dynamic resources lack): it prints that declaration, with "
        "the inputs read from Vast. To read an object into a program without managing it: "
        f'`vast.{resource.__name__}.get("name", "ID")`.',
    ]
    return "\n".join(lines)


def _cost_line(resource: type[VastResource]) -> list[str]:
    if resource.cost_output is None:
        return []
    name, factor = resource.cost_output
    price = f"`{name}`" if factor == 1 else f"`{name}` / {1 / factor:g}"
    link = f"[`{STACK_OUTPUT}`](#{STACK_OUTPUT})"
    return [f"Its price per hour, {price}, counts in the stack's {link}.", ""]


def cost_section() -> str:
    counted = ", ".join(f"`{kind}`" for kind in COUNTED)
    return "\n".join(
        [
            f"## {STACK_OUTPUT}",
            "",
            "A stack output every program has once it declares something that bills: what "
            "its instances, volumes and network volumes cost together, `per_hour` and "
            f"`per_day` in $, and how many of each it holds ({counted}; a kind it holds none "
            "of is left out). Once an instance says how long it is meant to run "
            "(`planned_hours`: its task's estimated hours, at most its `max_hours`), also "
            "`planned`, what those instances cost for their hours in $, and `unplanned`, how "
            "many other resources bill for an unknown time. A preview ends with it as the "
            "stack will be once applied, and "
            "with its change against the last `up`; under the SDK's stock provider host it "
            "is unknown in a preview that rents or changes something. After `up` it is what "
            "Vast bills: a stopped instance (`running: false`) counts only its disk "
            "(`storage_dph`). What `get` reads is not counted: the stack does not pay for it.",
        ]
    )


def python_example(documented: Any) -> str:
    """The code of the ``## Example Usage`` section of its docstring ("" without one)."""
    doc = inspect.getdoc(documented) or ""
    found = re.search(r"## Example Usage\s*```python\n(.*?)```", doc, re.S)
    return found.group(1) if found else ""


def _examples(resource: type[VastResource]) -> list[str]:
    lines: list[str] = []
    code = python_example(resource)
    if code:
        lines += ["### In Python", "", "```python", code.rstrip(), "```", ""]
    if resource.config_example:
        lines += ["### In stack config", "", "```yaml", resource.config_example.strip(), "```", ""]
    return lines


def account_section() -> str:
    code = python_example(Account)
    rows = [
        f"| `{name}` | `{SETTING_KEYS[name]}` | {info.description or ''}"
        + (", a secret |" if name in SECRET_SETTINGS else " |")
        for name, info in ProviderSettings.model_fields.items()
    ]
    return "\n".join(
        [
            "## Account",
            "",
            _paragraphs(Account),
            "",
            "| argument | the same setting in stack config | description |",
            "|---|---|---|",
            *rows,
            "",
            "```python",
            code.rstrip(),
            "```",
        ]
    )


def lookups_section() -> str:
    rows = [
        f"| `{name}` | {info.description or ''} |"
        for name, info in RankedOffer.model_fields.items()
    ]
    shown: list[str] = []
    for p in inspect.signature(get_offers).parameters.values():
        if p.kind is p.KEYWORD_ONLY and "*" not in shown:
            shown.append("*")
        shown.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    signature = f"get_offers({', '.join(shown)}) -> list[RankedOffer]"
    return "\n".join(
        [
            "## get_offers",
            "",
            f"`{signature}`",
            "",
            _paragraphs(get_offers),
            "",
            "Each result is a `RankedOffer`:",
            "",
            "| field | description |",
            "|---|---|",
            *rows,
            "",
            "```python",
            python_example(get_offers).rstrip(),
            "```",
        ]
    )


def _paragraphs(documented: Any) -> str:
    """Its docstring, without the example (shown after the reference)."""
    doc = inspect.getdoc(documented) or ""
    return re.sub(r"## Example Usage\s*```python\n.*?```\s*", "", doc, flags=re.S).strip()


def nested_section(args: type[ResourceArgs]) -> str:
    doc = (inspect.getdoc(args) or "").split("\n\n")[0]
    return "\n".join([f"## {args.__name__}", "", doc, "", FieldTable(args).markdown()])


def render() -> str:
    resources = list(registered().values())
    nested = dict.fromkeys(
        args for resource in resources for args in nested_args(resource.args_class)
    )
    legend = " ".join(f'"{change.doc}": {change.meaning}' for change in Change)
    parts = [
        "# Resource reference",
        "",
        "Generated by `python -m pulumi_vast.docs` from the resources' own field tables; "
        "do not edit by hand. What a change to an input does: "
        + legend
        + " An Instance is replaced old one first, so two never bill at once.",
        "",
        *(resource_section(resource) + "\n" for resource in resources),
        *(nested_section(args) + "\n" for args in nested),
        account_section() + "\n",
        lookups_section() + "\n",
        cost_section() + "\n",
    ]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render())
