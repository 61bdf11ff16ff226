import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from pulumi_vast.remote import (
    CommandFailed,
    ConnectFailed,
    InvalidPrivateKey,
    SshTarget,
    run,
)
from tests.remote.conftest import MakeHost
from tests.remote.sshhosts import ClientKey, ServedHost, processes_named, unique_name


def test_run_returns_exit_code_and_both_streams(served: ServedHost, client_key: ClientKey) -> None:
    result = run(
        served.target(client_key),
        'echo "$CONTAINER_ID in $PWD as $USER"; echo oops >&2; exit 3',
        timeout=10,
    )

    assert result.exit_code == 3
    assert not result.ok
    assert result.stdout == f"C.4242 in {served.root} as root\n"
    assert result.stderr == "oops\n"


def test_both_routes_reach_the_same_instance(served: ServedHost, client_key: ClientKey) -> None:
    for index in (0, 1):
        result = run(served.target(client_key, index), "echo hi > hello; cat hello", timeout=10)
        assert result.stdout == "hi\n"


_KEY_MAKERS: dict[str, Callable[[], PrivateKeyTypes]] = {
    "ed25519": ed25519.Ed25519PrivateKey.generate,
    "ecdsa": lambda: ec.generate_private_key(ec.SECP256R1()),
    "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
}


@pytest.mark.parametrize(
    ("kind", "layout"),
    [
        ("ed25519", serialization.PrivateFormat.OpenSSH),
        ("ecdsa", serialization.PrivateFormat.OpenSSH),
        ("rsa", serialization.PrivateFormat.OpenSSH),
        ("rsa", serialization.PrivateFormat.TraditionalOpenSSL),
    ],
)
def test_key_given_as_text_works(
    served: ServedHost, kind: str, layout: serialization.PrivateFormat
) -> None:
    key = _KEY_MAKERS[kind]()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    served.keys.append(public.decode())
    text = key.private_bytes(serialization.Encoding.PEM, layout, serialization.NoEncryption())
    target = SshTarget(host="127.0.0.1", port=served.ports[0], private_key=text.decode())

    assert run(target, "true", timeout=10).ok


def test_check_raises_with_the_stderr_tail(served: ServedHost, client_key: ClientKey) -> None:
    with pytest.raises(CommandFailed) as caught:
        run(
            served.target(client_key),
            "seq 1 100 >&2; echo fatal: disk full >&2; exit 2",
            timeout=10,
            check=True,
        )

    error = caught.value
    assert error.exit_code == 2
    assert "exited 2" in str(error)
    assert "fatal: disk full" in str(error)
    assert "\n1\n" not in str(error)  # only the tail


def test_timeout_raises_and_hangs_up_the_command(served: ServedHost, client_key: ClientKey) -> None:
    name = unique_name()

    with pytest.raises(CommandFailed, match=r"did not finish within 0\.5s") as caught:
        run(served.target(client_key), f"echo started; exec -a {name} sleep 60", timeout=0.5)

    assert caught.value.exit_code is None
    deadline = time.monotonic() + 10
    while processes_named(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_named(name) == []


def test_refused_connection_is_said_plainly(client_key: ClientKey) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    target = SshTarget(host="127.0.0.1", port=free_port, private_key=client_key.path)

    with pytest.raises(ConnectFailed, match="connection refused") as caught:
        run(target, "true", timeout=5)

    assert f"root@127.0.0.1:{free_port}" in str(caught.value)


def test_unauthorized_key_is_said_plainly(served: ServedHost, other_key: ClientKey) -> None:
    with pytest.raises(ConnectFailed, match="refused the key"):
        run(served.target(other_key), "true", timeout=5)


def test_missing_key_file_fails_before_connecting(tmp_path: Path) -> None:
    target = SshTarget(host="127.0.0.1", port=22, private_key=tmp_path / "absent")

    with pytest.raises(InvalidPrivateKey, match="does not exist"):
        run(target, "true", timeout=5)


def test_garbage_key_text_is_refused_without_echoing_it(make_host: MakeHost) -> None:
    garbage = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    target = SshTarget(host="127.0.0.1", port=22, private_key=garbage)

    with pytest.raises(InvalidPrivateKey, match="given as text") as caught:
        run(target, "true", timeout=5)

    assert "bm90IGEga2V5" not in str(caught.value)


def test_users_known_hosts_is_neither_trusted_nor_written(
    served: ServedHost, client_key: ClientKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    known_hosts = home / ".ssh" / "known_hosts"
    known_hosts.parent.mkdir(parents=True)
    stale = ed25519.Ed25519PrivateKey.generate().public_key()
    line = stale.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    known_hosts.write_text(f"[127.0.0.1]:{served.ports[0]} {line.decode()}\n")
    monkeypatch.setenv("HOME", str(home))

    assert run(served.target(client_key), "true", timeout=10).ok
    assert known_hosts.read_text().count("\n") == 1


def test_no_key_at_all_fails_before_connecting() -> None:
    target = SshTarget(host="127.0.0.1", port=22)

    with pytest.raises(InvalidPrivateKey, match="no private key was given"):
        run(target, "true", timeout=5)
