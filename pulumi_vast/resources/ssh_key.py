"""An SSH public key registered on the Vast account (it reaches every instance)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

import pulumi
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pulumi_vast.api import ResponseLost
from pulumi_vast.api import SshKey as LiveSshKey
from pulumi_vast.resources._fields import REPLACE, FieldTable, Input, ResourceArgs, known
from pulumi_vast.resources._problems import InvalidField
from pulumi_vast.resources._provider import VastProvider
from pulumi_vast.resources._resource import VastResource
from pulumi_vast.resources._ssh_keys import OpenSshLine, PublicKey

__all__ = ["SshKey", "SshKeyArgs", "SshKeyProvider"]


class SshKeyArgs(ResourceArgs):
    """Inputs of an `SshKey`."""

    public_key: Annotated[
        Input[OpenSshLine],
        REPLACE,
        Field(
            description="OpenSSH public key line, e.g. the contents of ~/.ssh/id_ed25519.pub.",
            examples=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... you@host"],
        ),
    ]


class SshKeyProvider(VastProvider):
    table = FieldTable(SshKeyArgs)
    kind = "SSH key"
    api_fields = MappingProxyType({"ssh_key": "public_key", "key": "public_key"})

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        line = known(args.public_key)
        try:
            key = self.client.ssh_keys.create(line)
        except ResponseLost:
            # It may have been registered: a key is its own tag. Never registered twice.
            found = self._registered(line)
            if found is None:
                raise
            key = found
        return str(key.id), _outputs(key)

    def _registered(self, line: str) -> LiveSshKey | None:
        blob = PublicKey.parse(line).blob
        return next(
            (k for k in self.client.ssh_keys.list() if PublicKey.parse(k.public_key).blob == blob),
            None,
        )

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        key = self.client.ssh_keys.get(int(id_))
        return _outputs(key) if key is not None else None

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        self.client.ssh_keys.delete(int(id_))


def _outputs(key: LiveSshKey) -> dict[str, Any]:
    public_key = PublicKey.parse(key.public_key)
    return {
        "key_id": key.id,
        "public_key": public_key.line(),
        "fingerprint": public_key.fingerprint,
    }


class SshKeyEntry(BaseModel):
    """An SSH key in stack config: its name and its public key, as a line or a file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    name: Annotated[str, Field(min_length=1)] = Field(
        description="a name for the key, unique among sshKeys"
    )
    public_key: OpenSshLine | None = Field(
        None,
        alias="publicKey",
        description="the public key line",
        examples=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... you@host"],
    )
    public_key_file: str | None = Field(
        None,
        alias="publicKeyFile",
        description="the public key file",
        examples=["~/.ssh/id_ed25519.pub"],
    )
    generate: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> SshKeyEntry:
        if (self.public_key is None) == (self.public_key_file is None):
            raise InvalidField("publicKey", "set exactly one of publicKey or publicKeyFile")
        if self.generate and self.public_key_file is None:
            raise InvalidField("generate", "generate needs publicKeyFile (where to write the pair)")
        return self

    def inputs(self) -> dict[str, Any]:
        return {"public_key": self.key_line()}

    def key_line(self) -> str:
        """The key's line, from the file (made first when missing and `generate` is set)."""
        if self.public_key is not None:
            return self.public_key
        assert self.public_key_file is not None
        path = Path(self.public_key_file).expanduser()
        if not path.exists() and self.generate:
            generate_key_pair(path)
        if not path.exists():
            raise InvalidField(
                "publicKeyFile", f"{path} does not exist; create it or set generate: true"
            )
        if path.is_dir():
            raise InvalidField("publicKeyFile", f"{path} is a folder; name the .pub file in it")
        try:
            return PublicKey.parse(path.read_text(encoding="utf-8")).line()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidField("publicKeyFile", f"{path} cannot be read ({exc})") from None
        except ValueError as exc:
            raise InvalidField("publicKeyFile", f"{path}: {exc}") from None


def generate_key_pair(public_path: Path) -> None:
    """An ed25519 pair: private key beside the public one, without the .pub suffix."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_path = public_path.with_suffix("") if public_path.suffix == ".pub" else public_path
    public_path = private_path.with_name(private_path.name + ".pub")
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public_bytes = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    private_path.touch(mode=0o600)
    private_path.write_bytes(private_bytes)
    public_path.write_text(public_bytes.decode() + " pulumi-vast\n")


class SshKey(VastResource, module="vast", name="SshKey"):
    """An SSH public key on the Vast account; Vast adds it to every instance the account owns.

    ## Example Usage

    ```python
    import pathlib
    import pulumi_vast as vast

    public_key = pathlib.Path("~/.ssh/id_ed25519.pub").expanduser().read_text()
    key = vast.SshKey("me", public_key=public_key)
    ```

    ## Import

    Declare it with its public key and ``opts=pulumi.ResourceOptions(import_="123")``, run
    ``pulumi up`` once, then drop the option.
    """

    provider_class = SshKeyProvider
    args_class = SshKeyArgs
    config_key = "sshKeys"
    config_example = """
pulumi-vast:sshKeys:
  - name: me
    publicKeyFile: ~/.ssh/id_ed25519.pub
"""
    config_entry = SshKeyEntry

    key_id: pulumi.Output[int]
    """Vast's id of the key."""
    public_key: pulumi.Output[str]
    """The key line as registered."""
    fingerprint: pulumi.Output[str]
    """SHA256 fingerprint, as `ssh-keygen -l` prints it."""
