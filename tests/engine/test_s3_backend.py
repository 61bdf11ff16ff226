"""The README's S3 route, run as written against moto's S3 server on this machine."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from pulumi_vast.engine.s3_backend import MotoS3

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
README_PORT = "127.0.0.1:5000"


def readme_s3_block() -> str:
    """The README's shell block that sets `PULUMI_BACKEND_URL` to an S3 bucket."""
    blocks = re.findall(r"```sh\n(.*?)```", (REPO / "README.md").read_text(), re.DOTALL)
    found = [block for block in blocks if "PULUMI_BACKEND_URL='s3://" in block]
    assert len(found) == 1, "the README shows one S3 route"
    return found[0]


def test_the_readme_s3_settings_keep_the_state_in_a_local_s3_server(
    tmp_path: Path, moto_s3: MotoS3
) -> None:
    block = readme_s3_block()
    assert README_PORT in block
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: s3-route\nruntime: python\n")
    (project / "__main__.py").write_text("import pulumi\npulumi.export('where', 's3')\n")
    script = block.replace(README_PORT, f"127.0.0.1:{moto_s3.port}").replace(
        "./dev ", f"{REPO / 'dev'} "
    )
    # Nothing of this machine's own AWS set-up: no profile, no ~/.aws, no AWS_* variables.
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        **{k: v for k, v in os.environ.items() if k == "PULUMI_VAST_CACHE"},
    }

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert 'where: "s3"' in done.stdout
    assert ".pulumi/stacks/s3-route/prod.json" in moto_s3.objects()
    assert not (project / ".pulumi").exists()
