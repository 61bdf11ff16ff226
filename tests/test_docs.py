"""The committed resource reference is what the code renders."""

import re
from pathlib import Path

import yaml

from pulumi_vast import docs
from pulumi_vast.resources import InstanceProvider
from pulumi_vast.resources._resource import registered
from pulumi_vast.stack import StackSpec, generate_key_pair

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


def test_the_readme_stack_config_example_passes_check(tmp_path: Path) -> None:
    readme = (REFERENCE.parents[1] / "README.md").read_text()
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "instances" in b]
    config = yaml.safe_load(block)["config"]
    raw = {
        key.removeprefix("pulumi-vast:"): value
        for key, value in config.items()
        if key.startswith("pulumi-vast:")
    }
    spec = StackSpec.parse(raw)
    generate_key_pair(tmp_path / "me.pub")
    key_line = (tmp_path / "me.pub").read_text().strip()
    assert spec.entries["instances"]
    for entry in spec.entries["instances"]:
        fields = entry.inputs()
        # The stack program turns key names into the keys' lines.
        fields["ssh_keys"] = [key_line for _name in fields.get("ssh_keys", [])]
        assert InstanceProvider.table.check(fields).failures == [], entry.name
