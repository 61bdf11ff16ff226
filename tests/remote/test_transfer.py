from pathlib import Path

import pytest

from pulumi_vast.remote import TransferFailed, download, run, upload
from tests.remote.sshhosts import ClientKey, ServedHost


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mode & 0o777)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    source = tmp_path / "project"
    (source / "configs" / "deep").mkdir(parents=True)
    (source / "train.py").write_text("print('training')\n")
    (source / "run.sh").write_text("#!/bin/sh\necho run\n")
    (source / "run.sh").chmod(0o755)
    (source / "configs" / "a.yaml").write_text("lr: 0.1\n")
    (source / "configs" / "deep" / "weights.bin").write_bytes(bytes(range(256)) * 4096)
    return source


def test_upload_file_lands_in_the_instance_folder(
    served: ServedHost, client_key: ClientKey, tmp_path: Path
) -> None:
    local = tmp_path / "notes.txt"
    local.write_text("hello\n")

    upload(served.target(client_key), local, "/workspace/new/dir/notes.txt")

    assert (served.root / "new" / "dir" / "notes.txt").read_text() == "hello\n"


def test_upload_directory_then_run_it(
    served: ServedHost, client_key: ClientKey, project: Path
) -> None:
    target = served.target(client_key)

    upload(target, project, "/root/code")

    assert _tree(served.root / "code") == _tree(project)
    assert run(target, "./code/run.sh", timeout=10).stdout == "run\n"


def test_download_directory_round_trip(
    served: ServedHost, client_key: ClientKey, project: Path, tmp_path: Path
) -> None:
    target = served.target(client_key)
    upload(target, project, "outputs")

    download(target, "/workspace/outputs", tmp_path / "saved" / "outputs")

    assert _tree(tmp_path / "saved" / "outputs") == _tree(project)


def test_download_file_written_by_a_command(
    served: ServedHost, client_key: ClientKey, tmp_path: Path
) -> None:
    target = served.target(client_key)
    run(target, "mkdir -p ckpt && echo step-100 > ckpt/latest", timeout=10)

    download(target, "~/ckpt/latest", tmp_path / "latest")

    assert (tmp_path / "latest").read_text() == "step-100\n"


def test_download_of_a_missing_path_names_it(
    served: ServedHost, client_key: ClientKey, tmp_path: Path
) -> None:
    with pytest.raises(TransferFailed, match="/workspace/nothing-here does not exist") as caught:
        download(served.target(client_key), "/workspace/nothing-here", tmp_path / "x")

    assert caught.value.endpoint == f"root@127.0.0.1:{served.ports[0]}"
    assert not (tmp_path / "x").exists()


def test_upload_of_a_missing_path_names_it(
    served: ServedHost, client_key: ClientKey, tmp_path: Path
) -> None:
    with pytest.raises(TransferFailed, match=r"local path .*absent does not exist"):
        upload(served.target(client_key), tmp_path / "absent", "/root/x")


def test_upload_below_a_file_says_why(
    served: ServedHost, client_key: ClientKey, tmp_path: Path
) -> None:
    (served.root / "blocker").write_text("a file, not a folder")
    local = tmp_path / "f"
    local.write_text("x")

    with pytest.raises(TransferFailed, match="blocker exists and is not a directory"):
        upload(served.target(client_key), local, "/root/blocker/f")
