"""`pulumi-vast cost` and `reap` as commands: their help, and a stack that cannot be read.
What they do to a stack: tests/e2e/test_reap_and_cost.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pulumi_vast.api import Charge, Instance
from pulumi_vast.cli import main
from pulumi_vast.resources._owner import RELEASED_MARK, RESOURCE_TAG_ENV, STACK_TAG_ENV
from pulumi_vast.resources._policy import Policy
from pulumi_vast.resources._settings import ProviderSettings
from pulumi_vast.resources._ttl import EXPIRES_ENV
from pulumi_vast.tools._stack import StackResource, StackView
from pulumi_vast.tools.reap import plan_reaping


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("cost", ["--stack", "--days", "charges", "PULUMI_BACKEND_URL"]),
        ("reap", ["--stack", "--dry-run", "--orphan-age", "past their TTL", "exits 1"]),
    ],
)
def test_help_says_what_it_does(
    command: str, says: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for words in says:
        assert words in text


def test_the_command_list_names_them(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "cost" in text and "reap" in text


@pytest.mark.parametrize(("command", "status"), [("cost", 1), ("reap", 2)])
def test_a_stack_that_cannot_be_read_is_named(
    command: str, status: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = tmp_path / "pulumi"
    failing.write_text("#!/bin/sh\necho 'error: no stack named nope found' >&2\nexit 255\n")
    failing.chmod(0o755)
    argv = [command, "--stack", "nope", "--pulumi", str(failing), "--cwd", str(tmp_path)]
    assert main(argv) == status
    error = capsys.readouterr().err
    assert f"pulumi-vast {command}: `pulumi stack export --stack nope` failed" in error
    assert "no stack named nope found" in error


# ---- what reap decides, from a stack's state and what Vast lists --------------------------

NOW = 1_800_000_000.0


class _Listing:
    def __init__(self, instances: list[Instance]) -> None:
        self._instances = instances

    def list(self, **_: Any) -> list[Instance]:
        return self._instances


class _Charges:
    def __init__(self, amounts: dict[int, float]) -> None:
        self.asked = 0
        self._amounts = amounts

    def list(self, start: float, end: float, **_: Any) -> list[Charge]:
        self.asked += 1
        return [
            Charge(type="instance", source=f"instance-{i}", amount=a)
            for i, a in self._amounts.items()
        ]


class _Client:
    def __init__(self, instances: list[Instance], amounts: dict[int, float]) -> None:
        self.instances = _Listing(instances)
        self.charges = _Charges(amounts)

    def server_time(self) -> float:
        return NOW


def _live(instance_id: int, *, label: str = "", **env: str) -> Instance:
    tags = {STACK_TAG_ENV: "s1", **env}
    return Instance(id=instance_id, label=label, extra_env=tags, start_date=NOW - 3600)


def _stack(*resources: StackResource, policy: Policy | None = None) -> StackView:
    tag = StackResource("vast-stack-tag", "StackTag", {"stack_id": "s1"})
    settings = ProviderSettings(apiUrl="https://console.vast.ai", policy=policy)
    return StackView("dev", (tag, *resources), settings)


def _held(name: str, instance_id: int, **policy: Any) -> StackResource:
    return StackResource(name, "Instance", {"instance_id": instance_id, "policy": policy})


def test_reap_takes_what_is_past_its_ttl_over_budget_or_lost() -> None:
    past, future = str(int(NOW - 1)), str(int(NOW + 3600))
    client = _Client(
        [
            _live(1, **{EXPIRES_ENV: past}),  # in state, its watchdog failed
            _live(2, **{EXPIRES_ENV: future}),  # in state, in time
            _live(3),  # in state, over its own budget
            _live(4),  # not in state, an hour old: lost
            _live(5, label=f"x {RELEASED_MARK}"),  # released on purpose: not the stack's
            Instance(id=6, extra_env={STACK_TAG_ENV: "other"}, start_date=NOW - 7200),
            _live(7, **{RESOURCE_TAG_ENV: "workers:pool"}),  # its group's (in state)
            _live(8, **{RESOURCE_TAG_ENV: "workers:lost"}),  # a group the state lost
            _live(10, **{RESOURCE_TAG_ENV: "gang/0"}),  # a gang's node: the state holds it
        ],
        {1: 0.5, 2: 0.5, 3: 2.5},
    )
    pool = StackResource("pool", "WorkerGroup", {})
    gang = StackResource("gang", "TrainingGang", {"members": [{"instance_id": 10, "node_rank": 0}]})
    stack = _stack(
        _held("a", 1), _held("b", 2), _held("c", 3, max_budget=2.0), _held("gone", 9), pool, gang
    )
    reapings, spared = plan_reaping(stack, client, orphan_age=1800, days=90)
    reasons = {r.instance_id: (r.resource, r.reason) for r in reapings}
    assert set(reasons) == {1, 3, 4}
    assert stack.held[10][1] == "gang/0"
    assert reasons[1][0] == "a" and reasons[1][1].startswith("past its TTL")
    assert reasons[3] == ("c", "over budget: it cost 2.500 USD of its max_budget 2")
    assert reasons[4][0] == "" and "state does not hold it" in reasons[4][1]
    assert len(spared) == 1 and spared[0].startswith("instance 8: a worker of worker group")

    young, _ = plan_reaping(stack, client, orphan_age=7200, days=90)
    assert 4 not in {r.instance_id for r in young}


def test_a_stack_over_its_budget_loses_all_its_instances() -> None:
    client = _Client([_live(1), _live(2)], {1: 3.0, 2: 2.0})
    stack = _stack(_held("a", 1), _held("b", 2), policy=Policy(max_budget=4.0))
    reapings, _ = plan_reaping(stack, client, orphan_age=1800, days=90)
    assert {r.instance_id for r in reapings} == {1, 2}
    assert all("the stack cost 5.000 USD of its max_budget 4" in r.reason for r in reapings)


def test_without_a_budget_no_charges_are_asked_for() -> None:
    client = _Client([_live(1)], {})
    assert plan_reaping(_stack(_held("a", 1)), client, orphan_age=0, days=90) == ([], [])
    assert client.charges.asked == 0
