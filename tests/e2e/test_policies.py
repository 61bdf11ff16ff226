"""Money policies end to end (`vast:policy`, an instance's `policy`): the real CLI against
the simulator, the ledger as the proof."""

from __future__ import annotations

import re

import pytest
import yaml

from pulumi_vast.api import VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance, stack_file, write_config
from tests.e2e.test_lifecycle import billing, instances_in_state, steps
from tests.e2e.test_preview import diagnostics, shown_cost

pytestmark = pytest.mark.slow

READY = {"timeout": 60}


def preview_text(stack: PulumiWorkspace) -> str:
    done = stack.preview()
    return done.stdout + done.stderr


def set_stack_policy(stack: PulumiWorkspace, **policy: object) -> None:
    """`vast:policy` in the stack's config file, as a user writes it."""
    path = stack_file(stack)
    document = yaml.safe_load(path.read_text())
    document["config"]["vast:policy"] = policy
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_an_over_budget_plan_fails_preview_and_up_and_nothing_is_rented(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance("a", ready=READY), instance("b", ready=READY)])
    set_stack_policy(stack, max_hours=10, max_budget=4)

    preview = stack.preview(check=False)
    up = stack.up(check=False)

    for done in (preview, up):
        said = done.stdout + done.stderr
        assert done.returncode != 0, said
        assert "vast:policy.max_budget: the estimated total $" in said, said
        assert "exceeds the stack's budget of $4 (a: $" in said, said
    ledger = sim_admin.ledger(vast_account)
    assert ledger["instances"] == [], "nothing rented"
    assert ledger["totals"]["total_cost"] == 0


def test_a_budget_with_no_hours_known_fails_preview_saying_what_to_set(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(ready=READY, policy={"max_budget": 50})])

    done = stack.preview(check=False)

    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert "policy.max_budget: this instance's budget is $50" in said, said
    assert "cannot be estimated: set max_hours" in said
    assert sim_admin.ledger(vast_account)["instances"] == []


def test_on_destroy_stop_leaves_a_stopped_instance_billing_only_its_disk(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str, sim_url: str
) -> None:
    stack = vast_stack([instance(ready=READY, policy={"on_destroy": "stop"})])
    stack.up()
    [rented] = billing(sim_admin, vast_account)

    done = stack.destroy()

    said = done.stdout + done.stderr
    assert f"instance {rented['id']} stopped, not destroyed (on_destroy: stop)" in said
    assert f"its disk still costs ${rented['storage_dph']:.4f}/h" in said
    assert stack.resources() == [] or all(
        r["type"] != "pulumi-python:dynamic/vast:Instance" for r in stack.resources()
    )
    [kept] = billing(sim_admin, vast_account)
    assert kept["id"] == rented["id"]
    assert kept["status"] == "stopped"
    assert kept["storage_dph"] > 0
    assert kept["dph_now"] == pytest.approx(kept["storage_dph"]), "only its disk bills"
    assert sim_admin.ledger(vast_account)["totals"]["dph_now"] == pytest.approx(kept["storage_dph"])
    VastClient(sim_url, vast_account).instances.destroy(kept["id"])
    assert billing(sim_admin, vast_account) == []


def test_a_task_previews_the_best_three_by_total_cost_and_up_rents_the_pick(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    task = {"params_b": 13, "precision": "bf16", "hours": 6}
    stack = vast_stack([instance(query=None, disk_gb=None, ready=READY, task=task)])

    done = stack.preview()

    said = done.stdout + done.stderr
    assert "the task needs >= 31.2 GB VRAM, 50 GB disk, CUDA >= 12.1, 6 h on one RTX 3090" in said
    best = re.findall(
        r"^\s+(\d)\. (.*\(offer (\d+)\)): ~([\d.]+) h x \$([\d.]+)/h = \$([\d.]+)", said, re.M
    )
    assert [rank for rank, *_ in best[:3]] == ["1", "2", "3"], said
    totals = [float(total) for *_, total in best[:3]]
    assert totals == sorted(totals)
    _, description, offer_id, hours, _, total = best[0]
    pick = re.search(
        rf"will rent {re.escape(description)}: "
        r"\$[\d.]+/h \(\$[\d.]+/day, \$([\d.]+) for ([\d.]+) h\)",
        said,
    )
    assert pick is not None, said
    assert pick.group(1) == total and float(pick.group(2)) == pytest.approx(float(hours), abs=0.06)

    stack.up()

    [rented] = billing(sim_admin, vast_account)
    assert rented["offer_id"] == int(offer_id), "up rents the offer the preview picked"
    [state] = instances_in_state(stack)
    assert "by estimated total cost for the task" in state["outputs"]["selection"]
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_on_lost_replace_replaces_an_instance_whose_host_was_lost(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(ready=READY, policy={"on_lost": "replace"})])
    stack.up()
    [lost] = billing(sim_admin, vast_account)
    sim_admin.host_lost(lost["id"])

    said = preview_text(stack)
    assert f"instance {lost['id']} is offline: Host machine is offline: on_lost: replace" in said
    assert steps(stack)["gpu"] == "replace"

    stack.up()

    [kept] = billing(sim_admin, vast_account)
    assert kept["id"] != lost["id"] and kept["status"] == "running"
    assert [int(r["id"]) for r in instances_in_state(stack)] == [kept["id"]]
    assert steps(stack).get("gpu", "same") == "same", "converged"
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_on_lost_keep_leaves_a_lost_instance_and_says_so(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(ready=READY)])
    stack.up()
    [lost] = billing(sim_admin, vast_account)
    sim_admin.host_lost(lost["id"])
    stack.refresh()

    done = stack.up()

    said = done.stdout + done.stderr
    assert f"instance {lost['id']} was offline at the last refresh; on_lost: keep" in said
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [lost["id"]]
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_on_lost_resume_starts_an_outbid_instance_again_when_its_bid_allows(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    policy = {"on_lost": "resume"}
    stack = vast_stack([instance(ready=READY, bid_price=2.0, policy=policy)])
    stack.up()
    [rented] = billing(sim_admin, vast_account)
    sim_admin.preempt(rented["id"])
    sim_admin.release_offer(vast_account, rented["offer_id"])  # the outbidder is done

    said = preview_text(stack)
    assert f"instance {rented['id']} was outbid: on_lost: resume starts it again" in said
    stack.up()

    [resumed] = billing(sim_admin, vast_account)
    assert resumed["id"] == rented["id"] and resumed["status"] == "running"
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_a_preview_ends_with_the_stacks_cost_for_its_planned_hours(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    task = {"params_b": 7, "hours": 10}
    stack = vast_stack(
        [
            instance("a", ready=READY),
            instance("b", query=None, disk_gb=None, ready=READY, task=task),
        ]
    )
    set_stack_policy(stack, max_hours=5)

    said = preview_text(stack)

    cost = shown_cost(said)
    hourly = [float(h) for h in re.findall(r"will rent .*: \$(\d+\.\d+)/h \(", diagnostics(said))]
    task_hours = float(re.findall(r"will rent .* for ([\d.]+) h\)", diagnostics(said))[-1])
    assert len(hourly) == 2 and task_hours <= 5
    per_hour = cost["per_hour"][1]
    assert per_hour == pytest.approx(sum(hourly), abs=0.002)
    assert cost["per_day"][1] == pytest.approx(per_hour * 24, abs=0.01)
    # a: its TTL, 5 h; b: its task's hours on the offer picked (at most the TTL).
    planned = hourly[0] * 5 + hourly[1] * task_hours
    assert cost["planned"][1] == pytest.approx(planned, abs=0.05)

    stack.up()
    applied = stack.outputs()["vast_cost"]
    assert applied["planned"] == pytest.approx(cost["planned"][1], abs=0.05)
    assert "unplanned" not in applied
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_the_stacks_budget_counts_what_it_already_rents(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance("a", ready=READY)])
    set_stack_policy(stack, max_hours=5, max_budget=2)
    stack.up()  # about $0.25/h for 5 h: within $2
    [rented] = billing(sim_admin, vast_account)

    write_config(stack, instances=[instance("a", ready=READY), instance("b", ready=READY)])
    done = stack.up(check=False)

    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"(a: ${rented['dph_total']:.3f}/h x 5 h = $" in said, said
    assert "exceeds the stack's budget of $2" in said
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [rented["id"]]
    stack.destroy()
    assert billing(sim_admin, vast_account) == []
