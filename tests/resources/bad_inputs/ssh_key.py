"""Bad `SshKey` inputs: `pulumi-vast:sshKeys` entries and `SshKey(...)` in Python."""

from __future__ import annotations

from typing import Any

import pulumi_vast as vast
from tests.resources.bad_inputs.rows import Bad, Program, StackConfig

__all__ = ["ROWS"]

AT = "pulumi-vast:sshKeys[0]"


def key(**fields: Any) -> dict[str, Any]:
    return {"name": "me", "publicKey": "{public_line}", **fields}


def keys(id_: str, setting: str, fix: str, *entries: Any, secret: str | None = None) -> Bad:
    given = StackConfig({"pulumi-vast:sshKeys": list(entries)})
    return Bad(f"config-{id_}", given, setting, fix, secret)


ROWS = [
    keys("key-garbage", f"{AT}.publicKey", "OpenSSH public key line", key(publicKey="garbage")),
    keys(
        "key-private",
        f"{AT}.publicKey",
        "the .pub file",
        key(publicKey="{private_text}"),
        secret="{private_text}",
    ),
    keys("key-number", f"{AT}.publicKey", "text", key(publicKey=5)),
    keys("key-both", f"{AT}.publicKey", "exactly one", key(publicKeyFile="{pub}")),
    keys("key-neither", f"{AT}.publicKey", "exactly one", {"name": "me"}),
    keys(
        "key-file-missing",
        f"{AT}.publicKeyFile",
        "generate: true",
        {"name": "me", "publicKeyFile": "{missing}"},
    ),
    keys(
        "key-file-folder",
        f"{AT}.publicKeyFile",
        "a folder",
        {"name": "me", "publicKeyFile": "{folder}"},
    ),
    keys(
        "key-file-private",
        f"{AT}.publicKeyFile",
        "the .pub file",
        {"name": "me", "publicKeyFile": "{key}"},
    ),
    keys(
        "key-generate-text",
        f"{AT}.generate",
        "true or false",
        {"name": "me", "publicKeyFile": "{pub}", "generate": "yes"},
    ),
    keys("key-generate-without-file", f"{AT}.generate", "publicKeyFile", key(generate=True)),
    keys("key-name-missing", f"{AT}.name", "a name", {"publicKey": "{public_line}"}),
    keys("key-name-empty", f"{AT}.name", "a name", key(name="")),
    keys("key-name-duplicate", "pulumi-vast:sshKeys[1].name", "unique", key(), key()),
    keys("key-misspelt-field", f"{AT}.publickey", "did you mean 'publicKey'", key(publickey="x")),
    Bad(
        "config-keys-mapping",
        StackConfig({"pulumi-vast:sshKeys": {"me": key()}}),
        "pulumi-vast:sshKeys",
        "a list",
    ),
    Bad(
        "python-key-garbage",
        Program(lambda f: vast.SshKey("me", public_key="garbage")),
        'SshKey("me").public_key',
        "OpenSSH public key line",
    ),
    Bad(
        "python-key-private",
        Program(lambda f: vast.SshKey("me", public_key=f.private_text)),
        'SshKey("me").public_key',
        "the .pub file",
        "{private_text}",
    ),
    Bad(
        "python-key-missing",
        Program(lambda f: vast.SshKey("me")),
        'SshKey("me").public_key',
        "id_ed25519.pub",
    ),
    Bad(
        "python-key-bytes",
        Program(lambda f: vast.SshKey("me", public_key=f.public_line.encode())),
        'SshKey("me").public_key',
        "text",
    ),
]
