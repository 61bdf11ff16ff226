"""SFTP (and scp) rooted at an instance's folder, the way paths look inside a Vast container
(`container_paths`). Paths are reported back under ``/root``, the home a client expects
from ``realpath(".")``.
"""

from __future__ import annotations

import contextlib
import posixpath
from pathlib import Path

import asyncssh

from pulumi_vast.sim.container_paths import CONTAINER_HOME, container_relative

__all__ = ["ContainerSFTPServer"]


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
