"""Where the local simulator keeps its world unless told otherwise.

One neutral module, so the provider's `vast:apiUrl: local`, `pulumi-vast offers --url
local` and `pulumi-vast sim` all mean the same folder: `PULUMI_VAST_SIM_DATA` when set
(the repository's `./dev` sets it to its own `.state/sim`), else a per-user folder under
the XDG state directory, `~/.local/state/pulumi-vast/sim`. Never the current folder: a
user's project folder stays clean wherever a command runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["SIM_DATA_ENV", "default_sim_data_dir"]

SIM_DATA_ENV = "PULUMI_VAST_SIM_DATA"
_XDG_STATE_HOME = "XDG_STATE_HOME"
_FALLBACK_STATE_HOME = "~/.local/state"


def default_sim_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$PULUMI_VAST_SIM_DATA`, else `$XDG_STATE_HOME/pulumi-vast/sim` (absolute paths only,
    as the XDG spec says; else `~/.local/state`)."""
    env = os.environ if env is None else env
    chosen = env.get(SIM_DATA_ENV)
    if chosen:
        return Path(chosen).expanduser()
    state_home = env.get(_XDG_STATE_HOME, "")
    if not os.path.isabs(state_home):
        state_home = _FALLBACK_STATE_HOME
    return Path(state_home).expanduser() / "pulumi-vast" / "sim"
