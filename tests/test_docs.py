"""The committed resource reference is what the code renders."""

from pathlib import Path

from pulumi_vast import docs
from pulumi_vast.resources._resource import registered

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "resources.md"


def test_docs_resources_md_is_current():
    assert REFERENCE.read_text() == docs.render(), (
        "docs/resources.md is stale: run `.venv/bin/python -m pulumi_vast.docs > docs/resources.md`"
    )


def test_every_input_and_output_is_documented():
    text = docs.render()
    for resource in registered().values():
        for name, row in resource.provider_class.table.rows.items():
            assert row.description, f"{resource.__name__}.{name} has no description"
            assert f"| `{name}` |" in text
        outputs = docs.attribute_docs(resource)
        for name in resource.output_properties:
            assert outputs.get(name), f"{resource.__name__}.{name} output has no docstring"
