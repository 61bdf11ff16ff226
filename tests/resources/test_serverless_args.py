"""ServerlessEndpoint, WorkerGroup and Deployment inputs: what is refused at preview, what a
change does, and how a Deployment maps onto a template, an endpoint and a worker group
(fast: no servers)."""

from __future__ import annotations

import shlex
from typing import Any

import pytest

from pulumi_vast.components.deployment import AutoscalingArgs, DeploymentArgs, onstart_script
from pulumi_vast.resources import (
    ServerlessEndpointArgs,
    ServerlessEndpointProvider,
    WorkerGroupArgs,
    WorkerGroupProvider,
)
from pulumi_vast.resources._owner import Owner
from pulumi_vast.resources._problems import InvalidInputs
from pulumi_vast.resources._serverless import tagged_launch_args

HASH = "4e17788f74f075dd9aab7d0d4427968f"


def failures(provider: Any, **news: Any) -> list[str]:
    return [f.reason for f in provider.check({}, news).failures]


def inputs(provider: Any, **news: Any) -> dict[str, Any]:
    """Valid inputs as check normalizes them (without the checks that ask Vast)."""
    outcome = provider.table.check(news)
    assert outcome.failures == []
    return dict(outcome.inputs)


@pytest.mark.parametrize(
    ("news", "expected"),
    [
        ({"target_util": 1.5}, "target_util: got 1.5 (a number); it must be at most 1"),
        ({"target_util": 0}, "target_util: got 0 (a number); it must be greater than 0"),
        ({"max_workers": -1}, "max_workers: got -1 (a number); it must be at least 0"),
        ({"cold_workers": 2.5}, "cold_workers: expected a whole number"),
        ({"max_queue_time": 0}, "max_queue_time: got 0 (a number); it must be greater than 0"),
        ({"min_load": "10"}, "min_load: expected a number"),
        ({"cold_workers": 5, "max_workers": 3}, "cold_workers: is 5, more than max_workers (3)"),
        (
            {"target_queue_time": 40, "max_queue_time": 30},
            "target_queue_time: is 40 s, longer than max_queue_time (30 s)",
        ),
        ({"max_workers": 10_000}, "max_workers: got 10000 (a number); it must be at most 256"),
    ],
)
def test_an_endpoint_knob_vast_would_refuse_fails_preview_naming_it(
    news: dict[str, Any], expected: str
) -> None:
    [reason] = failures(ServerlessEndpointProvider(), name="llm", **news)
    assert reason.startswith(expected), reason


def test_every_endpoint_knob_changes_in_place() -> None:
    provider = ServerlessEndpointProvider()
    olds = inputs(provider, name="llm")
    for knob, value in [
        ("name", "llm-2"),
        ("min_load", 5.0),
        ("min_cold_load", 1.0),
        ("target_util", 0.5),
        ("cold_mult", 3.0),
        ("cold_workers", 1),
        ("max_workers", 6),
        ("max_queue_time", 20.0),
        ("target_queue_time", 5.0),
        ("inactivity_timeout", 60),
    ]:
        news = inputs(provider, **{**olds, knob: value})
        diff = provider.diff("1", olds, news)
        assert diff.changes and diff.replaces == [], knob


def test_an_unset_inactivity_timeout_is_vasts_and_no_change_after_a_refresh_reads_it() -> None:
    provider = ServerlessEndpointProvider()
    news = inputs(provider, name="llm")
    refreshed = {**news, "inactivity_timeout": 300.0}  # Vast's default, as a read reports it
    assert not provider.diff("1", refreshed, news).changes


def test_a_worker_group_rolls_on_a_new_template_and_moves_only_by_replacement() -> None:
    provider = WorkerGroupProvider()
    olds = inputs(provider, endpoint=7001, template=HASH)
    assert olds["test_workers"] == 3

    other = inputs(provider, **{**olds, "template": "f" * 32})
    assert provider.diff("1", olds, other).replaces == [], "a new template updates in place"
    assert provider.changes_in_place(frozenset({"template"})) == {
        "worker_count",
        "workers",
        "dph_total",
    }
    assert provider.changes_in_place(frozenset({"launch_args"})) == {
        "worker_count",
        "workers",
        "dph_total",
    }, "new launch arguments roll the workers too"
    knob = inputs(provider, **{**olds, "target_util": 0.5})
    assert provider.diff("1", olds, knob).replaces == []
    assert provider.changes_in_place(frozenset({"target_util"})) == frozenset()
    moved = inputs(provider, **{**olds, "endpoint": 7002})
    diff = provider.diff("1", olds, moved)
    assert diff.replaces == ["endpoint"] and diff.delete_before_replace, "never two at once"


@pytest.mark.parametrize(
    ("news", "expected"),
    [
        ({"endpoint": 0}, "endpoint: expected a ServerlessEndpoint (or an endpoint id"),
        ({"endpoint": "llm"}, "endpoint: expected a ServerlessEndpoint (or an endpoint id"),
        ({"template": 12}, "template: expected a Template or its hash_id"),
        ({"query": "gpu_rma>=24"}, "query: unknown field 'gpu_rma'"),
        ({"query": ""}, "query: is empty"),
        ({"launch_args": "--env 'unclosed"}, "launch_args: cannot be split into arguments"),
        ({"launch_args": "--env '-e PULUMI_VAST_STACK=x'"}, "launch_args: sets PULUMI_VAST_STACK"),
        ({"target_util": 2}, "target_util: got 2 (a number); it must be at most 1"),
        ({"test_workers": -1}, "test_workers: got -1 (a number); it must be at least 0"),
    ],
)
def test_a_bad_worker_group_input_fails_preview_naming_it(
    news: dict[str, Any], expected: str
) -> None:
    given = {"endpoint": 7001, "template": HASH, **news}
    [reason] = failures(WorkerGroupProvider(), **given)
    assert expected in reason, reason


def test_workers_carry_their_stack_and_group_in_their_env() -> None:
    owner = Owner("0123abcd", "llm-workers")
    tagged = tagged_launch_args("--disk 64 --env '-e A=1'", owner)
    assert tagged is not None
    words = shlex.split(tagged)
    assert words[:2] == ["--disk", "64"] and words.count("--env") == 1
    assert words[words.index("--env") + 1] == (
        "-e A=1 -e PULUMI_VAST_STACK=0123abcd -e PULUMI_VAST_RESOURCE=workers:llm-workers"
    )
    assert shlex.split(str(tagged_launch_args(None, owner)))[0] == "--env"
    assert tagged_launch_args("--disk 64", None) == "--disk 64", "no owner: as given"


def test_an_endpoint_args_model_refuses_in_python_naming_the_model() -> None:
    with pytest.raises(InvalidInputs, match=r"ServerlessEndpointArgs\.cold_workers: is 3"):
        ServerlessEndpointArgs(cold_workers=3, max_workers=1)
    with pytest.raises(InvalidInputs, match=r"WorkerGroupArgs\.endpoint: expected"):
        WorkerGroupArgs(endpoint=True, template=HASH)


# ------------------------------------------------------------------ Deployment


def test_a_deployment_installs_apt_then_pip_then_runs_its_script() -> None:
    script = onstart_script(["ffmpeg", "libsndfile1"], ["torch==2.4.1", "transformers"], "echo up")
    assert script == (
        "set -e\n"
        "apt-get update && apt-get install -y --no-install-recommends ffmpeg libsndfile1\n"
        "pip install torch==2.4.1 transformers\n"
        "echo up\n"
    )
    assert onstart_script([], [], None) is None


def test_a_deployments_ttl_leaves_no_worker_after_that_long_without_load() -> None:
    args = DeploymentArgs(
        image="vllm/vllm-openai:v0.6.3",
        require="gpu_ram>=24",
        autoscaling=AutoscalingArgs(max_workers=4, target_util=0.8),
        ttl=3600,
    )
    assert args.knobs() == {
        "max_workers": 4,
        "target_util": 0.8,
        "cold_workers": 0,
        "inactivity_timeout": 3600,
    }
    ServerlessEndpointArgs(**args.knobs())  # what the endpoint is given is valid


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"pip": ["torch transformers"]}, "DeploymentArgs.pip[0]: 'torch transformers' is not"),
        ({"apt": ["--yes"]}, "DeploymentArgs.apt[0]: '--yes' is an option"),
        ({"require": "gpu_rma>=24"}, "DeploymentArgs.require: unknown field 'gpu_rma'"),
        ({"ports": [70000]}, "DeploymentArgs.ports[0]"),
        ({"storage_gb": 0}, "DeploymentArgs.storage_gb: got 0"),
        (
            {"autoscaling": {"cold_workers": 5, "max_workers": 2}},
            "DeploymentArgs.autoscaling.cold_workers: is 5, more than max_workers (2)",
        ),
        (
            {"ttl": 60, "autoscaling": {"cold_workers": 2}},
            "DeploymentArgs.ttl: tears the workers down, yet autoscaling.cold_workers keeps 2 of",
        ),
        (
            {"ttl": 60, "autoscaling": {"inactivity_timeout": 30}},
            "DeploymentArgs.ttl: and autoscaling.inactivity_timeout both set",
        ),
        ({"env": {"TOKEN": "it's"}}, "DeploymentArgs.env.TOKEN: has a quote"),
    ],
)
def test_a_bad_deployment_is_refused_naming_the_setting(
    fields: dict[str, Any], expected: str
) -> None:
    with pytest.raises(InvalidInputs) as caught:
        DeploymentArgs(**{"image": "vllm/vllm-openai", "require": "gpu_ram>=24", **fields})
    assert expected in str(caught.value), str(caught.value)
