"""Copy files and directories to and from an instance over SFTP.

The destination is the path itself, not a folder to copy into: ``upload(t, "out", "/w/x")``
makes ``/w/x`` a copy of ``out`` (a file, or a directory with the same contents), creating
missing parent directories. File modes are kept. Remote paths are POSIX; ``~/x`` and
relative paths start in the login user's home. Remote symbolic links are followed.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko

from pulumi_vast.remote._connection import connected
from pulumi_vast.remote.errors import TransferFailed
from pulumi_vast.remote.target import SshTarget

__all__ = ["download", "upload"]

_MODE_BITS = 0o7777


def upload(target: SshTarget, local: Path | str, remote: str) -> None:
    """Copy the local file or directory ``local`` to the path ``remote`` on ``target``."""
    source, destination = Path(local).expanduser(), _remote_path(remote)
    with _transfer(target, str(source), f"{target.host}:{remote}") as sftp:
        if not source.exists():
            raise FileNotFoundError(f"the local path {source} does not exist")
        if not source.is_dir():
            _make_remote_dirs(sftp, posixpath.dirname(destination))
            _put_file(sftp, source, destination)
            return
        for folder, _, files in os.walk(source):
            relative = Path(folder).relative_to(source).as_posix()
            remote_folder = posixpath.normpath(posixpath.join(destination, relative))
            _make_remote_dirs(sftp, remote_folder)
            for name in sorted(files):
                _put_file(sftp, Path(folder, name), posixpath.join(remote_folder, name))


def download(target: SshTarget, remote: str, local: Path | str) -> None:
    """Copy the file or directory ``remote`` on ``target`` to the local path ``local``."""
    source, destination = _remote_path(remote), Path(local).expanduser()
    with _transfer(target, f"{target.host}:{remote}", str(destination)) as sftp:
        try:
            attrs = sftp.stat(source)
        except FileNotFoundError:
            raise FileNotFoundError(f"the remote path {remote} does not exist") from None
        if _is_dir(attrs):
            _get_tree(sftp, source, destination)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            _get_file(sftp, source, destination, attrs)


@contextmanager
def _transfer(target: SshTarget, source: str, destination: str) -> Iterator[paramiko.SFTPClient]:
    with connected(target) as conn:
        try:
            yield conn.sftp()
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise TransferFailed(
                endpoint=target.endpoint,
                source=source,
                destination=destination,
                reason=_reason(exc),
            ) from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is None and exc.args:
        return str(exc.args[-1])
    return str(exc) or type(exc).__name__


def _remote_path(path: str) -> str:
    if path == "~":
        return "."
    return path[2:] if path.startswith("~/") else path


def _is_dir(attrs: paramiko.SFTPAttributes) -> bool:
    return attrs.st_mode is not None and stat.S_ISDIR(attrs.st_mode)


def _make_remote_dirs(sftp: paramiko.SFTPClient, path: str) -> None:
    if path in ("", ".", "/"):
        return
    try:
        attrs = sftp.stat(path)
    except FileNotFoundError:
        _make_remote_dirs(sftp, posixpath.dirname(path))
        sftp.mkdir(path)
        return
    if not _is_dir(attrs):
        raise NotADirectoryError(f"the remote path {path} exists and is not a directory")


def _put_file(sftp: paramiko.SFTPClient, local: Path, remote: str) -> None:
    try:
        sftp.put(str(local), remote)
    except OSError as exc:
        raise OSError(f"{remote}: {_reason(exc)}") from exc
    sftp.chmod(remote, local.stat().st_mode & _MODE_BITS)


def _get_file(
    sftp: paramiko.SFTPClient, remote: str, local: Path, attrs: paramiko.SFTPAttributes
) -> None:
    sftp.get(remote, str(local))
    if attrs.st_mode is not None:
        local.chmod(attrs.st_mode & _MODE_BITS)


def _get_tree(sftp: paramiko.SFTPClient, remote: str, local: Path) -> None:
    local.mkdir(parents=True, exist_ok=True)
    for entry in sftp.listdir_attr(remote):
        child = posixpath.join(remote, entry.filename)
        attrs = entry
        if attrs.st_mode is not None and stat.S_ISLNK(attrs.st_mode):
            attrs = sftp.stat(child)
        if _is_dir(attrs):
            _get_tree(sftp, child, local / entry.filename)
        else:
            _get_file(sftp, child, local / entry.filename, attrs)
