"""Every bad input is refused at preview, naming the setting and the fix, with no traceback
and no secret in sight. The rows live in `bad_inputs/`, one module per place inputs are
declared; `preview` runs each as `pulumi preview` would (program, then provider checks)
against the session's simulator, where the market is needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pulumi_vast as vast
from pulumi_vast.sim.testing import SimAdmin
from tests.resources.bad_inputs import ROWS, env_vars, serverless, templates, volumes
from tests.resources.bad_inputs.preview import preview
from tests.resources.bad_inputs.rows import (
    IMAGE,
    QUERY,
    Bad,
    Files,
    Program,
    StackConfig,
    instance,
    instances,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def files(tmp_path: Path, key_pair: tuple[Path, str]) -> Files:
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("not a key\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    private_key, public_line = key_pair
    pub = private_key.with_name(private_key.name + ".pub")
    return Files(
        key=private_key,
        pub=pub,
        public_line=public_line,
        private_text=private_key.read_text(),
        garbage=garbage,
        folder=folder,
        missing=tmp_path / "missing" / "id_ed25519",
    )


@pytest.fixture
def base(
    sim_url: str, vast_account: str, files: Files, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """Valid provider settings for the test's own account; no key from the environment."""
    for name in ("VAST_API_KEY", "VAST_URL", "VAST_SSH_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    yield {
        "vast:apiUrl": sim_url,
        "vast:apiKey": vast_account,
        "vast:sshPrivateKeyFile": str(files.key),
    }


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_a_bad_input_is_refused_at_preview_naming_the_setting_and_the_fix(
    row: Bad, base: dict[str, Any], files: Files, sim_admin: SimAdmin, vast_account: str
) -> None:
    result = preview(row.given, base, files)

    assert result.refused, f"accepted: {result.resources}"
    assert result.tracebacks == []
    said = result.text()
    assert row.setting in said
    assert row.fix in said
    assert "instance of Output" not in said
    if row.secret is not None:  # nor any line of it (a repr would escape the newlines)
        lines = [line for line in files.fill(row.secret).splitlines() if len(line) >= 8]
        assert not [line for line in lines if line in said]
    if isinstance(row.given, Program):
        assert all("\n" not in message for message in result.messages)  # one paragraph
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 0


def test_the_table_covers_stack_config_and_python() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))
    assert sum(i.startswith("config-") for i in ids) >= 100
    assert sum(i.startswith("python-") for i in ids) >= 30


# ---------------------------------------------------------------------- what stays accepted


def test_the_rows_bases_are_accepted(base: dict[str, Any], files: Files) -> None:
    """Each row breaks one thing of a valid whole: the wholes pass preview untouched."""
    good_config = instances(instance(ready={"ssh": True}, ports=[8080, "53/udp"]))
    good_config.config["pulumi-vast:sshKeys"] = [{"name": "me", "publicKey": "{public_line}"}]
    assert preview(good_config, base, files).text() == ""

    def program(f: Files) -> None:
        vast.SshKey("me", public_key=f.public_line)
        vast.Instance("gpu", query=QUERY, image=IMAGE, ready=vast.ReadyArgs(ssh=True))

    assert preview(Program(program), base, files).text() == ""


def test_a_long_resource_name_gets_a_valid_default_label(
    base: dict[str, Any], files: Files
) -> None:
    name = "n" * 2000
    result = preview(instances(instance(name=name)), base, files)
    assert result.text() == ""


def test_the_new_resources_rows_bases_are_accepted(base: dict[str, Any], files: Files) -> None:
    """The wholes the template, env var and volume rows each break one thing of."""
    good_config = StackConfig(
        {
            "pulumi-vast:templates": [templates.template()],
            "pulumi-vast:envVars": [env_vars.var()],
            "pulumi-vast:volumes": [volumes.volume()],
            "pulumi-vast:networkVolumes": [volumes.volume(name="shared")],
            "pulumi-vast:instances": [
                instance(image=None, template="trainer"),
                instance(name="cpu", volumes=[{"volume": "data", "path": "/data"}]),
            ],
        }
    )
    assert preview(good_config, base, files).text() == ""

    def program(f: Files) -> None:
        vast.Template("trainer", image="pytorch/pytorch", tag="2.4.1")
        vast.EnvVar("hf", name="HF_TOKEN", value=env_vars.SECRET)
        data = vast.Volume("data", query=volumes.VOLUME_QUERY, size_gb=100)
        mount = vast.VolumeMount(volume=data, path="/data")
        vast.Instance("gpu", query=QUERY, image=IMAGE, volumes=[mount])

    assert preview(Program(program), base, files).text() == ""


def test_the_serverless_rows_bases_are_accepted(base: dict[str, Any], files: Files) -> None:
    """The wholes the endpoint, worker group and deployment rows each break one thing of."""
    good_config = StackConfig(
        {
            "pulumi-vast:templates": [serverless.TEMPLATE],
            "pulumi-vast:endpoints": [serverless.endpoint()],
            "pulumi-vast:workerGroups": [serverless.group()],
            "pulumi-vast:deployments": [serverless.deployment()],
        }
    )
    assert preview(good_config, base, files).text() == ""
