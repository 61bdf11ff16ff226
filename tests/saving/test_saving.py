"""Copying off an instance: where each path lands, S3 uploads and their errors (moto), and
the save policy's preview checks."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pulumi_vast.engine.s3_backend import AWS_TEST_ENV, MotoS3
from pulumi_vast.resources._policy import Policy, SavePolicy
from pulumi_vast.resources._saving import save_problems
from pulumi_vast.resources._settings import ProviderSettings
from pulumi_vast.saving import S3Failed, S3Place, mirrored, upload_folder


@pytest.mark.parametrize(
    ("path", "lands"),
    [
        ("/workspace/out", "workspace/out"),
        ("/workspace/out/", "workspace/out"),
        ("~/train.log", "root/train.log"),
        ("~", "root"),
        ("logs/a", "root/logs/a"),
        ("/a/../b", "b"),
        ("/", "root-filesystem"),
    ],
)
def test_a_path_keeps_its_place_under_the_resources_folder(path: str, lands: str) -> None:
    assert mirrored(path) == lands


def test_a_save_that_cannot_work_is_refused_at_preview() -> None:
    nowhere = Policy(save=SavePolicy(paths=["/workspace/out"]))
    no_key = ProviderSettings(apiUrl="local")
    [(where, nowhere_reason), (_, key_reason)] = save_problems(None, nowhere, no_key, "ssh")
    assert where == "vast:policy.save"
    assert "not where: set local_dir" in nowhere_reason
    assert "vast:sshPrivateKeyFile" in key_reason
    placed = Policy(save=SavePolicy(paths=["/out"], local_dir="saved"))
    [(where, reason)] = save_problems(placed, placed, no_key, "ssh")
    assert where == "policy.save" and "vast:sshPrivateKeyFile" in reason
    assert save_problems(None, Policy(), no_key, "args") == []


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_TEST_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.mark.slow
def test_a_folder_is_uploaded_under_prefix_and_name(
    moto_s3: MotoS3, tmp_path: Path, aws_env: None
) -> None:
    httpx.put(f"{moto_s3.endpoint}/results").raise_for_status()
    staged = tmp_path / "staged"
    (staged / "workspace/out").mkdir(parents=True)
    (staged / "workspace/out/model.txt").write_text("w")
    (staged / "root").mkdir()
    (staged / "root/log").write_text("l")
    place = S3Place(bucket="results", prefix="/runs/", endpoint_url=moto_s3.endpoint)
    assert upload_folder(place, staged, "gpu") == 2
    listed = httpx.get(f"{moto_s3.endpoint}/results", params={"list-type": "2"}).text
    assert "<Key>runs/gpu/workspace/out/model.txt</Key>" in listed
    assert "<Key>runs/gpu/root/log</Key>" in listed


@pytest.mark.slow
def test_s3_errors_say_what_to_fix(moto_s3: MotoS3, tmp_path: Path, aws_env: None) -> None:
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "f").write_text("x")
    missing = S3Place(bucket="no-such-bucket", endpoint_url=moto_s3.endpoint)
    with pytest.raises(S3Failed, match="cannot put gpu/f: the bucket does not exist"):
        upload_folder(missing, staged, "gpu")
    unreachable = S3Place(bucket="results", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(S3Failed, match="the endpoint cannot be reached"):
        upload_folder(unreachable, staged, "gpu")
