"""The GPU tools a rented container has, for a simulated instance: a fake `nvidia-smi`.

Readiness probes and onstart scripts written for Vast usually call `nvidia-smi`; it prints
the instance's own GPUs here, so the same probes pass against the simulator.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["TOOLS_DIR", "install_gpu_tools"]

TOOLS_DIR = ".vast-sim/bin"

_SCRIPT = """#!/bin/sh
# nvidia-smi of a simulated Vast instance: {count}x {name}, {mib} MiB each.
if [ "$1" = "-L" ]; then
{list_lines}
  exit 0
fi
if [ "$1" = "--query-gpu=name,memory.total" ] || [ "$1" = "--query-gpu=name" ]; then
{query_lines}
  exit 0
fi
cat <<'TABLE'
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI (pulumi-vast simulator)   Driver Version: {driver}   CUDA Version: {cuda}  |
|-----------------------------------------+------------------------+----------------------+
{rows}
+-----------------------------------------------------------------------------------------+
TABLE
"""


def install_gpu_tools(root: Path, instance: Mapping[str, Any]) -> str:
    """Write the tools into the instance folder; return the folder to put first on PATH."""
    name = str(instance.get("gpu_name") or "GPU")
    count = max(int(instance.get("num_gpus") or 1), 1)
    mib = int(float(instance.get("gpu_ram") or 0))
    rows = "\n".join(
        f"| {index:>3}  {name:<28} On |   0MiB / {mib:>6}MiB |      0%      Default |"
        for index in range(count)
    )
    list_lines = "\n".join(
        f"  echo {shlex.quote(f'GPU {index}: {name} (UUID: GPU-sim-{index})')}"
        for index in range(count)
    )
    query_lines = "\n".join(f"  echo {shlex.quote(f'{name}, {mib} MiB')}" for _ in range(count))
    script = _SCRIPT.format(
        count=count,
        name=name,
        mib=mib,
        rows=rows,
        list_lines=list_lines,
        query_lines=query_lines,
        driver=instance.get("driver_version") or "560.35.03",
        cuda=instance.get("cuda_max_good") or "12.4",
    )
    tools = root / TOOLS_DIR
    tools.mkdir(parents=True, exist_ok=True)
    path = tools / "nvidia-smi"
    path.write_text(script)
    path.chmod(0o700)
    return str(tools)
