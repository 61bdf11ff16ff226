"""The data folder is private to the user: the folder 0700, what is in it 0600 (or 0700).

It holds the world (`sim.db`), the log, the admin token and the key that seals secrets at
rest, and the instance folders, where onstart scripts and SSH sessions run as this user.
The serving process sets a 077 umask so everything it and its instances create stays
private; `make_private` also takes group and other permissions off what an older
simulator (or another process) left there.

Secrets in the folder are created once, atomically (`O_EXCL`), and read back after:

- `ADMIN_TOKEN_FILE`: the token the `/_sim` admin routes require (`admin`).
- `SECRET_KEY_FILE`: the key that hashes API keys and seals env values (`sealing`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "ADMIN_TOKEN_FILE",
    "PRIVATE_UMASK",
    "SECRET_KEY_FILE",
    "admin_token",
    "create_private",
    "load_or_create_secret",
    "make_private",
    "private_folder",
    "read_admin_token",
]

PRIVATE_UMASK = 0o077
ADMIN_TOKEN_FILE = "admin.token"
SECRET_KEY_FILE = "sim.key"
_NOT_OURS = stat.S_IRWXG | stat.S_IRWXO


def private_folder(data_dir: Path) -> None:
    """Create `data_dir` (0700) if needed, and take group and other permissions off it."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(data_dir)


def make_private(data_dir: Path) -> None:
    """`private_folder`, and the same for everything under it (once per server start)."""
    private_folder(data_dir)
    for root, dirs, files in os.walk(data_dir):
        for name in [*dirs, *files]:
            _tighten(Path(root, name))


def _tighten(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):  # an instance folder removed meanwhile
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and mode & _NOT_OURS:
            path.chmod(stat.S_IMODE(mode) & ~_NOT_OURS)


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (then make it 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    _tighten(path)


def load_or_create_secret(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret in `path`, written there first (0600) if missing. Safe when several
    processes ask at once: the first file written wins."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(make())
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink()
    return path.read_bytes()


def admin_token(data_dir: Path) -> str:
    """The admin token of `data_dir`, made on first use."""
    raw = load_or_create_secret(
        data_dir / ADMIN_TOKEN_FILE, lambda: secrets.token_urlsafe(32).encode()
    )
    return raw.decode().strip()


def read_admin_token(data_dir: Path) -> str:
    """The admin token of `data_dir`; LookupError when no simulator made one there."""
    path = Path(data_dir).expanduser() / ADMIN_TOKEN_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise LookupError(f"no admin token in {path.parent} (no simulator served it)") from None
