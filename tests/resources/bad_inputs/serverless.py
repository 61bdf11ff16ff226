"""Bad serverless inputs: `pulumi-vast:endpoints`, `workerGroups` and `deployments` entries,
and `ServerlessEndpoint(...)`, `WorkerGroup(...)`, `Deployment(...)` in Python."""

from __future__ import annotations

from typing import Any

import pulumi_vast as vast
from tests.resources.bad_inputs.rows import DROP, QUERY, Bad, Program, StackConfig

__all__ = ["ROWS", "TEMPLATE", "deployment", "endpoint", "group"]

HASH = "4e17788f74f075dd9aab7d0d4427968f"
TOKEN = "hf_SERVERLESS_SECRET_0042"


def endpoint(**fields: Any) -> dict[str, Any]:
    entry = {"name": "llm", "cold_workers": 1, "max_workers": 4, **fields}
    return {k: v for k, v in entry.items() if v is not DROP}


def group(**fields: Any) -> dict[str, Any]:
    entry = {"name": "llm-workers", "endpoint": "llm", "template": "vllm", "query": QUERY, **fields}
    return {k: v for k, v in entry.items() if v is not DROP}


def deployment(**fields: Any) -> dict[str, Any]:
    entry = {"name": "qwen", "image": "vllm/vllm-openai:v0.6.3", "require": QUERY, **fields}
    return {k: v for k, v in entry.items() if v is not DROP}


def config_endpoint(id_: str, setting: str, fix: str, **fields: Any) -> Bad:
    given = StackConfig({"pulumi-vast:endpoints": [endpoint(**fields)]})
    return Bad(f"config-endpoint-{id_}", given, f"pulumi-vast:endpoints[0].{setting}", fix)


TEMPLATE = {"name": "vllm", "image": "vllm/vllm-openai", "tag": "v0.6.3"}


CHECKED = "resource 'llm-workers' has a problem: "
"""How a refusal of the provider's own check (one that asks Vast) is named."""


def config_group(id_: str, setting: str, fix: str, **fields: Any) -> Bad:
    given = StackConfig(
        {
            "pulumi-vast:templates": [TEMPLATE],
            "pulumi-vast:endpoints": [endpoint()],
            "pulumi-vast:workerGroups": [group(**fields)],
        }
    )
    where = setting if setting.startswith(CHECKED) else f"pulumi-vast:workerGroups[0].{setting}"
    return Bad(f"config-workergroup-{id_}", given, where, fix)


def config_deployment(
    id_: str, setting: str, fix: str, secret: str | None = None, **fields: Any
) -> Bad:
    given = StackConfig({"pulumi-vast:deployments": [deployment(**fields)]})
    where = f"pulumi-vast:deployments[0].{setting}"
    return Bad(f"config-deployment-{id_}", given, where, fix, secret)


ROWS: list[Bad] = [
    config_endpoint("util-above-one", "target_util", "at most 1", target_util=1.5),
    config_endpoint("util-zero", "target_util", "greater than 0", target_util=0),
    config_endpoint("util-text", "target_util", "a number", target_util="0.9"),
    config_endpoint("cold-above-max", "cold_workers", "raise max_workers", cold_workers=5),
    config_endpoint("cold-negative", "cold_workers", "at least 0", cold_workers=-1),
    config_endpoint("cold-fraction", "cold_workers", "whole number", cold_workers=1.5),
    config_endpoint("max-too-many", "max_workers", "at most 256", max_workers=1000),
    config_endpoint("load-negative", "min_load", "at least 0", min_load=-1),
    config_endpoint("cold-load-bool", "min_cold_load", "a number", min_cold_load=True),
    config_endpoint("cold-mult-negative", "cold_mult", "at least 0", cold_mult=-2),
    config_endpoint("queue-zero", "max_queue_time", "greater than 0", max_queue_time=0),
    config_endpoint(
        "target-queue-over-max",
        "target_queue_time",
        "raise max_queue_time",
        target_queue_time=60,
        max_queue_time=30,
    ),
    config_endpoint("timeout-negative", "inactivity_timeout", "at least 0", inactivity_timeout=-5),
    config_endpoint("name-newline", "name", "one line", name="a\nb"),
    config_endpoint("unknown-knob", "max_worker", "max_workers", max_worker=3),
    config_group("endpoint-unknown", "endpoint", "did you mean 'llm'", endpoint="lm"),
    config_group("endpoint-missing", "endpoint", "ServerlessEndpoint", endpoint=DROP),
    config_group("template-unknown", "template", "templates", template="vlm"),
    config_group("template-missing", "template", "Template", template=DROP),
    config_group("template-no-such-hash", CHECKED + "template", "no template", template="0" * 32),
    config_group("query-matches-nothing", CHECKED + "query", "loosen it", query="gpu_ram>=10000"),
    config_group("query-typo", "query", "did you mean 'gpu_ram'", query="gpu_rma>=24"),
    config_group("query-empty", "query", "would rent any GPU", query=""),
    config_group("launch-args-quote", "launch_args", "shell", launch_args="--env 'A=1"),
    config_group(
        "launch-args-tag", "launch_args", "drop them", launch_args="--env PULUMI_VAST_STACK=1"
    ),
    config_group("test-workers-negative", "test_workers", "at least 0", test_workers=-1),
    config_group("util-above-one", "target_util", "at most 1", target_util=3),
    config_deployment("image-missing", "image", "vllm/vllm-openai", image=DROP),
    config_deployment("require-missing", "require", "gpu_ram>=24", require=DROP),
    config_deployment("require-typo", "require", "did you mean 'gpu_ram'", require="gpu_rma>=1"),
    config_deployment("pip-two-in-one", "pip[0]", "one word per package", pip=["torch numpy"]),
    config_deployment("apt-option", "apt[0]", "packages only", apt=["-y"]),
    config_deployment("port-out-of-range", "ports[0]", "65535", ports=[70000]),
    config_deployment("storage-zero", "storage_gb", "greater than 0", storage_gb=0),
    config_deployment(
        "env-quote", "env.TOKEN", "account env var", TOKEN, env={"TOKEN": f"'{TOKEN}'"}
    ),
    config_deployment(
        "autoscaling-cold-above-max",
        "autoscaling.cold_workers",
        "raise max_workers",
        autoscaling={"cold_workers": 9, "max_workers": 2},
    ),
    config_deployment(
        "ttl-with-cold-workers", "ttl", "drop one", ttl=60, autoscaling={"cold_workers": 2}
    ),
    config_deployment("unknown-setting", "requires", "require", requires=QUERY),
    Bad(
        "python-endpoint-util",
        Program(lambda f: vast.ServerlessEndpoint("llm", target_util=2)),
        'ServerlessEndpoint("llm").target_util',
        "at most 1",
    ),
    Bad(
        "python-workergroup-endpoint",
        Program(lambda f: vast.WorkerGroup("w", endpoint="llm", template=HASH)),
        'WorkerGroup("w").endpoint',
        "ServerlessEndpoint",
    ),
    Bad(
        "python-deployment-pip",
        Program(lambda f: vast.Deployment("d", image="a/b", require=QUERY, pip=["a b"])),
        'Deployment("d").pip[0]',
        "one word per package",
    ),
]
