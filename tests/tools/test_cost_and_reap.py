"""`pulumi-vast cost` and `reap` as commands: their help, and a stack that cannot be read.
What they do to a stack: tests/e2e/test_reap_and_cost.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_vast.cli import main


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("cost", ["--stack", "--days", "charges", "PULUMI_BACKEND_URL"]),
        ("reap", ["--stack", "--dry-run", "--orphan-age", "past their TTL", "exits 1"]),
    ],
)
def test_help_says_what_it_does(
    command: str, says: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for words in says:
        assert words in text


def test_the_command_list_names_them(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "cost" in text and "reap" in text


@pytest.mark.parametrize(("command", "status"), [("cost", 1), ("reap", 2)])
def test_a_stack_that_cannot_be_read_is_named(
    command: str, status: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = tmp_path / "pulumi"
    failing.write_text("#!/bin/sh\necho 'error: no stack named nope found' >&2\nexit 255\n")
    failing.chmod(0o755)
    argv = [command, "--stack", "nope", "--pulumi", str(failing), "--cwd", str(tmp_path)]
    assert main(argv) == status
    error = capsys.readouterr().err
    assert f"pulumi-vast {command}: `pulumi stack export --stack nope` failed" in error
    assert "no stack named nope found" in error
