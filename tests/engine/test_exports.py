"""The engine package's public names, pinned."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pulumi_vast.engine as engine


def test_root_exports() -> None:
    assert sorted(engine.__all__) == [
        "BuildFailed",
        "CommandFailed",
        "EngineError",
        "GoNotFound",
        "PulumiWorkspace",
        "SetupError",
    ]
    for name in engine.__all__:
        assert getattr(engine, name).__module__.startswith("pulumi_vast.engine.")


@pytest.mark.slow
def test_importing_the_package_does_not_load_grpc() -> None:
    # `./dev` runs the set-up on every command: it must not pay for gRPC.
    probe = "import sys, pulumi_vast.engine.setup; print('grpc' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
