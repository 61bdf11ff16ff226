"""An honest preview: one "will rent" per instance that will be rented, the offer `up` then
rents, nothing of the sort on updates and no-op steps, and the stack's cost at the end."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.market.estimate import HOURS_PER_MONTH
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance, write_config
from tests.e2e.test_lifecycle import billing, set_path
from tests.fixtures.engine import WorkspaceFactory

PROGRAMS = Path(__file__).resolve().parent / "programs"

pytestmark = pytest.mark.slow

WILL_RENT = re.compile(r"will rent (.*?\(offer (\d+)\))")
PER_HOUR = re.compile(r"will rent .*: \$(\d+\.\d+)/h \(")
"""An instance's "will rent" line: the offer, then what it costs per hour (and day)."""
PER_MONTH = re.compile(r"will rent .* GB on .*, \$(\d+\.\d+)/month \(offer")
"""A volume's "will rent" line: its size, where, and what it costs per month."""
COST_ROW = re.compile(r"^\s*[~+]?\s*(\w+)\s*: (\S+?)(?: => (\S+))?$")


def diagnostics(text: str) -> str:
    """The diagnostics section of a preview's output: each message once."""
    return text.split("Diagnostics:", 1)[1] if "Diagnostics:" in text else ""


def preview(stack: PulumiWorkspace) -> str:
    done = stack.preview()
    return done.stdout + done.stderr


def will_rent_per_hour(text: str) -> float:
    """What the "will rent" lines of a preview add up to, in $ per hour."""
    said = diagnostics(text)
    hourly = [float(cost) for cost in PER_HOUR.findall(said)]
    monthly = [float(cost) / HOURS_PER_MONTH for cost in PER_MONTH.findall(said)]
    assert hourly, said
    return sum(hourly) + sum(monthly)


def shown_cost(text: str) -> dict[str, tuple[float, float]]:
    """The `vast_cost` output as a preview prints it: (before, after) of each entry; the
    same twice for an entry that does not change."""
    assert "vast_cost: {" in text, f"no vast_cost shown (unknown, or unchanged):\n{text}"
    block = text.split("vast_cost: {", 1)[1].split("}", 1)[0]
    rows: dict[str, tuple[float, float]] = {}
    for line in block.splitlines():
        found = COST_ROW.match(line)
        if found:
            name, before, after = found.groups()
            rows[name] = (float(before), float(after if after is not None else before))
    return rows


READY = {"timeout": 60}
VOLUME = {"name": "data", "query": "disk_space>=20", "size_gb": 20, "on_destroy": "delete"}
STACKS: dict[str, dict[str, Any]] = {
    "two instances": {"instances": [instance("a", ready=READY), instance("b", ready=READY)]},
    "an instance and a volume": {"instances": [instance("a", ready=READY)], "volumes": [VOLUME]},
}


@pytest.mark.parametrize("declared", STACKS.values(), ids=STACKS.keys())
def test_a_preview_ends_with_what_the_stack_will_cost_and_the_change(
    declared: dict[str, Any], vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack(declared["instances"])
    write_config(stack, **declared)
    counts = {kind: float(len(entries)) for kind, entries in declared.items()}

    fresh = preview(stack)
    cost = shown_cost(fresh)
    # The "will rent" lines round to 3 decimals, $/month to 2.
    assert cost["per_hour"][1] == pytest.approx(will_rent_per_hour(fresh), abs=0.001)
    assert cost["per_day"][1] == pytest.approx(cost["per_hour"][1] * 24, abs=0.01)
    assert {kind: cost[kind][1] for kind in counts} == counts

    stack.up()
    applied = stack.outputs()["vast_cost"]
    billed = sim_admin.ledger(vast_account)["totals"]["dph_now"]
    assert applied["per_hour"] == pytest.approx(billed, abs=1e-4), "what the simulator bills"
    assert applied["per_hour"] == cost["per_hour"][1], "what the preview said"

    # One more, and a label changed in place, which moves no price: the total stays known.
    first, *others = declared["instances"]
    relabeled = {**first, "label": "renamed"}
    write_config(stack, instances=[relabeled, *others, instance("c", ready=READY)])
    added = preview(stack)
    change = shown_cost(added)
    assert change["instances"] == (counts["instances"], counts["instances"] + 1)
    before, after = change["per_hour"]
    assert before == applied["per_hour"]
    assert after == pytest.approx(before + will_rent_per_hour(added), abs=0.001)
    assert change["per_day"] == (applied["per_day"], pytest.approx(after * 24, abs=0.01))

    stack.destroy()
    assert sim_admin.ledger(vast_account)["totals"]["billing"] == 0


def test_a_stopped_instance_counts_only_what_its_disk_bills(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance("a", ready=READY), instance("b", ready=READY)])
    stack.up()
    running = stack.outputs()["vast_cost"]["per_hour"]
    stopped, kept = sorted(billing(sim_admin, vast_account), key=lambda row: row["label"])
    assert stopped["label"].endswith("/a"), stopped["label"]

    set_path(stack, "pulumi-vast:instances[0].running", "false")
    change = shown_cost(preview(stack))
    disk_only = kept["dph_total"] + stopped["storage_dph"]
    assert change["per_hour"] == (running, pytest.approx(disk_only, abs=1e-4))
    assert change["instances"] == (2, 2), "a stopped instance is still the stack's"

    stack.up()
    applied = stack.outputs()["vast_cost"]["per_hour"]
    assert applied == pytest.approx(sim_admin.ledger(vast_account)["totals"]["dph_now"], abs=1e-4)
    assert applied == change["per_hour"][1], "what the preview said"
    stack.destroy()


def test_a_replacement_says_once_what_it_will_rent_and_up_rents_that(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(ready={"timeout": 60})])
    stack.up()
    [old] = billing(sim_admin, vast_account)
    first = old["id"]

    set_path(stack, "pulumi-vast:instances[0].image", "nvidia/cuda:12.4.1")
    text = preview(stack)
    said = WILL_RENT.findall(diagnostics(text))

    assert len(said) == 1, said
    assert int(said[0][1]) == old["offer_id"], "the offer its old instance frees is the best"
    assert "vast_cost" not in text, "the same offer again: the stack's cost does not change"
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
