"""SFTP (and scp) rooted at an instance's folder, the way paths look inside a Vast container.

Inside a real instance the user is root with home ``/root`` and data under ``/workspace``.
The simulator has one folder per instance, so both of those, and every other absolute
path, land in it: ``/root/x``, ``/workspace/x`` and ``/x`` are all ``<folder>/x``, and
relative paths start there too. Paths are reported back under ``/root``, the home a client
expects from ``realpath(".")``.
"""

from __future__ import annotations

import contextlib
import posixpath
from pathlib import Path

import asyncssh

__all__ = ["CONTAINER_HOME", "ContainerSFTPServer", "container_relative"]

#: The home directory of root inside a Vast container; SFTP sessions start there.
CONTAINER_HOME = "/root"
#: Container directories that are the instance's folder itself in the simulator.
_FOLDER_ALIASES = (b"/root", b"/workspace")


def container_relative(path: bytes) -> bytes:
    """The part of a client path below the instance folder (b"" for the folder itself)."""
    normalized = posixpath.normpath(posixpath.join(CONTAINER_HOME.encode(), path))
    for alias in _FOLDER_ALIASES:
        if normalized == alias:
            return b""
        if normalized.startswith(alias + b"/"):
            return normalized[len(alias) + 1 :]
    return normalized.lstrip(b"/")


class ContainerSFTPServer(asyncssh.SFTPServer):
    """An SFTP server confined to ``root`` that maps container paths into it."""

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], *, root: Path) -> None:
        super().__init__(chan, chroot=bytes(root))
        self._root = bytes(root.resolve())

    def map_path(self, path: bytes) -> bytes:
        relative = container_relative(path)
        return posixpath.join(self._root, relative) if relative else self._root

    def reverse_map_path(self, path: bytes) -> bytes:
        home = CONTAINER_HOME.encode()
        if path == self._root:
            return home
        if path.startswith(self._root + b"/"):
            return home + path[len(self._root) :]
        raise asyncssh.SFTPNoSuchFile("path is outside the instance")

    def exit(self) -> None:
        # OpenSSH's sftp-server exits 0 and sshd reports that status; scp in its default
        # SFTP mode fails when the channel closes without one.
        with contextlib.suppress(OSError, asyncssh.Error):
            self.channel.exit(0)
