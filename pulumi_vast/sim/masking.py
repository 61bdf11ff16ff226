"""How admin answers show secrets: masked, never in clear.

An API key shows its known prefix and, when it is long enough for that to give nothing
away, its last four characters (``vastsim-…1a2b``); a short key shows nothing but "…".
Env values show as "…" (Docker flags such as ``-p 8080:8080`` are not secret and show).
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_vast.sim.records import ACCOUNT_KEY_PREFIX, INSTANCE_KEY_PREFIX

__all__ = ["HIDDEN", "mask_env", "mask_key"]

HIDDEN = "…"
_KNOWN_PREFIXES = (INSTANCE_KEY_PREFIX, ACCOUNT_KEY_PREFIX)
_SHOWN_TAIL = 4
_LONG_ENOUGH = 16
"""Characters a key needs beyond its prefix before its tail may show."""


def mask_key(key: str) -> str:
    prefix = next((p for p in _KNOWN_PREFIXES if key.startswith(p)), "")
    if len(key) - len(prefix) < _LONG_ENOUGH:
        return prefix + HIDDEN
    return f"{prefix}{HIDDEN}{key[-_SHOWN_TAIL:]}"


def mask_env(env: Mapping[str, str]) -> dict[str, str]:
    return {name: value if name.startswith("-") else HIDDEN for name, value in env.items()}
