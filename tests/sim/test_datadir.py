"""The data folder's privacy: modes tightened, secrets made once and kept 0600."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pulumi_vast.sim.datadir import (
    ADMIN_TOKEN_FILE,
    admin_token,
    create_private,
    load_or_create_secret,
    make_private,
    private_folder,
    read_admin_token,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_make_private_takes_group_and_other_permissions_off_everything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "instances" / "7" / "bin").mkdir(parents=True)
    (data / "sim.db").write_text("x")
    (data / "instances" / "7" / "bin" / "tool").write_text("#!/bin/sh\n")
    (data / "instances" / "7" / "bin" / "tool").chmod(0o755)
    (data / "sim.db").chmod(0o644)
    data.chmod(0o755)

    make_private(data)

    assert _mode(data) == 0o700
    assert _mode(data / "sim.db") == 0o600
    assert _mode(data / "instances" / "7") == 0o700
    assert _mode(data / "instances" / "7" / "bin" / "tool") == 0o700, "still runs for its owner"


def test_make_private_creates_the_folder_private(tmp_path: Path) -> None:
    make_private(tmp_path / "new" / "data")
    assert _mode(tmp_path / "new" / "data") == 0o700


def test_private_folder_tightens_the_folder_only(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(mode=0o755)
    (tmp_path / "data" / "f").write_text("x")
    (tmp_path / "data" / "f").chmod(0o644)
    private_folder(tmp_path / "data")
    assert (_mode(tmp_path / "data"), _mode(tmp_path / "data" / "f")) == (0o700, 0o644)


def test_create_private_makes_an_empty_0600_file_and_keeps_content(tmp_path: Path) -> None:
    log = tmp_path / "sim.log"
    create_private(log)
    assert (log.read_text(), _mode(log)) == ("", 0o600)
    log.write_text("kept")
    log.chmod(0o644)
    create_private(log)
    assert (log.read_text(), _mode(log)) == ("kept", 0o600)


def test_the_admin_token_is_made_once_and_kept_private(tmp_path: Path) -> None:
    with pytest.raises(LookupError, match="no admin token"):
        read_admin_token(tmp_path)
    token = admin_token(tmp_path)
    assert len(token) >= 32
    assert admin_token(tmp_path) == token == read_admin_token(tmp_path)
    assert _mode(tmp_path / ADMIN_TOKEN_FILE) == 0o600


def test_concurrent_makers_agree_on_one_secret(tmp_path: Path) -> None:
    counter = iter(range(100))

    def make() -> bytes:
        return str(next(counter)).encode()

    with ThreadPoolExecutor(8) as pool:
        secrets = set(pool.map(lambda _: load_or_create_secret(tmp_path / "k", make), range(16)))
    assert len(secrets) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["k"], "no draft left behind"
