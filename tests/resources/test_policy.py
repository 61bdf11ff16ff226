"""The effective policy of a resource: its own `policy`, each unset field from `vast:policy`."""

from __future__ import annotations

from pulumi.dynamic import Config, ConfigureRequest

import pulumi_vast as vast
from pulumi_vast.resources import InstanceProvider
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
