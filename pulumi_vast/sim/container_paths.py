"""Where a path inside a simulated container lands in its instance's folder.

Inside a real instance the user is root with home ``/root`` and data under ``/workspace``.
The simulator has one folder per instance and lets both, and the filesystem root, be that
folder: ``/root/x``, ``/workspace/x`` and ``/x`` are all ``<folder>/x``, and relative paths
start there too (SFTP, `_ssh_sftp`; volume mounts, `hosting`).
"""

from __future__ import annotations

import posixpath

from pulumi_vast.sim.gpu_tools import TOOLS_DIR

__all__ = ["CONTAINER_HOME", "container_relative", "mount_folder"]

CONTAINER_HOME = "/root"
"""The home directory of root inside a Vast container; SFTP sessions start there."""
_FOLDER_ALIASES = (b"/root", b"/workspace")
"""Container directories that are the instance's folder itself in the simulator."""
RESERVED = TOOLS_DIR.split("/")[0]
"""The simulator's own corner of an instance folder (its GPU tools)."""


def container_relative(path: bytes) -> bytes:
    """The part of a client path below the instance folder (b"" for the folder itself)."""
    normalized = posixpath.normpath(posixpath.join(CONTAINER_HOME.encode(), path))
    for alias in _FOLDER_ALIASES:
        if normalized == alias:
            return b""
        if normalized.startswith(alias + b"/"):
            return normalized[len(alias) + 1 :]
    return normalized.lstrip(b"/")


def mount_folder(mount_path: str) -> str | None:
    """Where a volume mounted at `mount_path` appears in the instance folder (relative), or
    None if the simulator cannot mount it there: on the folder itself (``/``, ``/root``,
    ``/workspace``), in its own corner, or not an absolute path."""
    if not mount_path.startswith("/") or "\0" in mount_path:
        return None
    relative = container_relative(mount_path.encode()).decode()
    if not relative or relative.split("/")[0] == RESERVED:
        return None
    return relative
