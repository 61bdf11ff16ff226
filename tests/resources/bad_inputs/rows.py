"""What a row of the bad-input table is: what the user wrote, and what the refusal must say.

A row is either stack config (`StackConfig`: keys and values as the stack's YAML gives
them, run through the repository's own program) or a Python program (`Program`: a
function that declares resources). Strings in stack config may name the test's files
(`{key}`, `{pub}`, `{garbage}`, `{folder}`, `{missing}`, `{public_line}`,
`{private_text}`), filled in per run from `Files`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DROP",
    "IMAGE",
    "QUERY",
    "Bad",
    "Files",
    "Program",
    "StackConfig",
    "instance",
    "instances",
]

DROP = None
"""A stack-config value of None removes the key (e.g. a default `vast:` setting)."""

QUERY = "gpu_ram>=24 num_gpus=1 reliability>0.95"
IMAGE = "pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel"


@dataclass(frozen=True)
class Files:
    """Files a row may point at, made fresh for each run."""

    key: Path
    """A private key (the provider's default `vast:sshPrivateKeyFile`)."""
    pub: Path
    public_line: str
    private_text: str
    garbage: Path
    folder: Path
    missing: Path

    def fill(self, value: Any) -> Any:
        """``value`` with every ``{name}`` placeholder in its strings replaced."""
        if isinstance(value, str):
            return value.format(
                key=self.key,
                pub=self.pub,
                public_line=self.public_line,
                private_text=self.private_text,
                garbage=self.garbage,
                folder=self.folder,
                missing=self.missing,
            )
        if isinstance(value, dict):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value


@dataclass(frozen=True)
class StackConfig:
    """Stack config merged over a valid base (`vast:` settings for the test's simulator
    account, and `pulumi-vast:instances` / `pulumi-vast:sshKeys` unless given)."""

    config: dict[str, Any]


@dataclass(frozen=True)
class Program:
    """A Python program: declares resources, may read the `Files`."""

    run: Callable[[Files], Any]
    config: dict[str, Any] = field(default_factory=dict)
    """`vast:` settings merged over the valid base."""


@dataclass(frozen=True)
class Bad:
    id: str
    given: StackConfig | Program
    setting: str
    """Must appear in the refusal: the config path or Python argument that is wrong."""
    fix: str
    """A fragment of the fix the refusal suggests."""
    secret: str | None = None
    """A secret value in the input that must appear in no message (placeholders allowed)."""


def instance(**fields: Any) -> dict[str, Any]:
    """A valid `pulumi-vast:instances` entry named `gpu`, with ``fields`` changed (a value
    of DROP removes the field)."""
    entry = {"name": "gpu", "query": QUERY, "image": IMAGE, "disk_gb": 20, **fields}
    return {k: v for k, v in entry.items() if v is not DROP}


def instances(*entries: dict[str, Any]) -> StackConfig:
    return StackConfig({"pulumi-vast:instances": list(entries)})
