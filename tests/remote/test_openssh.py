"""The real OpenSSH client logs in with the command ``ssh_command`` prints."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from pulumi_vast.remote import ssh_command
from tests.remote.sshhosts import ClientKey, ServedHost

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("ssh") is None, reason="no OpenSSH client installed"),
]

# what a person pasting the command would have answered or configured once (scp only)
NON_INTERACTIVE = [
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes",
    "-o", "IdentitiesOnly=yes",
    "-o", "LogLevel=ERROR",
]  # fmt: skip


def _ssh(printed: str, *extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the printed command as a script would: no terminal to prompt on, as printed."""
    program, *rest = shlex.split(printed)
    *options, destination = rest
    return subprocess.run(
        [program, *options, *extra[:-1], destination, extra[-1]],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        start_new_session=True,  # no controlling terminal: nobody can answer a prompt
    )


def test_pasted_command_logs_in_and_runs_from_any_folder_without_a_terminal(
    served: ServedHost, client_key: ClientKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The provider knows the key by a path relative to the project folder...
    monkeypatch.chdir(client_key.path.parent.parent)
    relative = Path(client_key.path.parent.name) / client_key.path.name
    printed = ssh_command(served.target(client_key), relative)
    # ...and the command is pasted into a script that runs elsewhere.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    hello = _ssh(printed, "echo hi from $CONTAINER_ID", cwd=elsewhere)
    failing = _ssh(printed, "exit 5", cwd=elsewhere)

    assert (hello.returncode, hello.stdout, hello.stderr) == (0, "hi from C.4242\n", "")
    assert failing.returncode == 5


def test_openssh_terminal_session(served: ServedHost, client_key: ClientKey) -> None:
    printed = ssh_command(served.target(client_key, index=1), client_key.path)

    result = _ssh(printed, "-tt", "tty; stty size")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("/dev/pts/")


@pytest.mark.skipif(shutil.which("scp") is None, reason="no scp installed")
def test_openssh_scp_into_workspace(
    served: ServedHost, client_key: ClientKey, tmp_path: Path
) -> None:
    local = tmp_path / "data.csv"
    local.write_text("a,b\n1,2\n")

    login = ["-i", str(client_key.path), "-P", str(served.ports[0])]
    result = subprocess.run(
        ["scp", *NON_INTERACTIVE, *login, str(local), "root@127.0.0.1:/workspace/data.csv"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )

    assert result.returncode == 0, result.stderr
    assert (served.root / "data.csv").read_text() == "a,b\n1,2\n"
