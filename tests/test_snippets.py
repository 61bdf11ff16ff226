"""Every snippet the docs show runs: each resource's Python example and stack-config form
(docs/resources.md), and the README's, as `pulumi preview` would run them (the program under
Pulumi's mocks, each resource checked by its provider against the simulator)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_vast import docs
from pulumi_vast.components import COMPONENTS
from pulumi_vast.resources._resource import registered
from pulumi_vast.resources.ssh_key import generate_key_pair
from tests.resources.bad_inputs.preview import preview
from tests.resources.bad_inputs.rows import Files, Program, StackConfig

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[1] / "README.md"
RESOURCES = [r for r in registered().values() if docs.python_example(r) or r.config_example]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME with ~/.ssh/id_ed25519(.pub), as the examples assume."""
    home = tmp_path / "home"
    generate_key_pair(home / ".ssh" / "id_ed25519.pub")
    monkeypatch.setenv("HOME", str(home))
    for name in ("VAST_API_KEY", "VAST_URL", "VAST_SSH_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def base(sim_url: str, vast_account: str, home: Path) -> dict[str, Any]:
    return {
        "vast:apiUrl": sim_url,
        "vast:apiKey": vast_account,
        "vast:sshPrivateKeyFile": str(home / ".ssh" / "id_ed25519"),
        "pulumi-vast:hf": "hf_example_secret",
    }


@pytest.fixture
def files(home: Path) -> Iterator[Files]:
    key = home / ".ssh" / "id_ed25519"
    pub = key.with_name("id_ed25519.pub")
    yield Files(
        key=key,
        pub=pub,
        public_line=pub.read_text().strip(),
        private_text=key.read_text(),
        garbage=pub,
        folder=home,
        missing=home / "missing",
    )


def run_code(code: str) -> Program:
    return Program(lambda _files: exec(compile(code, "<snippet>", "exec"), {}))


def assert_accepted(result: Any, what: str) -> None:
    assert not result.refused, f"{what}: {result.text()}"
    assert result.resources, what


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.__name__)
def test_each_resources_python_example_runs(
    resource: Any, base: dict[str, Any], files: Files
) -> None:
    code = docs.python_example(resource)
    if not code:
        pytest.skip(f"{resource.__name__} has no Python example")
    assert_accepted(preview(run_code(code), base, files), resource.__name__)


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.__name__)
def test_each_resources_stack_config_form_runs(
    resource: Any, base: dict[str, Any], files: Files
) -> None:
    if not resource.config_example:
        pytest.skip(f"{resource.__name__} is not declared in stack config")
    config = yaml.safe_load(resource.config_example)
    base = {k: v for k, v in base.items() if k != "pulumi-vast:hf"}
    result = preview(StackConfig({"pulumi-vast:instances": [], **config}), base, files)
    assert_accepted(result, resource.__name__)


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_each_components_python_and_stack_config_examples_run(
    component: Any, base: dict[str, Any], files: Files
) -> None:
    code = docs.python_example(component)
    assert_accepted(preview(run_code(code), base, files), component.__name__)
    config = yaml.safe_load(component.config_example)
    base = {k: v for k, v in base.items() if k != "pulumi-vast:hf"}
    result = preview(StackConfig({"pulumi-vast:instances": [], **config}), base, files)
    assert_accepted(result, f"{component.__name__} in stack config")


def test_the_account_and_get_offers_examples_run(base: dict[str, Any], files: Files) -> None:
    base = {**base, "pulumi-vast:teamBKey": "team-b-key"}
    assert_accepted(preview(run_code(docs.python_example(docs.Account)), base, files), "Account")
    code = docs.python_example(docs.get_offers)
    assert_accepted(preview(run_code(code), base, files), "get_offers")


POLICIES = "## Money policies"


def readme_section(heading: str) -> tuple[str, str]:
    """(the section under ``heading``, the README without it)."""
    text = README.read_text()
    start = text.index(heading)
    end = text.index("\n## ", start + len(heading))
    return text[start:end], text[:start] + text[end:]


def test_the_readmes_python_and_stack_config_run(base: dict[str, Any], files: Files) -> None:
    _, text = readme_section(POLICIES)
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "vast." in b]
    assert len(blocks) == 6, (
        "the README's Python: resources, get_offers, training, Account, the serverless-llm "
        "and image-generation examples"
    )
    base = {**base, "pulumi-vast:teamBKey": "team-b-key"}
    for number, code in enumerate(blocks):
        code = code.replace("/home/me/", "~/").replace(
            'open("~/.ssh/id_ed25519.pub")',
            'open(__import__("os").path.expanduser("~/.ssh/id_ed25519.pub"))',
        )
        assert_accepted(preview(run_code(code), base, files), f"README Python #{number}")
    base = {k: v for k, v in base.items() if k != "pulumi-vast:teamBKey"}
    declared = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "pulumi-vast:" in b]
    assert len(declared) == 2, "the README's stack config: instances and more, deployments"
    base = {k: v for k, v in base.items() if k != "pulumi-vast:hf"}
    for number, block in enumerate(declared):
        config = {
            k: v for k, v in yaml.safe_load(block)["config"].items() if k.startswith("pulumi-vast:")
        }
        assert_accepted(preview(StackConfig(config), base, files), f"README stack config #{number}")


def test_the_readmes_policy_snippets_run(base: dict[str, Any], files: Files) -> None:
    text, _ = readme_section(POLICIES)
    [code] = re.findall(r"```python\n(.*?)```", text, re.S)
    assert_accepted(preview(run_code(code), base, files), "README policies, Python")
    [block] = re.findall(r"```yaml\n(.*?)```", text, re.S)
    config = yaml.safe_load(block)["config"]
    assert set(config) == {"vast:policy", "pulumi-vast:instances"}
    base = {k: v for k, v in base.items() if k != "pulumi-vast:hf"}
    result = preview(StackConfig(config), base, files)
    assert_accepted(result, "README policies, stack config")
