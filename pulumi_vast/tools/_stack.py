"""A stack as the `pulumi` CLI shows it, for the tools that act on one (`cost`, `reap`).

The state comes from ``pulumi stack export`` and the settings from ``pulumi config --json
--show-secrets``, run in the project folder with this environment: whatever backend the
project uses (a local folder, ``PULUMI_BACKEND_URL=s3://...``, Pulumi Cloud) and whatever
unlocks its secrets (``PULUMI_CONFIG_PASSPHRASE``...). Nothing here reads a backend itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_vast.resources._policy import Policy
from pulumi_vast.resources._settings import ProviderSettings

__all__ = ["StackError", "StackResource", "StackView", "find_pulumi", "read_stack"]

TYPE_PREFIX = "pulumi-python:dynamic/vast:"
"""How the state names the package's resources: ``pulumi-python:dynamic/vast:Instance``."""


class StackError(Exception):
    """The stack could not be read; the message says why and what to do."""


@dataclass(frozen=True)
class StackResource:
    name: str
    kind: str
    """``Instance``, ``Volume``, ``StackTag``..."""
    outputs: Mapping[str, Any]

    @property
    def instance_id(self) -> int | None:
        value = self.outputs.get("instance_id")
        return int(value) if isinstance(value, int | float) and value else None

    def policy(self, stack: Policy | None) -> Policy:
        """Its effective policy: its own fields over the stack's `vast:policy`."""
        own = self.outputs.get("policy")
        mine = Policy.model_validate(own) if isinstance(own, Mapping) else Policy()
        return mine.over(stack)


@dataclass(frozen=True)
class StackView:
    name: str
    resources: tuple[StackResource, ...]
    settings: ProviderSettings

    @property
    def instances(self) -> list[StackResource]:
        return [r for r in self.resources if r.kind == "Instance" and r.instance_id]

    @property
    def stack_ids(self) -> set[str]:
        """The stack's tags (one per account; see `resources.stack_tag`)."""
        return {
            str(r.outputs["stack_id"])
            for r in self.resources
            if r.kind == "StackTag" and r.outputs.get("stack_id")
        }


def find_pulumi(given: str | None) -> str:
    """The `pulumi` to run: `given`, else the one beside this Python (the pinned CLI `./dev`
    installs), else the first on PATH."""
    if given:
        return given
    beside = Path(sys.executable).parent / "pulumi"
    if beside.is_file():
        return str(beside)
    found = shutil.which("pulumi")
    if found is None:
        raise StackError("no `pulumi` CLI found: install it, or pass --pulumi PATH")
    return found


def read_stack(stack: str, *, cwd: Path, pulumi: str) -> StackView:
    exported = _pulumi_json(pulumi, cwd, "stack", "export", "--stack", stack)
    config = _pulumi_json(pulumi, cwd, "config", "--json", "--show-secrets", "--stack", stack)
    deployment = exported.get("deployment") or {}
    resources = tuple(
        StackResource(
            name=str(r.get("urn", "")).rpartition("::")[2],
            kind=str(r.get("type", "")).removeprefix(TYPE_PREFIX),
            outputs=r.get("outputs") or {},
        )
        for r in deployment.get("resources") or []
        if str(r.get("type", "")).startswith(TYPE_PREFIX)
    )
    values = {
        key: entry.get("value")
        for key, entry in config.items()
        if key.startswith("vast:") and isinstance(entry, Mapping)
    }
    try:
        settings = ProviderSettings.from_config(values)
    except ValueError as exc:
        raise StackError(f"stack {stack}: {exc}") from None
    return StackView(stack, resources, settings)


def _pulumi_json(pulumi: str, cwd: Path, *args: str) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [pulumi, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
        )
    except OSError as exc:
        raise StackError(f"could not run {pulumi}: {exc}") from None
    if done.returncode != 0:
        raise StackError(f"`pulumi {' '.join(args)}` failed: {done.stderr.strip()}")
    try:
        result = json.loads(done.stdout or "{}")
    except ValueError:
        raise StackError(f"`pulumi {' '.join(args)}` printed no JSON") from None
    if not isinstance(result, dict):
        raise StackError(f"`pulumi {' '.join(args)}` printed no JSON object")
    return result
