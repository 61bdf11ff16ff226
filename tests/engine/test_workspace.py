"""The CLI-driving helper, against a stand-in `pulumi` script (the real CLI: test_cli.py)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from pulumi_vast.engine.errors import CommandFailed
from pulumi_vast.engine.workspace import PulumiWorkspace, venv_bin_dir

ECHO_ARGS = '#!/bin/sh\nprintf "%s\\n" "$@"\n'


def _workspace(tmp_path: Path, script: str, **options: object) -> PulumiWorkspace:
    binary = tmp_path / "pulumi"
    binary.write_text(script)
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return PulumiWorkspace(
        tmp_path,
        backend_url="file:///state",
        pulumi_bin=binary,
        **options,  # type: ignore[arg-type]
    )


def test_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "/elsewhere")
    ws = PulumiWorkspace(
        tmp_path,
        backend_url="file:///state",
        passphrase="p",
        pulumi_home=tmp_path / "home",
        env={"EXTRA": "1", "PULUMI_SKIP_UPDATE_CHECK": "false"},
    )

    env = ws.env

    assert env["PATH"].split(os.pathsep)[0] == str(venv_bin_dir())
    assert env["PULUMI_BACKEND_URL"] == "file:///state"
    assert env["PULUMI_CONFIG_PASSPHRASE"] == "p"
    assert env["PULUMI_HOME"] == str(tmp_path / "home")
    assert env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] == "true"
    assert env["EXTRA"] == "1"
    assert env["PULUMI_SKIP_UPDATE_CHECK"] == "false"  # the caller's word wins
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in env
    assert ws.pulumi_bin == venv_bin_dir() / "pulumi"


@pytest.mark.slow
def test_stack_commands_carry_the_stack_and_no_prompt_flags(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, ECHO_ARGS, stack="dev")

    assert ws.up("--skip-preview").stdout.split() == [
        "up",
        "--yes",
        "--non-interactive",
        "--color",
        "never",
        "--stack",
        "dev",
        "--skip-preview",
    ]
    assert ws.preview().stdout.split()[:2] == ["preview", "--non-interactive"]
    assert "--yes" not in ws.preview().stdout.split()


@pytest.mark.slow
def test_config_values_cannot_be_taken_for_flags(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, ECHO_ARGS + 'printf "%s\\n" "$@" > "$(dirname "$0")/args"\n')

    ws.set_config("key", "-v=9")

    assert (tmp_path / "args").read_text().split() == [
        "config",
        "set",
        "--plaintext",
        "key",
        "--",
        "-v=9",
    ]


@pytest.mark.slow
def test_secret_config_goes_through_stdin_never_the_command_line(tmp_path: Path) -> None:
    script = ECHO_ARGS + (
        'printf "%s\\n" "$@" > "$(dirname "$0")/args"\ncat > "$(dirname "$0")/stdin"\n'
    )
    ws = _workspace(tmp_path, script)

    ws.set_config("vast:apiKey", "-v=s3cret", secret=True)

    assert (tmp_path / "args").read_text().split() == ["config", "set", "--secret", "vast:apiKey"]
    assert (tmp_path / "stdin").read_text() == "-v=s3cret"


@pytest.mark.slow
def test_a_failed_command_raises_with_its_output(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "#!/bin/sh\necho 'some progress'\necho 'error: boom' >&2\nexit 3\n")

    with pytest.raises(CommandFailed) as failure:
        ws.run("up", "--yes")

    error = failure.value
    assert error.returncode == 3
    assert error.command == [str(tmp_path / "pulumi"), "up", "--yes"]
    assert "exited with status 3" in str(error)
    assert "some progress" in str(error)
    assert "error: boom" in str(error)
    assert ws.run("up", check=False).returncode == 3


@pytest.mark.slow
def test_a_timed_out_command_raises(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "#!/bin/sh\necho started\nexec sleep 30\n")

    with pytest.raises(CommandFailed, match="timed out") as failure:
        ws.run("up", timeout=0.5)

    assert failure.value.returncode is None


@pytest.mark.slow
def test_outputs_are_parsed_json(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, '#!/bin/sh\necho \'{"a": 1, "s": "secret"}\'\n')

    assert ws.outputs() == {"a": 1, "s": "secret"}
    assert json.dumps(ws.export_state()) == '{"a": 1, "s": "secret"}'
