"""The effective policy of a resource: its own `policy`, each unset field from `vast:policy`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

import pulumi_vast as vast
from pulumi_vast.resources import InstanceProvider
from pulumi_vast.resources._budget import Plan, budget_failures
from pulumi_vast.resources.instance import InstanceArgs


def provider_with(stack_policy: object | None) -> InstanceProvider:
    config: dict[str, object] = {"vast:apiUrl": "local"}
    if stack_policy is not None:
        config["vast:policy"] = stack_policy
    provider = InstanceProvider()
    provider.configure(ConfigureRequest(Config(config, "test")))
    return provider


def args(policy: vast.Policy | None = None) -> InstanceArgs:
    return InstanceArgs(query="gpu_ram>=24", image="pytorch/pytorch", policy=policy)


def test_a_resource_without_its_own_policy_has_the_stacks() -> None:
    provider = provider_with({"max_hours": 2, "on_destroy": "stop"})
    policy = provider.policy(args())
    assert (policy.max_hours, policy.on_destroy, policy.on_lost) == (2, "stop", None)


def test_the_resources_own_fields_win_field_by_field() -> None:
    provider = provider_with({"max_hours": 2, "max_budget": 10})
    policy = provider.policy(args(vast.Policy(max_hours=1, on_lost="replace")))
    assert (policy.max_hours, policy.max_budget, policy.on_lost) == (1, 10, "replace")


def test_the_stacks_policy_may_arrive_as_json_text() -> None:
    # An `Account`'s policy reaches its provider as text.
    provider = provider_with('{"max_budget": 5}')
    assert provider.policy(args()).max_budget == 5


def test_no_policy_anywhere_is_the_empty_policy() -> None:
    assert provider_with(None).policy(args()) == vast.Policy()


def test_a_policy_in_stack_config_parses_into_the_instance_args() -> None:
    parsed = InstanceProvider.table.parse(
        {"query": "gpu_ram>=24", "image": "x", "policy": {"max_budget": 3.0, "on_lost": "keep"}}
    )
    assert parsed.policy == vast.Policy(max_budget=3, on_lost="keep")


# ------------------------------------------------- against the simulator: task and budget


@pytest.fixture
def instances(configure: Callable[..., Any]) -> Callable[..., InstanceProvider]:
    def make(**extra: Any) -> InstanceProvider:
        provider: InstanceProvider = configure(InstanceProvider, **extra)
        return provider

    return make


def check(provider: InstanceProvider, key: str = "s1/gpu", **fields: Any) -> dict[str, str]:
    """{setting: reason} of a new instance's check (`key`: its owner, stack/name)."""
    news = {"image": "pytorch/pytorch", "label": "t", "__owner": key, **fields}
    found = provider.check({}, news).failures
    return dict(f.reason.split(": ", 1) for f in found)


@pytest.mark.slow
def test_a_task_previews_its_needs_the_best_three_by_total_and_the_pick(
    instances: Callable[..., InstanceProvider], capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(instances(), task={"params_b": 7, "hours": 10}) == {}
    said = capsys.readouterr().err
    assert "the task needs >= 16.8 GB VRAM, 50 GB disk, CUDA >= 12.1, 10 h on one RTX 3090" in said
    totals = [float(t) for t in re.findall(r"^  \d\. .* = \$(\d+\.\d+)", said, re.M)]
    assert len(totals) == 3 and totals == sorted(totals), said
    best = re.search(r"^  1\. (.*\(offer \d+\))", said, re.M)
    assert best is not None and f"will rent {best.group(1)}: " in said
    assert f"${totals[0]:.2f} for " in said.split("will rent", 1)[1], "the pick's total"


@pytest.mark.slow
def test_a_task_no_offer_can_meet_says_what_to_change(
    instances: Callable[..., InstanceProvider],
) -> None:
    found = check(instances(), task={"params_b": 405, "precision": "fp32", "hours": 1})
    assert "num_gpus" in found["task"] and "int4" in found["task"]


@pytest.mark.slow
def test_an_instance_over_its_own_budget_is_refused_naming_the_numbers(
    instances: Callable[..., InstanceProvider],
) -> None:
    found = check(
        instances(), query="gpu_ram>=24 num_gpus=1", policy={"max_budget": 0.5, "max_hours": 100}
    )
    reason = found["policy.max_budget"]
    assert (
        reason.startswith("the estimated total $")
        and "exceeds this instance's budget of $0.5" in reason
    )
    assert "x 100 h = $" in reason


@pytest.mark.slow
def test_a_budget_without_hours_is_refused_saying_what_to_set(
    instances: Callable[..., InstanceProvider],
) -> None:
    found = check(instances(policy='{"max_budget": 100}'), query="gpu_ram>=24 num_gpus=1")
    assert "cannot be estimated: set max_hours" in found["vast:policy.max_budget"]


@pytest.mark.slow
def test_the_stacks_budget_counts_every_instance_of_the_stack(
    instances: Callable[..., InstanceProvider],
) -> None:
    provider = instances(policy='{"max_hours": 10, "max_budget": 4}')
    assert check(provider, "s1/a", query="gpu_ram>=24 num_gpus=1") == {}, "$2.49 fits"
    reason = check(provider, "s1/b", query="gpu_ram>=24 num_gpus=1")["vast:policy.max_budget"]
    assert reason.startswith("the estimated total $5.01 exceeds the stack's budget of $4 ("), reason
    assert "a: $0.249/h x 10 h = $2.49; b: $0.253/h x 10 h = $2.53" in reason
    again = check(provider, "s1/a", query="gpu_ram>=24 num_gpus=1")
    assert again["vast:policy.max_budget"] == reason, "checked again, the stack is over budget"


def test_a_stack_over_its_budget_is_told_the_same_whatever_order_the_engine_checked_in() -> None:
    a, b = Plan("a", 0.3, 10), Plan("b", 0.2, 10)
    stack = vast.Policy(max_budget=4)
    said = [budget_failures(b, None, stack, order) for order in ([a, b], [b, a])]
    assert said[0] == said[1]
    [(where, reason)] = said[0]
    assert where == "vast:policy.max_budget"
    assert "exceeds the stack's budget of $4 (a: $0.300/h x 10 h = $3.00; b: " in reason
