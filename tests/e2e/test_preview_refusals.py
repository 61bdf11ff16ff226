"""Bad inputs end a real `pulumi preview` (or `up`) with a clear error and rent nothing.

The full table of bad inputs runs in-process (tests/resources/test_bad_inputs.py); these
prove the same messages reach the terminal through the real engine, language host and
provider plugin: a non-zero exit, the setting and its fix, no traceback, no secret.
"""

from __future__ import annotations

import subprocess

import pytest

from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import REPO, VastStack, instance, write_config
from tests.fixtures.engine import WorkspaceFactory

pytestmark = pytest.mark.slow

SECRET = "hf_SUPERSECRET_0042"


def refused(done: subprocess.CompletedProcess[str], *fragments: str) -> str:
    said = done.stdout + done.stderr
    assert done.returncode != 0, said
    for fragment in fragments:
        assert fragment in said
    assert "Traceback" not in said
    assert "instance of Output" not in said
    return said


def rented(sim_admin: SimAdmin, key: str) -> int:
    count: int = sim_admin.ledger(key)["totals"]["instances"]
    return count


def test_bad_stack_config_fails_preview_naming_the_setting(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(disk_gb=True, ports=[0])])
    refused(
        stack.preview(check=False),
        "pulumi-vast:instances[0].disk_gb: expected a number, e.g. 50, got True",
        "pulumi-vast:instances[0].ports[0]: '0' is not a port: use a number from 1 to 65535",
    )

    write_config(stack, instances=[instance()])
    stack.set_config("vast:apiURL", "local")  # a typo: it would fall back to the real Vast
    said = refused(stack.up(check=False), "vast:apiURL: is not a setting of the vast provider")
    assert "did you mean vast:apiUrl?" in said

    assert rented(sim_admin, vast_account) == 0


def test_a_bid_below_the_offers_minimum_fails_up_before_renting(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(bid_price=0.002)])

    refused(stack.up(check=False), "bid_price: 0.002 $/h is below", "Bid at least")

    assert rented(sim_admin, vast_account) == 0


def test_a_programs_bad_arguments_fail_preview_without_traceback_or_secret(
    pulumi_workspace: WorkspaceFactory, sim_url: str, vast_account: str, sim_admin: SimAdmin
) -> None:
    stack: PulumiWorkspace = pulumi_workspace(REPO / "tests" / "e2e" / "programs" / "bad_args")
    stack.set_config("vast:apiUrl", sim_url)
    stack.set_config("vast:apiKey", vast_account, secret=True)

    stack.set_config("case", "argument")
    refused(stack.preview(check=False), 'Instance("gpu").query: expected an offer query')

    stack.set_config("case", "output")
    said = refused(stack.preview(check=False), "env: key '1BAD': is not a variable name")
    assert SECRET not in said

    assert rented(sim_admin, vast_account) == 0
