"""The clock a simulated container reads: the simulated world's, which tests move forward.

Everything the simulator serves (start dates, billing, the ledger) follows its clock
(`clock.Clock`: wall time plus an offset a test can advance). A container reading the wall
would disagree with them: after an advance of an hour, `date` inside it must say an hour
later too, as a start-up script that acts at a deadline (a TTL's watchdog) would see on
Vast once that hour has passed. So each instance gets a `date` first on its PATH (beside
`gpu_tools`' `nvidia-smi`) that adds the offset the hosts publish (`CLOCK_FILE` in the data
folder, whole seconds). With no offset it is the machine's `date` as it is; with one, it
needs GNU date (``-d @SECONDS``), as on Linux. Asked about another time (``-d``, ``-r``,
``-s``, ``-f``), it is the machine's `date` too.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from pulumi_vast.sim.gpu_tools import TOOLS_DIR

__all__ = ["CLOCK_FILE", "install_clock", "publish_offset"]

CLOCK_FILE = "clock-offset"
"""In the data folder: the clock's offset from the wall, in whole seconds."""

_SCRIPT = """#!/bin/sh
# date of a simulated Vast instance: the simulator's clock (wall time + its offset)
offset=$(cat {clock} 2>/dev/null)
case "${{offset:-0}} $*" in
  0\\ *|*" -d"*|*" --date"*|*" -r"*|*" --reference"*|*" -s"*|*" --set"*|*" -f"*|*" --file"*)
    exec {date} "$@" ;;
esac
exec {date} -d "@$(( $({date} +%s) + offset ))" "$@"
"""


def install_clock(root: Path, data_dir: Path) -> None:
    """Write the instance's `date` into its tools folder (see `gpu_tools.TOOLS_DIR`)."""
    real = shutil.which("date") or "/bin/date"
    tools = root / TOOLS_DIR
    tools.mkdir(parents=True, exist_ok=True)
    path = tools / "date"
    path.write_text(
        _SCRIPT.format(clock=shlex.quote(str(data_dir / CLOCK_FILE)), date=shlex.quote(real))
    )
    path.chmod(0o700)


def publish_offset(data_dir: Path, offset: float) -> None:
    """Tell every container the clock's offset (written only when it changed)."""
    path = data_dir / CLOCK_FILE
    text = str(int(offset))
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(path)
