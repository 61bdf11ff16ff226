"""Copy paths off an instance (SFTP) to a local folder and/or S3, before it is destroyed.

Every path is fetched into a staging folder first, then put in each place: a path that
cannot be fetched, or a place that cannot take the files, is one `Miss` of the outcome,
and everything else is still saved, so that a forced destroy loses only what the misses
name. A path keeps its place in the instance's filesystem under the resource's folder:
``/workspace/out/model.pt`` of resource ``trainer`` lands at
``<local_dir>/trainer/workspace/out/model.pt`` and ``<prefix>/trainer/workspace/out/model.pt``
(``~/x`` and relative paths are under ``/root``, the login's home).
"""

from __future__ import annotations

import posixpath
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pulumi_vast import remote
from pulumi_vast.saving.s3 import S3Failed, S3Place, upload_folder

__all__ = ["Miss", "SaveOutcome", "copy_off", "mirrored"]

_HOME = "/root"


def mirrored(path: str) -> str:
    """Where a path on the instance lands below the resource's folder (POSIX, relative)."""
    if path == "~" or path.startswith("~/"):
        path = _HOME + path[1:]
    absolute = posixpath.normpath(posixpath.join(_HOME, path))
    return absolute.lstrip("/") or "root-filesystem"


@dataclass(frozen=True)
class Miss:
    """Something not saved: a path on the instance, or a place for all of them."""

    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass
class SaveOutcome:
    files: int = 0
    """Files fetched off the instance."""
    places: list[str] = field(default_factory=list)
    """Where they were saved."""
    misses: list[Miss] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.misses


def copy_off(
    target: remote.SshTarget,
    paths: Sequence[str],
    *,
    name: str,
    local_dir: Path | None,
    s3: S3Place | None,
) -> SaveOutcome:
    """Copy ``paths`` off the instance at ``target`` into ``local_dir/name/`` and
    ``s3``'s ``prefix/name/``; what was saved and what was not."""
    outcome = SaveOutcome()
    with tempfile.TemporaryDirectory(prefix="pulumi-vast-save-") as staging_dir:
        staging = Path(staging_dir)
        for path in paths:
            try:
                remote.download(target, path, staging / mirrored(path))
            except (remote.RemoteError, OSError) as exc:
                outcome.misses.append(Miss(path, _remote_reason(exc)))
        outcome.files = sum(1 for item in staging.rglob("*") if not item.is_dir())
        if s3 is not None:
            try:
                upload_folder(s3, staging, name)
                outcome.places.append(f"s3://{s3.bucket}/{s3.key(name)}/")
            except S3Failed as exc:
                outcome.misses.append(Miss(s3.url, str(exc)))
        if local_dir is not None:
            folder = local_dir.expanduser() / name
            try:
                shutil.copytree(staging, folder, dirs_exist_ok=True)
                outcome.places.append(f"{folder}/")
            except OSError as exc:
                outcome.misses.append(Miss(str(folder), f"cannot write there ({exc})"))
    return outcome


def _remote_reason(exc: BaseException) -> str:
    if isinstance(exc, remote.TransferFailed):
        return exc.reason
    if isinstance(exc, remote.ConnectFailed):
        return f"cannot log in to the instance ({exc.reason})"
    return str(exc)
