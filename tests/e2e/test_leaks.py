"""Nothing leaks, whatever stops a run: server errors, a killed CLI, a killed process tree.

Real CLI and plugins against the simulator; each test ends with the ledger proving that
nothing bills. The fault cells follow the hostile tester's matrix (issue "Hardening").
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance, write_config
from tests.e2e.test_lifecycle import billing, instances_in_state, set_path

pytestmark = pytest.mark.slow

PATIENCE = 120.0
"""Seconds a test waits for something that must happen (a bound, not a measurement)."""


def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)


def rented(sim_admin: SimAdmin, key: str) -> list[int]:
    return [int(row["id"]) for row in sim_admin.ledger(key)["instances"]]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the engine starts its plugins in groups of their own)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def start_up_of_three(
    stack: PulumiWorkspace, sim_admin: SimAdmin, key: str
) -> subprocess.Popen[str]:
    up = stack.start("up", "--yes", "--non-interactive", "--stack", stack.stack or "")
    eventually(lambda: len(rented(sim_admin, key)) == 3, "three instances rented")
    return up


def three(**fields: Any) -> list[dict[str, Any]]:
    return [instance(name, ready={"timeout": 300}, **fields) for name in ("a", "b", "c")]


def unlock(stack: PulumiWorkspace) -> None:
    """`pulumi cancel`: what a user runs after a killed CLI left Pulumi's own lock."""
    stack.run("cancel", "--yes", "--non-interactive", "--stack", stack.stack or "")


def command_line(pid: int) -> list[str]:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def kill_the_cli_while_three_boot(
    stack: PulumiWorkspace, sim_admin: SimAdmin, key: str
) -> tuple[list[int], dict[int, list[str]]]:
    """SIGKILL pulumi alone, as `kill -9` does, while `up` boots three instances: (their ids,
    the command lines of the processes it started, by pid, which live on, orphaned)."""
    sim_admin.set_boot_delay(key, 60)
    up = start_up_of_three(stack, sim_admin, key)
    first = rented(sim_admin, key)
    orphans = {pid: command_line(pid) for pid in descendants(up.pid)}
    up.kill()
    up.communicate()
    return first, orphans


def the_next_up_rents_three_anew(
    stack: PulumiWorkspace, sim_admin: SimAdmin, key: str, first: list[int]
) -> None:
    unlock(stack)
    sim_admin.set_boot_delay(key, 0.3)
    stack.up()
    now = [row["id"] for row in billing(sim_admin, key)]
    assert len(now) == 3 and not set(now) & set(first)
    assert sim_admin.ledger(key)["totals"]["instances"] == 6, "nothing rented beyond those"
    stack.destroy()
    assert billing(sim_admin, key) == []


def test_a_killed_cli_gives_back_the_instances_being_created(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack(three())
    first, _ = kill_the_cli_while_three_boot(stack, sim_admin, vast_account)

    eventually(lambda: billing(sim_admin, vast_account) == [], "the provider gave them back")
    the_next_up_rents_three_anew(stack, sim_admin, vast_account, first)


def kill_everything(up: subprocess.Popen[str]) -> None:
    """SIGKILL pulumi and every plugin it started, as an OOM killer or a CI runner's
    timeout does: nobody is left to give anything back."""
    for pid in [*descendants(up.pid), up.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    up.communicate()


def test_after_a_killed_process_tree_the_next_up_adopts_what_it_asks_for(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 5)
    stack = vast_stack(three())
    kill_everything(start_up_of_three(stack, sim_admin, vast_account))
    left = sorted(rented(sim_admin, vast_account))
    assert [row["id"] for row in billing(sim_admin, vast_account)] == left
    assert instances_in_state(stack) == []

    unlock(stack)
    done = stack.up()

    assert sorted(r["id"] for r in billing(sim_admin, vast_account)) == left, "none rented twice"
    assert sorted(int(r["id"]) for r in instances_in_state(stack)) == left
    assert all(f"adopting instance {instance_id}" in done.stdout for instance_id in left)
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_after_a_killed_process_tree_the_next_up_destroys_what_it_no_longer_asks_for(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 30)
    stack = vast_stack(three())
    kill_everything(start_up_of_three(stack, sim_admin, vast_account))
    left = set(rented(sim_admin, vast_account))

    unlock(stack)
    sim_admin.set_boot_delay(vast_account, 0.3)
    write_config(stack, instances=three(image="nvidia/cuda:12.4.1"))
    done = stack.up()

    now = {row["id"] for row in billing(sim_admin, vast_account)}
    assert len(now) == 3 and not now & left, "the left-behind ones are gone, new ones bill"
    assert all(f"destroying instance {instance_id}" in done.stdout for instance_id in left)
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_after_a_killed_process_tree_destroy_sweeps_what_the_stack_rented(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 30)
    stack = vast_stack(three())
    kill_everything(start_up_of_three(stack, sim_admin, vast_account))
    assert len(billing(sim_admin, vast_account)) == 3

    unlock(stack)
    stack.destroy()

    assert billing(sim_admin, vast_account) == []
    assert stack.resources() == []


# ---- server errors ---------------------------------------------------------------------


def test_a_500_on_a_look_and_on_a_destroy_while_booting_leaks_nothing(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    """The issue's cell: one 500 on GET instance and one on DELETE while an instance boots,
    whose host is lost: the look is retried, the rollback destroy is retried, another offer
    is rented."""
    sim_admin.set_boot_delay(vast_account, 3)
    stack = vast_stack([instance(ready={"timeout": 120})])
    sim_admin.set_faults(
        vast_account,
        errors={
            "show_instance": {"count": 1, "status": 500},
            "destroy_instance": {"count": 1, "status": 500},
        },
    )
    up = stack.start("up", "--yes", "--non-interactive", "--stack", stack.stack or "")
    eventually(lambda: len(rented(sim_admin, vast_account)) == 1, "an instance rented")
    [lost] = rented(sim_admin, vast_account)
    sim_admin.host_lost(lost)
    out, err = up.communicate(timeout=PATIENCE)
    assert up.returncode == 0, out + err

    [kept] = [row["id"] for row in billing(sim_admin, vast_account)]
    assert kept != lost
    assert [int(r["id"]) for r in instances_in_state(stack)] == [kept]
    stack.up()  # converged: nothing new
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [kept]
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


def test_an_instance_vast_will_not_destroy_is_kept_in_the_state_until_it_can_be(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance(ready={"timeout": 3})])
    set_path(stack, "pulumi-vast:instances[0].env.HF_TOKEN", "hf_kept_secret", secret=True)
    sim_admin.set_faults(
        vast_account,
        stuck_loading=True,
        errors={"destroy_instance": {"count": 1000, "status": 500}},
    )
    failed = stack.up(check=False)
    assert failed.returncode != 0
    assert "may still be billing" in failed.stdout + failed.stderr
    [left] = [row["id"] for row in billing(sim_admin, vast_account)]
    [recorded] = instances_in_state(stack)
    assert int(recorded["id"]) == left, "recorded, not forgotten"
    assert "hf_kept_secret" not in json.dumps(stack.export_state()), "its secrets too"

    sim_admin.clear_faults(vast_account)
    stack.refresh()
    stack.up()  # replaces it: the broken one is destroyed first
    [kept] = [row["id"] for row in billing(sim_admin, vast_account)]
    assert kept != left
    stack.destroy()
    assert billing(sim_admin, vast_account) == []


@pytest.mark.parametrize(
    ("verb", "route"),
    [
        ("refresh", "list_instances"),
        ("refresh", "show_instance"),
        ("destroy", "destroy_instance"),
        ("replace", "destroy_instance"),
        ("replace", "create_instance"),
    ],
)
def test_500s_during_refresh_destroy_and_replace_converge(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str, verb: str, route: str
) -> None:
    stack = vast_stack([instance(ready={"timeout": 120})])
    stack.up()
    [first] = [row["id"] for row in billing(sim_admin, vast_account)]
    sim_admin.set_faults(vast_account, errors={route: {"count": 2, "status": 500}})

    if verb == "refresh":
        sim_admin.reset_request_counts(vast_account)
        stack.refresh()
        assert [int(r["id"]) for r in instances_in_state(stack)] == [first]
    elif verb == "destroy":
        stack.destroy()
    else:
        write_config(stack, instances=[instance(image="nvidia/cuda:12.4.1")])
        done = stack.up(check=False)
        if done.returncode != 0:  # a create's 500 is ambiguous: never repeated blindly
            sim_admin.clear_faults(vast_account)
            stack.up()
        [row] = billing(sim_admin, vast_account)
        assert row["id"] != first
    sim_admin.clear_faults(vast_account)
    stack.destroy()
    assert billing(sim_admin, vast_account) == []
