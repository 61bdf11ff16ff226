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
from typing import Annotated, Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pulumi_vast.resources import Instance, InstanceArgs, SshKey
from pulumi_vast.resources._problems import Failure, InvalidField, at, closest, validation_failures
from pulumi_vast.resources._ssh_keys import OpenSshLine, PublicKey

__all__ = ["InstanceEntry", "SshKeyEntry", "StackSpec", "build", "load_spec", "main"]

NAMESPACE = "pulumi-vast"
_NAME_LENGTH = 100
"""Longest ssh_keys entry quoted back when it is neither a name nor a key line."""

Name = Annotated[str, Field(min_length=1)]


class SshKeyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    name: Name = Field(description="a name for the key, unique among sshKeys")
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


class InstanceEntry(BaseModel):
    """A name plus `InstanceArgs` fields (snake_case, as in the Python API)."""

    model_config = ConfigDict(extra="allow", strict=True)

    name: Name = Field(
        description="a name for the instance (its resource name), unique among instances"
    )


class StackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    ssh_keys: list[SshKeyEntry] = Field(default_factory=list, alias="sshKeys")
    instances: list[InstanceEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> StackSpec:
        names = {
            "sshKeys": [entry.name for entry in self.ssh_keys],
            "instances": [entry.name for entry in self.instances],
        }
        for where, listed in names.items():
            seen: dict[str, int] = {}
            for index, name in enumerate(listed):
                if name in seen:
                    raise InvalidField(
                        f"{where}[{index}].name",
                        f"{name!r} is already the name of {where}[{seen[name]}]; "
                        "give each a unique name",
                    )
                seen[name] = index
        return self


SETTINGS = [info.alias or name for name, info in StackSpec.model_fields.items()]
"""The keys of the project's namespace this program reads."""


def load_spec(config: pulumi.Config) -> StackSpec:
    """The stack's `pulumi-vast:` config, checked; a mistake fails naming its path."""
    failures = [(key, _unknown(key)) for key in _namespace_keys() if key not in SETTINGS]
    raw = {key: value for key in SETTINGS if (value := _value(config, key)) is not None}
    try:
        spec = StackSpec.model_validate(raw)
    except ValidationError as exc:
        failures += validation_failures(exc, StackSpec)
        raise _invalid(failures) from None
    if failures:
        raise _invalid(failures)
    return spec


def build(spec: StackSpec) -> dict[str, Instance]:
    """The resources ``spec`` declares; bad entries fail (all of them named) before any is."""
    failures: list[Failure] = []
    lines: dict[str, str] = {}
    for index, key_entry in enumerate(spec.ssh_keys):
        try:
            lines[key_entry.name] = key_entry.key_line()
        except InvalidField as exc:
            failures.append((f"sshKeys[{index}].{exc.field}", str(exc)))
    planned: list[tuple[str, InstanceArgs, list[str]]] = []
    secret = Instance.provider_class.table.secret_fields
    for index, entry in enumerate(spec.instances):
        fields = dict(entry.model_extra or {})
        entries = fields.get("ssh_keys")
        named, problems = _account_keys(entries, lines)
        if named and isinstance(entries, list):  # as the lines they stand for: indices match
            fields["ssh_keys"] = [lines[k] if k in named else k for k in entries]
        try:
            args = InstanceArgs.model_validate(fields)
        except ValidationError as exc:
            told = {path for path, _ in problems}
            found = validation_failures(exc, InstanceArgs, hide_inputs=secret)
            problems += [(path, reason) for path, reason in found if path not in told]
        failures += [(at(f"instances[{index}]", path), reason) for path, reason in problems]
        if not problems:
            own = [k for k in entries or [] if k not in named]
            planned.append((entry.name, args.model_copy(update={"ssh_keys": own}), named))
    if failures:
        raise _invalid(failures)

    keys = {name: SshKey(name, public_key=line) for name, line in lines.items()}
    return {
        name: Instance(name, args, pulumi.ResourceOptions(depends_on=[keys[k] for k in named]))
        for name, args, named in planned
    }


def _account_keys(entries: Any, lines: dict[str, str]) -> tuple[list[str], list[Failure]]:
    """The names of sshKeys among an entry's ``ssh_keys``, and the entries that look like
    names but are not among them.

    A name from sshKeys is an account key, which Vast puts on every instance: the instance
    only has to wait for it. Key lines are attached to this instance alone.
    """
    if not isinstance(entries, list):
        return [], []  # InstanceArgs says what it should be
    named = [k for k in entries if isinstance(k, str) and k in lines]
    problems: list[Failure] = []
    for position, key in enumerate(entries):
        if isinstance(key, str) and key not in lines and _looks_like_a_name(key):
            declared = ", ".join(lines) or "none declared"
            problems.append(
                (
                    f"ssh_keys[{position}]",
                    f"{key!r} is neither a name from {NAMESPACE}:sshKeys ({declared}) nor a "
                    "public key line ('ssh-ed25519 AAAA... you@host'); declare it under "
                    f"{NAMESPACE}:sshKeys or give the key line",
                )
            )
    return named, problems


def _looks_like_a_name(text: str) -> bool:
    return 0 < len(text) <= _NAME_LENGTH and not any(c.isspace() for c in text)


def _namespace_keys() -> list[str]:
    """Every key of the project's namespace in the stack config."""
    prefix = f"{NAMESPACE}:"
    everything = {**get_config_env(), **CONFIG.get()}
    return sorted(key.removeprefix(prefix) for key in everything if key.startswith(prefix))


def _value(config: pulumi.Config, key: str) -> Any:
    try:
        return config.get_object(key)
    except ValueError:  # not JSON: a plain text value, which the spec refuses by name
        return config.get(key)


def _unknown(key: str) -> str:
    full = [f"{NAMESPACE}:{name}" for name in SETTINGS]
    suggestion = closest(f"{NAMESPACE}:{key}", full).replace("'", "")
    return f"is not a setting of this program{suggestion or ';'} valid: {', '.join(full)}"


def _invalid(failures: list[Failure]) -> pulumi.RunError:
    lines = [f"{at(f'{NAMESPACE}:', path)}: {reason}" for path, reason in failures]
    return pulumi.RunError("invalid stack config:\n  " + "\n  ".join(lines))


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
