"""The `save` policy end to end: files copied off an instance before `pulumi destroy` (and a
replace) into a local folder and moto's S3, a failed save blocking the destroy, and
`force_destroy` destroying anyway while saying what was not saved.

The files are put on the simulated instance over SFTP, as a user's job would leave them;
the simulator removes an instance's folder when it is destroyed, so a file found saved
afterwards was read off the live instance, and the ledger's `destroyed_at` comes after it.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import yaml

from pulumi_vast import remote
from pulumi_vast.api import VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.engine.s3_backend import MotoS3
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import REPO, VastStack, instance, stack_file, write_config
from tests.e2e.test_lifecycle import billing, instances_in_state, set_path

pytestmark = pytest.mark.slow

BUCKET = "results"
ACCESS_KEY_ID = "AKIASAVEDNOTSHOWN"
SECRET_KEY = "s3-secret-never-printed"
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


def put_files(
    sim_url: str, key: str, instance_id: int, private_key: Path, files: dict[str, str]
) -> None:
    """Write ``files`` (path on the instance -> text) over SFTP, as a job would leave them."""
    live = VastClient(sim_url, key).instances.get(instance_id)
    assert live is not None
    endpoint = live.ssh_endpoints()[0]
    target = remote.SshTarget(host=endpoint.host, port=endpoint.port, private_key=private_key)
    staging = private_key.parent.parent / "to-upload"
    for path, text in files.items():
        local = staging / path.lstrip("/~")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(text)
        remote.upload(target, local, path)


def read_back(sim_url: str, key: str, instance_id: int, private_key: Path, path: str) -> str:
    """A file's text on the instance, over SFTP."""
    live = VastClient(sim_url, key).instances.get(instance_id)
    assert live is not None
    endpoint = live.ssh_endpoints()[0]
    target = remote.SshTarget(host=endpoint.host, port=endpoint.port, private_key=private_key)
    local = private_key.parent.parent / "read-back" / path.lstrip("/~")
    remote.download(target, path, local)
    return local.read_text()


def s3_client(s3: MotoS3) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def s3_objects(s3: MotoS3, bucket: str = BUCKET) -> dict[str, str]:
    client = s3_client(s3)
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
        for item in listed
    }


def s3_written_at(s3: MotoS3, key: str) -> float:
    """When moto stored an object (wall clock, truncated to the millisecond)."""
    head = s3_client(s3).head_object(Bucket=BUCKET, Key=key)
    written: float = head["LastModified"].timestamp()
    return written


def save_policy(saved: Path, s3: MotoS3 | None, *paths: str) -> dict[str, Any]:
    policy: dict[str, Any] = {"paths": list(paths), "local_dir": str(saved)}
    if s3 is not None:
        policy["s3"] = {
            "bucket": BUCKET,
            "prefix": "runs/7",
            "endpoint_url": s3.endpoint,
            "region": "us-east-1",
        }
    return {"save": policy}


def set_s3_keys(stack: PulumiWorkspace) -> None:
    """The credentials as Pulumi secrets, as the README tells users to set them."""
    base = "pulumi-vast:instances[0].policy.save.s3"
    set_path(stack, f"{base}.access_key_id", ACCESS_KEY_ID, secret=True)
    set_path(stack, f"{base}.secret_access_key", SECRET_KEY, secret=True)


def assert_no_credentials(*texts: str) -> None:
    for text in texts:
        assert SECRET_KEY not in text and ACCESS_KEY_ID not in text


def wall_to_sim(sim_admin: SimAdmin) -> float:
    """A lower bound of the simulator clock's lead over the wall clock (its `now` is read
    before the wall's), to place a local file's time on the ledger's clock."""
    sim_now = sim_admin.now()
    return sim_now - time.time()


def test_destroy_and_replace_save_first_locally_and_to_s3(
    vast_stack: VastStack,
    moto_s3: MotoS3,
    sim_admin: SimAdmin,
    sim_url: str,
    vast_account: str,
    tmp_path: Path,
) -> None:
    httpx.put(f"{moto_s3.endpoint}/{BUCKET}").raise_for_status()
    saved = tmp_path / "saved"
    stack = vast_stack(
        [instance(policy=save_policy(saved, moto_s3, "/workspace/out", "~/notes.txt"))]
    )
    set_s3_keys(stack)
    key_file = tmp_path / "ssh" / "id_ed25519"
    created = stack.up()
    first = stack.outputs()["gpu"]["instance_id"]
    assert_no_credentials(created.stdout, created.stderr, json.dumps(stack.export_state()))
    put_files(
        sim_url,
        vast_account,
        first,
        key_file,
        {"/workspace/out/model.txt": "weights v1", "/workspace/out/logs/train.log": "epoch 1"},
    )
    put_files(sim_url, vast_account, first, key_file, {"~/notes.txt": "first run"})

    # a replace (a new image) saves the old instance's files before destroying it
    set_path(stack, "pulumi-vast:instances[0].image", "nvidia/cuda:12.4.1")
    lead = wall_to_sim(sim_admin)
    replaced = stack.up()
    assert f"instance {first}: saved 3 files to s3://{BUCKET}/runs/7/gpu/ and {saved}/gpu/" in (
        replaced.stdout
    )
    local = saved / "gpu"
    assert (local / "workspace/out/model.txt").read_text() == "weights v1"
    assert (local / "workspace/out/logs/train.log").read_text() == "epoch 1"
    assert (local / "root/notes.txt").read_text() == "first run"
    assert s3_objects(moto_s3) == {
        "runs/7/gpu/workspace/out/model.txt": "weights v1",
        "runs/7/gpu/workspace/out/logs/train.log": "epoch 1",
        "runs/7/gpu/root/notes.txt": "first run",
    }
    old_row = next(r for r in sim_admin.ledger(vast_account)["instances"] if r["id"] == first)
    assert old_row["destroyed_at"] >= (local / "workspace/out/model.txt").stat().st_mtime + lead

    # the new instance's files, saved by `pulumi destroy` before it destroys
    second = stack.outputs()["gpu"]["instance_id"]
    assert second != first
    put_files(sim_url, vast_account, second, key_file, {"/workspace/out/model.txt": "weights v2"})
    put_files(sim_url, vast_account, second, key_file, {"~/notes.txt": "second run"})
    lead = wall_to_sim(sim_admin)
    destroyed = stack.destroy()
    assert f"instance {second}: saved 2 files" in destroyed.stdout
    assert (local / "workspace/out/model.txt").read_text() == "weights v2"
    assert (local / "root/notes.txt").read_text() == "second run"
    assert s3_objects(moto_s3)["runs/7/gpu/workspace/out/model.txt"] == "weights v2"
    row = next(r for r in sim_admin.ledger(vast_account)["instances"] if r["id"] == second)
    assert row["destroyed_at"] >= (local / "root/notes.txt").stat().st_mtime + lead
    assert row["destroyed_at"] >= s3_written_at(moto_s3, "runs/7/gpu/root/notes.txt") + lead
    assert billing(sim_admin, vast_account) == []
    assert stack.resources() == []
    assert_no_credentials(replaced.stdout, replaced.stderr, destroyed.stdout, destroyed.stderr)


def test_failed_save_blocks_destroy_until_force_destroy(
    vast_stack: VastStack,
    moto_s3: MotoS3,
    sim_admin: SimAdmin,
    sim_url: str,
    vast_account: str,
    tmp_path: Path,
) -> None:
    saved = tmp_path / "saved"
    stack = vast_stack(
        [instance(policy=save_policy(saved, None, "/workspace/out", "/workspace/missing"))]
    )
    stack.up()
    gpu = stack.outputs()["gpu"]["instance_id"]
    key_file = tmp_path / "ssh" / "id_ed25519"
    put_files(sim_url, vast_account, gpu, key_file, {"/workspace/out/model.txt": "weights"})

    # a path that does not exist: the destroy fails and nothing is lost
    refused = stack.destroy(check=False)
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert f"instance {gpu} was NOT destroyed" in output
    assert "/workspace/missing: the remote path /workspace/missing does not exist" in output
    assert "(or set policy.force_destroy: true and `pulumi up`)" in output
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [gpu]
    assert [r["outputs"]["instance_id"] for r in instances_in_state(stack)] == [gpu]
    assert read_back(sim_url, vast_account, gpu, key_file, "/workspace/out/model.txt") == "weights"

    # the path fixed, S3 unreachable: refused again, naming the store
    write_config(
        stack,
        instances=[
            instance(
                policy={
                    "save": {
                        **save_policy(saved, None, "/workspace/out")["save"],
                        "s3": {"bucket": BUCKET, "endpoint_url": UNREACHABLE},
                    }
                }
            )
        ],
    )
    set_s3_keys(stack)
    stack.up()  # the policy is state: recorded, nothing sent to Vast
    refused = stack.destroy(check=False)
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert f"s3://{BUCKET}/ at {UNREACHABLE}" in output
    assert "the endpoint cannot be reached" in output
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [gpu]
    assert_no_credentials(output)

    # stopped, nothing can be copied off it: refused, saying to start it
    set_path(stack, "pulumi-vast:instances[0].running", "false")
    stack.up()
    refused = stack.destroy(check=False)
    assert refused.returncode != 0
    assert f"instance {gpu}: it is stopped, so nothing can be copied off it" in refused.stdout
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [gpu]
    set_path(stack, "pulumi-vast:instances[0].running", "true")
    stack.up()

    # force_destroy: destroyed anyway, saying what was not saved; the rest is saved
    set_path(stack, "pulumi-vast:instances[0].policy.force_destroy", "true")
    stack.up()
    forced = stack.destroy()
    assert f"instance {gpu}: force_destroy is set" in forced.stdout
    assert f"NOT saved: s3://{BUCKET}/ at {UNREACHABLE}" in forced.stdout
    assert (saved / "gpu/workspace/out/model.txt").read_text() == "weights"
    assert billing(sim_admin, vast_account) == []
    assert stack.resources() == []
    assert_no_credentials(forced.stdout, forced.stderr)


def readme_save_policy() -> tuple[dict[str, Any], list[str]]:
    """The README's `vast:policy` with a save, and its lines that set the S3 keys."""
    text = (REPO / "README.md").read_text()
    configs = re.findall(r"```yaml\n(.*?)```", text, re.S)
    [config] = [b for b in configs if "vast:policy:" in b and "save:" in b]
    [lines] = [b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if "vast:policy.save" in b]
    return yaml.safe_load(config)["config"]["vast:policy"], lines.strip().splitlines()


def test_the_readmes_stack_policy_saves_each_instance_and_the_environment_forces_a_destroy(
    vast_stack: VastStack,
    moto_s3: MotoS3,
    sim_admin: SimAdmin,
    sim_url: str,
    vast_account: str,
    tmp_path: Path,
) -> None:
    policy, set_keys = readme_save_policy()
    bucket, prefix = policy["save"]["s3"]["bucket"], policy["save"]["s3"]["prefix"]
    httpx.put(f"{moto_s3.endpoint}/{bucket}").raise_for_status()
    saved = tmp_path / "saved"
    policy["save"]["local_dir"] = str(saved)
    policy["save"]["s3"]["endpoint_url"] = moto_s3.endpoint  # the README's MinIO, here
    stack = vast_stack([instance("a"), instance("b")])
    document = yaml.safe_load(stack_file(stack).read_text())
    document["config"]["vast:policy"] = policy  # as the README writes it in the stack file
    stack_file(stack).write_text(yaml.safe_dump(document, sort_keys=False))
    for line in set_keys:  # as the README runs them, with the keys in the environment
        done = subprocess.run(
            ["bash", "-c", line.replace("./dev pulumi", str(stack.pulumi_bin))],
            cwd=stack.project_dir,
            env={**stack.env, "KEY_ID": ACCESS_KEY_ID, "SECRET": SECRET_KEY},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    stack.up()
    a, b = (stack.outputs()[name]["instance_id"] for name in ("a", "b"))
    files = {"/workspace/out/r": "a", "~/train.log": "loss 0.1"}
    put_files(sim_url, vast_account, a, tmp_path / "ssh" / "id_ed25519", files)

    # a is saved (under its own name) and destroyed; b has none of the paths, and stays
    refused = stack.destroy(check=False)
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert f"instance {a}: saved 2 files to s3://{bucket}/{prefix}/a/ and {saved}/a/" in output
    assert (saved / "a/workspace/out/r").read_text() == "a"
    assert (saved / "a/root/train.log").read_text() == "loss 0.1"
    assert s3_objects(moto_s3, bucket) == {
        f"{prefix}/a/workspace/out/r": "a",
        f"{prefix}/a/root/train.log": "loss 0.1",
    }
    assert f"vast:policy.save: instance {b} was NOT destroyed" in output
    assert "`PULUMI_VAST_FORCE_DESTROY=1 pulumi destroy`" in output
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [b]
    assert_no_credentials(output, json.dumps(stack.export_state()))

    # a destroy configures the provider as the last `pulumi up` did (a changed vast:policy
    # does not reach it); the environment does, for this one destroy
    stack.extra_env["PULUMI_VAST_FORCE_DESTROY"] = "1"
    forced = stack.destroy()
    assert f"instance {b}: force_destroy is set" in forced.stdout
    assert "NOT saved: /workspace/out: the remote path /workspace/out does not exist" in (
        forced.stdout
    )
    assert billing(sim_admin, vast_account) == []
    assert stack.resources() == []
    assert_no_credentials(forced.stdout, forced.stderr)
