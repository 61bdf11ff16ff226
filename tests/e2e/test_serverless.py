"""Serverless endpoints, worker groups and Deployments end to end, declared in stack config:
the real CLI against the simulator's Serverless Engine through create, a no-change preview
that makes no API call, a knob changed in place (no worker touched), a template change that
rolls the workers, load raised through the simulator's admin route, refresh, and destroy
with nothing billing after (the ledger)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pulumi_vast.api import EndpointRequest, VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin, worker_statuses
from tests.e2e.conftest import VastStack, write_config
from tests.e2e.test_lifecycle import billing, set_path, steps
from tests.e2e.test_objects import calls

pytestmark = pytest.mark.slow

WAIT_S = 300.0
TEMPLATE = {"name": "vllm", "image": "vllm/vllm-openai", "tag": "v0.6.3", "disk_gb": 20}
ENDPOINT = {
    "name": "llm",
    "cold_workers": 1,
    "max_workers": 3,
    "target_util": 0.8,
    "inactivity_timeout": 5,
}
GROUP = {
    "name": "llm-workers",
    "endpoint": "llm",
    "template": "vllm",
    "query": "gpu_ram>=24 num_gpus=1 reliability>0.95",
    "test_workers": 1,
}


def outputs_of(stack: PulumiWorkspace, name: str) -> dict[str, Any]:
    [found] = [r for r in stack.resources() if r["urn"].endswith(f"::{name}")]
    return dict(found.get("outputs", {}))


def wait(
    sim_admin: SimAdmin, endpoint_id: int, condition: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    return sim_admin.wait_for_endpoint(endpoint_id, condition, timeout=WAIT_S)


def test_an_endpoint_and_its_worker_group_through_their_lifecycle(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    client = VastClient(sim_url, vast_account)
    stack = vast_stack([])
    write_config(stack, templates=[TEMPLATE], endpoints=[ENDPOINT], workerGroups=[GROUP])

    stack.up()
    [endpoint] = client.serverless.list_endpoints()
    [group] = client.serverless.list_worker_groups()
    [template] = client.templates.list()
    assert (endpoint.endpoint_name, endpoint.max_workers, endpoint.cold_workers) == ("llm", 3, 1)
    assert (group.endpoint_id, group.template_hash) == (endpoint.id, template.hash_id)
    assert stack.outputs()["llm"]["route_url"] == f"{sim_url.rstrip('/')}/route/"
    # No load: the test worker runs once, then stays as the one cold worker.
    view = wait(sim_admin, endpoint.id, lambda v: worker_statuses(v) == {"stopped": 1})
    [cold] = [w["id"] for w in view["workers"]]

    sim_admin.reset_request_counts(vast_account)
    stack.preview("--expect-no-changes")
    assert calls(sim_admin, vast_account) == {}, "a no-change preview makes no API call"

    # a knob: the endpoint changes in place, no worker is touched
    set_path(stack, "pulumi-vast:endpoints[0].max_workers", "4")
    planned = steps(stack)
    assert planned["llm"] == "update"
    assert planned.get("llm-workers", "same") == "same" and planned.get("vllm", "same") == "same"
    stack.up()
    live = client.serverless.get_endpoint(endpoint.id)
    assert live is not None and live.max_workers == 4
    assert [w.id for w in client.serverless.workers(endpoint.id)] == [cold]

    # load: 20 req/s, 10 per worker at 80% busy -> 3 hot, and the cold one kept
    sim_admin.set_load(endpoint.id, 20.0)
    wait(sim_admin, endpoint.id, lambda v: worker_statuses(v).get("running", 0) == 3)
    stack.refresh()
    counted = outputs_of(stack, "llm-workers")
    assert counted["worker_count"] == 4 and counted["dph_total"] > 0
    assert stack.outputs()["vast_cost"]["worker_groups"] == 1

    # a new template rolls the workers onto it
    before = {w.id for w in client.serverless.workers(endpoint.id)}
    set_path(stack, "pulumi-vast:templates[0].tag", "v0.6.4")
    planned = steps(stack)
    assert planned["vllm"] == "update" and planned["llm-workers"] == "update"
    assert planned.get("llm", "same") == "same"
    stack.up()
    [rolled] = client.templates.list()
    assert rolled.hash_id != template.hash_id
    view = wait(
        sim_admin,
        endpoint.id,
        lambda v: (
            worker_statuses(v).get("running", 0) == 3
            and not {w["id"] for w in v["workers"]} & before
        ),
    )
    for worker in view["workers"]:
        instance = client.instances.get(worker["id"])
        assert instance is not None and instance.template_hash_id == rolled.hash_id

    stack.destroy()
    assert billing(sim_admin, vast_account) == [], "destroy leaves no worker billing"
    assert client.serverless.list_worker_groups() == []
    assert client.serverless.list_endpoints() == []


DEPLOYMENT = {
    "name": "qwen",
    "image": "vllm/vllm-openai:v0.6.3",
    "env": {"MODEL_NAME": "Qwen/Qwen3-0.6B"},
    "run": "echo serving",
    "ports": [8000],
    "storage_gb": 20,
    "require": "gpu_ram>=24 num_gpus=1",
    "autoscaling": {"cold_workers": 1, "max_workers": 2},
}


def test_a_deployment_rolls_its_workers_on_a_new_image_and_not_on_a_knob(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    client = VastClient(sim_url, vast_account)
    stack = vast_stack([])
    write_config(stack, deployments=[DEPLOYMENT])

    stack.up()
    [endpoint] = client.serverless.list_endpoints()
    [template] = client.templates.list()
    assert endpoint.endpoint_name == "qwen" and endpoint.max_workers == 2
    assert template.name == "qwen"
    view = wait(sim_admin, endpoint.id, lambda v: worker_statuses(v) == {"stopped": 1})
    first = {w["id"] for w in view["workers"]}
    assert stack.outputs()["qwen"]["endpoint_id"] == endpoint.id

    stack.refresh()  # reads Vast's default inactivity_timeout back: still no change
    sim_admin.reset_request_counts(vast_account)
    stack.preview("--expect-no-changes")
    assert calls(sim_admin, vast_account) == {}

    set_path(stack, "pulumi-vast:deployments[0].autoscaling.max_workers", "3")
    planned = steps(stack)
    assert planned["qwen-endpoint"] == "update"
    assert planned.get("qwen-template", "same") == "same"
    assert planned.get("qwen-workers", "same") == "same", "a knob rolls no worker"
    stack.up()
    assert {w.id for w in client.serverless.workers(endpoint.id)} == first

    set_path(stack, "pulumi-vast:deployments[0].image", "vllm/vllm-openai:v0.6.4")
    planned = steps(stack)
    assert planned["qwen-template"] == "update" and planned["qwen-workers"] == "update"
    stack.up()
    view = wait(
        sim_admin,
        endpoint.id,
        lambda v: (
            worker_statuses(v) == {"stopped": 1} and not {w["id"] for w in v["workers"]} & first
        ),
    )
    [rolled] = client.templates.list()
    assert rolled.hash_id != template.hash_id
    for worker in view["workers"]:
        instance = client.instances.get(worker["id"])
        assert instance is not None and instance.template_hash_id == rolled.hash_id

    stack.destroy()
    assert billing(sim_admin, vast_account) == []
    assert client.serverless.list_endpoints() == [] and client.templates.list() == []


def test_under_the_stock_host_a_lost_create_answer_makes_nothing_twice(
    vast_stack: VastStack,
    stock_host_env: dict[str, str],
    sim_admin: SimAdmin,
    sim_url: str,
    vast_account: str,
) -> None:
    client = VastClient(sim_url, vast_account)
    stack = vast_stack([], env=stock_host_env)
    write_config(stack, templates=[TEMPLATE], endpoints=[ENDPOINT], workerGroups=[GROUP])
    lost = ("create_endpoint", "create_workergroup")
    sim_admin.set_faults(vast_account, lost={route: {"count": 1} for route in lost})

    stack.up()
    assert sim_admin.faults(vast_account)["lost"] == {}, "each answer was lost once"
    [endpoint] = client.serverless.list_endpoints()
    [group] = client.serverless.list_worker_groups()
    state = {r["urn"].split("::")[-1]: r.get("id") for r in stack.resources()}
    assert (state["llm"], state["llm-workers"]) == (str(endpoint.id), str(group.id))
    wait(sim_admin, endpoint.id, lambda v: worker_statuses(v) == {"stopped": 1})
    stack.preview("--expect-no-changes")

    write_config(stack, endpoints=[{**ENDPOINT, "target_util": 0.5}])
    set_path(stack, "pulumi-vast:templates[0].tag", "v0.6.4")
    planned = steps(stack)
    # The stock host does not answer previews of updates, so the group's endpoint id shows
    # as unknown (a replace) in this preview; `up` sees it unchanged and updates in place.
    assert (planned["llm"], planned["vllm"]) == ("update", "update")
    stack.up()
    live = client.serverless.get_endpoint(endpoint.id)
    assert live is not None and live.target_util == 0.5
    [kept] = client.serverless.list_worker_groups()
    assert kept.id == group.id and kept.template_hash != group.template_hash

    stack.destroy()
    assert billing(sim_admin, vast_account) == []
    assert client.serverless.list_endpoints() == [] and client.templates.list() == []


def test_a_worker_group_dropped_from_the_program_leaves_no_worker_billing(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    client = VastClient(sim_url, vast_account)
    stack = vast_stack([])
    write_config(stack, templates=[TEMPLATE], endpoints=[ENDPOINT], workerGroups=[GROUP])
    stack.up()
    [endpoint] = client.serverless.list_endpoints()
    sim_admin.set_load(endpoint.id, 10.0)
    wait(sim_admin, endpoint.id, lambda v: worker_statuses(v).get("running", 0) == 2)
    assert len(billing(sim_admin, vast_account)) == 3, "2 hot, 1 cold"

    # changed elsewhere: refresh reads the knob back, and up puts it back
    client.serverless.update_endpoint(endpoint.id, EndpointRequest(max_workers=2))
    stack.refresh()
    assert outputs_of(stack, "llm")["max_workers"] == 2
    assert steps(stack)["llm"] == "update"

    write_config(stack, workerGroups=[])
    stack.up()
    assert billing(sim_admin, vast_account) == [], "Vast leaves them running: up destroyed them"
    assert client.serverless.list_worker_groups() == []
    assert [e.id for e in client.serverless.list_endpoints()] == [endpoint.id]
    stack.destroy()


def test_a_deployments_ttl_leaves_no_worker_billing_after_that_long_without_load(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    client = VastClient(sim_url, vast_account)
    stack = vast_stack([])
    ttl = {**DEPLOYMENT, "autoscaling": {"max_workers": 2}, "ttl": 5}
    write_config(stack, deployments=[ttl])
    stack.up()
    [endpoint] = client.serverless.list_endpoints()
    assert (endpoint.cold_workers, endpoint.inactivity_timeout) == (0, 5)
    sim_admin.set_load(endpoint.id, 5.0)
    wait(sim_admin, endpoint.id, lambda v: worker_statuses(v) == {"running": 1})
    sim_admin.set_load(endpoint.id, 0.0)
    wait(sim_admin, endpoint.id, lambda v: v["workers"] == [])
    assert billing(sim_admin, vast_account) == [], "ttl seconds without load: none left"
    stack.destroy()


def test_destroy_sweeps_a_worker_group_an_interrupted_run_left_and_its_workers(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    client = VastClient(sim_url, vast_account)
    stack = vast_stack([])
    write_config(stack, templates=[TEMPLATE], endpoints=[ENDPOINT], workerGroups=[GROUP])
    stack.up()
    [endpoint] = client.serverless.list_endpoints()
    wait(sim_admin, endpoint.id, lambda v: worker_statuses(v) == {"stopped": 1})
    # The record of the group is lost (as when a run is killed before it is written): the
    # group keeps recruiting, its workers keep billing, and no resource of the stack holds it.
    [urn] = [r["urn"] for r in stack.resources() if r["urn"].endswith("::llm-workers")]
    stack.run("state", "delete", urn, "--yes", "--stack", "e2e", "--force")
    stack.run(
        "state",
        "delete",
        next(r["urn"] for r in stack.resources() if r["urn"].endswith("::llm")),
        "--yes",
        "--stack",
        "e2e",
        "--force",
    )

    done = stack.destroy()
    assert "left by an interrupted run" in done.stdout + done.stderr
    assert client.serverless.list_worker_groups() == []
    assert billing(sim_admin, vast_account) == [], "its workers destroyed: nothing bills"
    client.serverless.delete_endpoint(endpoint.id)
