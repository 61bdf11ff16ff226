from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from pulumi_vast.remote import SshTarget, ssh_command

KEY_TEXT = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "c2VjcmV0LWtleS1ieXRlcw==\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


def test_key_text_is_kept_secret() -> None:
    target = SshTarget(host="ssh4.vast.ai", port=21234, private_key=KEY_TEXT)

    assert isinstance(target.private_key, SecretStr)
    assert target.private_key.get_secret_value() == KEY_TEXT
    assert target.key_path is None
    for shown in (repr(target), str(target), str(target.model_dump())):
        assert "c2VjcmV0" not in shown


def test_key_path_is_a_path(tmp_path: Path) -> None:
    target = SshTarget(host="1.2.3.4", port=40022, private_key=str(tmp_path / "id"))

    assert target.key_path == tmp_path / "id"
    assert target.user == "root"


def test_endpoint_names_the_route() -> None:
    target = SshTarget(host="ssh4.vast.ai", port=21234, private_key=KEY_TEXT, label="proxy")

    assert target.endpoint == "proxy root@ssh4.vast.ai:21234"


@pytest.mark.parametrize("port", [0, 65536])
def test_port_out_of_range_is_refused(port: int) -> None:
    with pytest.raises(ValidationError, match="port"):
        SshTarget(host="h", port=port, private_key=KEY_TEXT)


HOST_KEYS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"


def test_ssh_command_with_and_without_key(tmp_path: Path) -> None:
    by_text = SshTarget(host="ssh4.vast.ai", port=21234, private_key=KEY_TEXT)
    key_file = tmp_path / "my keys" / "id_ed25519"

    assert ssh_command(by_text, None) == f"ssh -p 21234 {HOST_KEYS} root@ssh4.vast.ai"
    assert ssh_command(by_text, key_file) == (
        f"ssh -p 21234 -i '{key_file}' -o IdentitiesOnly=yes {HOST_KEYS} root@ssh4.vast.ai"
    )


def test_ssh_command_uses_the_targets_key_file(tmp_path: Path) -> None:
    target = SshTarget(host="10.0.0.5", port=22, private_key=tmp_path / "id")

    assert ssh_command(target).startswith(f"ssh -p 22 -i {tmp_path / 'id'} -o IdentitiesOnly=yes")


def test_ssh_command_makes_a_relative_key_path_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    target = SshTarget(host="10.0.0.5", port=22)

    assert f" -i {tmp_path / 'keys' / 'id'} " in ssh_command(target, Path("keys/../keys/id"))
    assert f" -i {tmp_path / 'home' / 'id'} " in ssh_command(target, Path("~/id"))


def test_ssh_command_without_any_key_relies_on_the_users_own() -> None:
    assert ssh_command(SshTarget(host="1.2.3.4", port=40022)) == (
        f"ssh -p 40022 {HOST_KEYS} root@1.2.3.4"
    )
