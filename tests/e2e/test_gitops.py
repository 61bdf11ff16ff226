"""examples/gitops end to end: its workflow's commands, run as CI runs them, against moto's
S3 (the state) and the simulator (Vast).

The commands are read from the workflow file (the job of each event, its `pipeline.sh`
step with the matrix's stack filled in), so what is tested is what CI would run: two
stacks share one bucket, a second `up` of a stack while one runs is refused by the state
lock, a config change shows in the pull request's preview as a diff, and the schedule's
reaper cleans up.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_vast.engine.s3_backend import MotoS3
from pulumi_vast.engine.workspace import venv_bin_dir
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import REPO, copy_tracked_files
from tests.fixtures.sim import SESSION_BOOT_DELAY

pytestmark = pytest.mark.slow

EXAMPLE = Path("examples/gitops")
WORKFLOW = EXAMPLE / ".github/workflows/pulumi-vast.yml"
PROJECT = "vast-gitops"
COMMAND_TIMEOUT_S = 600
LOCK_WAIT_S = 300


def workflow_commands() -> dict[str, str]:
    """The `pipeline.sh` line each event's job runs: {"pull_request": "...", ...}."""
    document = yaml.safe_load((REPO / WORKFLOW).read_text())
    events = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    commands: dict[str, str] = {}
    for job in document["jobs"].values():
        runs = [step["run"] for step in job["steps"] if "pipeline.sh" in step.get("run", "")]
        assert len(runs) == 1, job
        for event in events:
            if f"github.event_name == '{event}'" in job["if"]:
                commands[event] = runs[0]
    return commands


def readme_pipeline_lines() -> list[str]:
    """The README's `pipeline.sh` command lines (its GitOps section)."""
    text = (REPO / "README.md").read_text()
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if "pipeline.sh" in b]
    return [line.split("  #")[0].strip() for b in blocks for line in b.strip().splitlines()]


class Pipeline:
    """The example in a fresh clone, and CI's environment (the secrets, as variables).

    Each run starts, as in CI, from the stack files as committed (a run that creates a
    stack adds its `encryptionsalt` to the file, which CI does not keep), or as a pull
    request changes them (`changed`).
    """

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.changed: dict[str, dict[str, Any]] = {}
        self.started: list[subprocess.Popen[str]] = []

    def stack_file(self, stack: str) -> Path:
        return self.root / EXAMPLE / "stacks" / f"Pulumi.{stack}.yaml"

    def committed(self, stack: str) -> dict[str, Any]:
        text = (REPO / EXAMPLE / "stacks" / f"Pulumi.{stack}.yaml").read_text()
        document: dict[str, Any] = yaml.safe_load(text)
        return document

    def checkout(self) -> None:
        for stack in ("team-a", "team-b"):
            document = self.changed.get(stack) or self.committed(stack)
            self.stack_file(stack).write_text(yaml.safe_dump(document, sort_keys=False))

    def command(self, event: str, stack: str) -> str:
        return workflow_commands()[event].replace("${{ matrix.stack }}", stack)

    def start(self, event: str, stack: str) -> subprocess.Popen[str]:
        return self.shell(self.command(event, stack))

    def shell(self, line: str) -> subprocess.Popen[str]:
        """Run a command line from the clone's root, as CI does."""
        self.checkout()
        process = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", line],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        """Kill what a failed test left running (the command and its pulumi processes)."""
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()

    def run(self, event: str, stack: str, *, ok: bool = True) -> str:
        return self.finish(self.start(event, stack), ok=ok)

    @staticmethod
    def finish(process: subprocess.Popen[str], *, ok: bool = True) -> str:
        output, _ = process.communicate(timeout=COMMAND_TIMEOUT_S)
        assert (process.returncode == 0) == ok, output
        return output

    def pulumi(self, *args: str) -> str:
        done = subprocess.run(
            [str(venv_bin_dir() / "pulumi"), *args, "--non-interactive"],
            cwd=self.root / EXAMPLE,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=True,
        )
        return done.stdout


@pytest.fixture
def pipeline(
    tmp_path: Path, moto_s3: MotoS3, sim_url: str, vast_account: str
) -> Iterator[Pipeline]:
    root = copy_tracked_files(tmp_path / "clone")
    (root / ".venv").symlink_to(REPO / ".venv")
    home = tmp_path / "home"
    env = {
        "PATH": f"{venv_bin_dir()}:/usr/bin:/bin",
        "HOME": str(home),
        "PULUMI_HOME": str(home / ".pulumi"),
        **moto_s3.env,
        "PULUMI_BACKEND_URL": moto_s3.backend_url,
        "PULUMI_CONFIG_PASSPHRASE": "the CI's passphrase",
        "VAST_API_KEY": vast_account,
        "VAST_URL": sim_url,  # the simulator instead of Vast
    }
    made = Pipeline(root, env)
    yield made
    made.stop_all()
    for stack in ("team-a", "team-b"):  # whatever a failed test left billing
        subprocess.run(
            [str(venv_bin_dir() / "pulumi"), "destroy", "--yes", "--stack", stack],
            cwd=root / EXAMPLE,
            env=env,
            capture_output=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )


def billing(sim_admin: SimAdmin, key: str) -> dict[str, int]:
    """What bills, by label (`project/stack/name`): instance ids."""
    rows = sim_admin.ledger(key)["instances"]
    return {row["label"]: row["id"] for row in rows if row.get("destroyed_at") is None}


def lock_of(s3: MotoS3, stack: str) -> list[str]:
    return [
        key
        for key in s3.objects()
        if key.startswith(f".pulumi/locks/organization/{PROJECT}/{stack}/")
    ]


def wait_for(condition: Any, what: str, timeout: float = LOCK_WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)


def test_gitops_pipeline_two_stacks_one_bucket_lock_preview_diff(
    pipeline: Pipeline, moto_s3: MotoS3, sim_admin: SimAdmin, vast_account: str
) -> None:
    assert set(workflow_commands()) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    # team A's TTL as committed, shorter; and its instance's start-up kills the watchdog
    # that would destroy it at the TTL, for the reaper to find it past its TTL
    team_a = pipeline.committed("team-a")
    team_a["config"]["vast:policy"]["max_hours"] = 3
    team_a["config"]["pulumi-vast:instances"][0]["onstart"] = "kill $!"
    pipeline.changed["team-a"] = team_a

    # merge: team B's stack comes up, its state in the bucket
    pipeline.run("push", "team-b")
    assert list(billing(sim_admin, vast_account)) == [f"{PROJECT}/team-b/notebook"]

    # team A's first up holds its stack's lock while its instance boots (slowly, here) ...
    sim_admin.set_boot_delay(vast_account, 3600)
    try:
        first = pipeline.start("push", "team-a")
        wait_for(lambda: lock_of(moto_s3, "team-a"), "team-a's state locked")
        # ... so a second up of team A is refused, touching nothing
        refused = pipeline.run("push", "team-a", ok=False)
        assert "the stack is currently locked by 1 lock(s)" in refused
        # ... while team B, in the same bucket, is not locked by it
        pipeline.run("pull_request", "team-b")
        # the boot ends (once the instance is rented: a boot starting later would not)
        trainer = f"{PROJECT}/team-a/trainer"
        wait_for(lambda: trainer in billing(sim_admin, vast_account), "team-a's instance rented")
        sim_admin.advance(3600)
        output, _ = first.communicate(timeout=COMMAND_TIMEOUT_S)
        assert first.returncode == 0, output
    finally:
        sim_admin.set_boot_delay(vast_account, SESSION_BOOT_DELAY)
    assert sorted(billing(sim_admin, vast_account)) == [
        f"{PROJECT}/team-a/trainer",
        f"{PROJECT}/team-b/notebook",
    ]
    stacks = {key for key in moto_s3.objects() if key.startswith(".pulumi/stacks/")}
    assert {
        f".pulumi/stacks/{PROJECT}/team-a.json",
        f".pulumi/stacks/{PROJECT}/team-b.json",
    } <= stacks
    assert lock_of(moto_s3, "team-a") == []

    # a pull request changing team B's config: its preview shows the change as a diff
    config = pipeline.committed("team-b")
    config["config"]["pulumi-vast:instances"][0]["label"] = "team-b notebook"
    pipeline.changed["team-b"] = config
    preview = pipeline.run("pull_request", "team-b")
    assert "~ pulumi-python:dynamic/vast:Instance: (update)" in preview
    diff = rf'~ label +: "{PROJECT}/team-b/notebook" => "team-b notebook"'
    assert re.search(diff, preview)
    assert "1 to update" in preview
    assert f"{PROJECT}/team-b/notebook" in billing(sim_admin, vast_account)  # only a preview
    # ... and so does the README's line, run on a machine with the same environment
    [line] = readme_pipeline_lines()
    assert re.search(diff, pipeline.finish(pipeline.shell(line)))

    # the schedule: the reaper destroys team A's instance once it is past its TTL
    trainer = billing(sim_admin, vast_account)[f"{PROJECT}/team-a/trainer"]
    assert "nothing to reap" in pipeline.run("schedule", "team-a")
    sim_admin.advance(3 * 3600)
    reaped = pipeline.run("schedule", "team-a")
    assert f"destroyed instance {trainer} (trainer): past its TTL" in reaped
    assert list(billing(sim_admin, vast_account)) == [f"{PROJECT}/team-b/notebook"]
    assert "nothing to reap" in pipeline.run("schedule", "team-b")

    pipeline.pulumi("destroy", "--yes", "--stack", "team-a")
    pipeline.pulumi("destroy", "--yes", "--stack", "team-b")
    assert billing(sim_admin, vast_account) == {}
