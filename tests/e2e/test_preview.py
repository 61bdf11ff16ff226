"""An honest preview: one "will rent" per instance that will be rented, the offer `up` then
rents, nothing of the sort on updates and no-op steps, and the stack's cost at the end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance
from tests.e2e.test_lifecycle import billing, set_path
from tests.fixtures.engine import WorkspaceFactory

PROGRAMS = Path(__file__).resolve().parent / "programs"

pytestmark = pytest.mark.slow

WILL_RENT = re.compile(r"will rent (.*?\(offer (\d+)\))")


def diagnostics(text: str) -> str:
    """The diagnostics section of a preview's output: each message once."""
    return text.split("Diagnostics:", 1)[1] if "Diagnostics:" in text else ""


def preview(stack: PulumiWorkspace) -> str:
    done = stack.preview()
    return done.stdout + done.stderr


def test_a_replacement_says_once_what_it_will_rent_and_up_rents_that(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(ready={"timeout": 60})])
    stack.up()
    [first] = [row["id"] for row in billing(sim_admin, vast_account)]

    set_path(stack, "pulumi-vast:instances[0].image", "nvidia/cuda:12.4.1")
    said = WILL_RENT.findall(diagnostics(preview(stack)))

    assert len(said) == 1, said
    stack.up()
    [row] = billing(sim_admin, vast_account)
    assert row["id"] != first
    assert row["offer_id"] == int(said[0][1]), "up rents the offer the preview named"
    stack.destroy()


def test_updates_and_unchanged_instances_rent_nothing_and_say_so(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance("a", ready={"timeout": 60}), instance("b", ready={"timeout": 60})])
    stack.up()

    set_path(stack, "pulumi-vast:instances[0].label", "renamed")
    text = preview(stack)

    assert "will rent" not in text
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_an_input_derived_from_an_output_an_update_keeps_is_not_unknown(
    pulumi_workspace: WorkspaceFactory, sim_url: str, vast_account: str, sim_admin: SimAdmin
) -> None:
    stack = pulumi_workspace(PROGRAMS / "derived")
    stack.set_config("vast:apiUrl", sim_url)
    stack.set_config("vast:apiKey", vast_account, secret=True)
    stack.set_config("labelA", "first")
    stack.up()

    stack.set_config("labelA", "second")
    done = stack.preview("--json")
    plan = {s["urn"].split("::")[-1]: s["op"] for s in json.loads(done.stdout)["steps"]}

    assert plan["a"] == "update"
    assert plan.get("b", "same") == "same", "b's label, made from a's id, is known"
    stack.destroy()
    assert billing(sim_admin, vast_account) == []
