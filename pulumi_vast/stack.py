"""The project's own Pulumi program: resources built from stack config.

`stacks/Pulumi.<stack>.yaml` declares, under the project's namespace:

    pulumi-vast:sshKeys:            # account SSH keys
      - name: dev
        publicKeyFile: .state/ssh/id_ed25519.pub
        generate: true              # make the key pair if the file is missing
    pulumi-vast:instances:          # each entry: a name plus `InstanceArgs` fields
      - name: gpu
        query: gpu_ram>=24 reliability>0.95
        image: pytorch/pytorch
        ssh_keys: [dev]             # names from sshKeys, or public key lines

Bad config fails `pulumi preview` with the config path of the bad value and the fix, before
anything is created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pulumi_vast.resources import Instance, InstanceArgs, SshKey
from pulumi_vast.resources._fields import InvalidField, validation_failures
from pulumi_vast.resources._ssh_keys import PublicKey

__all__ = ["InstanceEntry", "SshKeyEntry", "StackSpec", "build", "load_spec", "main"]

NAMESPACE = "pulumi-vast"


class SshKeyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    public_key: str | None = Field(None, alias="publicKey")
    public_key_file: Path | None = Field(None, alias="publicKeyFile")
    generate: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> SshKeyEntry:
        if (self.public_key is None) == (self.public_key_file is None):
            raise InvalidField("publicKey", "set exactly one of publicKey or publicKeyFile")
        if self.generate and self.public_key_file is None:
            raise InvalidField("generate", "generate needs publicKeyFile (where to write the pair)")
        return self

    def key_line(self) -> str:
        if self.public_key is not None:
            return PublicKey.parse(self.public_key).line()
        assert self.public_key_file is not None
        path = self.public_key_file.expanduser()
        if not path.exists() and self.generate:
            generate_key_pair(path)
        if not path.exists():
            raise InvalidField(
                "publicKeyFile", f"{path} does not exist; create it or set generate: true"
            )
        try:
            return PublicKey.parse(path.read_text()).line()
        except ValueError as exc:
            raise InvalidField("publicKeyFile", f"{path}: {exc}") from None


class InstanceEntry(BaseModel):
    """A name plus `InstanceArgs` fields (snake_case, as in the Python API)."""

    model_config = ConfigDict(extra="allow")

    name: str


class StackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    ssh_keys: list[SshKeyEntry] = Field(default_factory=list, alias="sshKeys")
    instances: list[InstanceEntry] = Field(default_factory=list)


def load_spec(config: pulumi.Config) -> StackSpec:
    raw = {
        key: value
        for key in ("sshKeys", "instances")
        if (value := config.get_object(key)) is not None
    }
    try:
        return StackSpec.model_validate(raw)
    except ValidationError as exc:
        raise pulumi.RunError(_explain(exc, prefix=NAMESPACE)) from None


def build(spec: StackSpec) -> dict[str, Instance]:
    keys: dict[str, SshKey] = {}
    for index, key_entry in enumerate(spec.ssh_keys):
        try:
            line = key_entry.key_line()
        except InvalidField as exc:
            raise pulumi.RunError(f"{NAMESPACE}:sshKeys[{index}].{exc.field}: {exc}") from None
        keys[key_entry.name] = SshKey(key_entry.name, public_key=line)

    instances: dict[str, Instance] = {}
    for index, entry in enumerate(spec.instances):
        where = f"{NAMESPACE}:instances[{index}]"
        fields: dict[str, Any] = dict(entry.model_extra or {})
        # A name from sshKeys is an account key, which Vast puts on every instance: the
        # instance only has to wait for it. Key lines are attached to this instance alone.
        named = [str(k) for k in fields.get("ssh_keys", []) if str(k) in keys]
        fields["ssh_keys"] = [str(k) for k in fields.get("ssh_keys", []) if str(k) not in keys]
        for position, key in enumerate(fields["ssh_keys"]):
            try:
                PublicKey.parse(key)
            except ValueError:
                raise pulumi.RunError(
                    f"{where}.ssh_keys[{position}]: {key!r} is neither a name from "
                    f"{NAMESPACE}:sshKeys ({', '.join(keys) or 'none declared'}) "
                    "nor a public key line"
                ) from None
        try:
            args = InstanceArgs.model_validate(fields)
        except ValidationError as exc:
            raise pulumi.RunError(_explain(exc, prefix=where)) from None
        depends: list[pulumi.Resource] = [keys[k] for k in named]
        instances[entry.name] = Instance(
            entry.name, args, pulumi.ResourceOptions(depends_on=depends)
        )
    return instances


def main() -> None:
    spec = load_spec(pulumi.Config(NAMESPACE))
    for name, instance in build(spec).items():
        pulumi.export(
            name,
            {
                "instance_id": instance.instance_id,
                "gpu": pulumi.Output.concat(instance.num_gpus.apply(str), "x ", instance.gpu_name),
                "dph_total": instance.dph_total.apply(lambda dph: round(dph, 4)),
                "ssh": instance.ssh_command,
            },
        )


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


def _explain(exc: ValidationError, *, prefix: str) -> str:
    lines = [f"{path}: {reason}" for path, reason in validation_failures(exc, prefix=prefix)]
    return "invalid stack config:\n  " + "\n  ".join(lines)
