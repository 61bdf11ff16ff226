"""Serverless: the knobs' ranges, the bodies against the official client's, and
`client.serverless` against the simulator (endpoints, worker groups, workers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from pulumi_vast.api import (
    NO_PACING,
    NO_RETRY,
    EndpointKnobs,
    EndpointRequest,
    F,
    NotFound,
    Query,
    VastClient,
    WorkerGroupRequest,
)
from pulumi_vast.api.serverless import AUTOSCALER_URL, MAX_WORKERS
from pulumi_vast.sim.models.templates import CATALOG
from pulumi_vast.sim.testing import SimAdmin, worker_statuses

PYTORCH = CATALOG[0].hash_id


@pytest.mark.parametrize(
    ("knobs", "field"),
    [
        ({"target_util": 0}, "target_util"),
        ({"target_util": 1.01}, "target_util"),
        ({"max_workers": MAX_WORKERS + 1}, "max_workers"),
        ({"cold_workers": -1}, "cold_workers"),
        ({"min_load": float("inf")}, "min_load"),
        ({"inactivity_timeout": -1}, "inactivity_timeout"),
        ({"max_queue_time": 0}, "max_queue_time"),
        ({"cold_workers": 4, "max_workers": 2}, "cold_workers"),
        ({"target_queue_time": 20, "max_queue_time": 10}, "target_queue_time"),
    ],
)
def test_the_knobs_have_the_apis_ranges(knobs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        EndpointKnobs.model_validate(knobs)


def test_the_worker_group_body_is_the_official_clients() -> None:
    from vastai.api import endpoints as official

    sent: dict[str, Any] = {}

    class Capture:
        def post(self, path: str, json_data: dict[str, Any]) -> Any:
            sent.update(json_data)
            raise RuntimeError("captured")

    with pytest.raises(RuntimeError):
        official.create_workergroup(
            Capture(), template_hash=PYTORCH, endpoint_id=7, search_params="gpu_ram>=24"
        )
    ours = WorkerGroupRequest(
        endpoint_id=7, template_hash=PYTORCH, search=Query.where(F.gpu_ram >= 24)
    ).to_payload()
    assert ours["search_params"] == sent["search_params"]
    assert {k: v for k, v in sent.items() if v is not None and k in ours} == {
        k: ours[k] for k in sent if k in ours
    }
    assert WorkerGroupRequest(search_defaults=False).search_params() is None


def test_the_autoscaler_is_vasts_own_host_only_for_vasts_api_url() -> None:
    with VastClient() as real, VastClient("http://127.0.0.1:1") as other:
        assert real.serverless._autoscaler == AUTOSCALER_URL
        assert other.serverless._autoscaler == "http://127.0.0.1:1"


@pytest.fixture
def client(sim_url: str, vast_account: str, sim_admin: SimAdmin) -> Iterator[VastClient]:
    sim_admin.set_boot_delay(vast_account, 0.2)
    with VastClient(sim_url, vast_account, retry=NO_RETRY, rate_limits=NO_PACING) as client:
        yield client


@pytest.mark.slow
def test_the_client_manages_endpoints_worker_groups_and_workers(
    client: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    serverless = client.serverless
    endpoint_id = serverless.create_endpoint(
        EndpointRequest(endpoint_name="llm", cold_workers=0, max_workers=2, target_util=1)
    )
    assert serverless.find_endpoint("llm") == serverless.get_endpoint(endpoint_id)
    serverless.update_endpoint(endpoint_id, EndpointRequest(inactivity_timeout=60))
    endpoint = serverless.get_endpoint(endpoint_id)
    assert endpoint is not None and endpoint.inactivity_timeout == 60
    assert (endpoint.max_workers, endpoint.cold_workers) == (2, 0)

    group_id = serverless.create_worker_group(
        WorkerGroupRequest(
            endpoint_id=endpoint_id, template_hash=PYTORCH, search="num_gpus=1", test_workers=0
        )
    )
    group = serverless.get_worker_group(group_id)
    assert group is not None and group.search_query["num_gpus"] == {"eq": 1}
    assert serverless.workers(endpoint_id) == []
    assert "status" in serverless.route("llm")

    sim_admin.set_load(endpoint_id, 15)
    sim_admin.wait_for_endpoint(endpoint_id, lambda v: worker_statuses(v) == {"running": 2})
    workers = serverless.workers(endpoint_id)
    assert [w.status for w in workers] == ["running", "running"]
    assert all(w.workergroup_id == group_id and w.measured_perf == 10 for w in workers)
    assert serverless.update_workers(group_id) == 0
    assert serverless.route_url == client.api_url + "/route/"
    assert serverless.route("llm")["worker_id"] in {w.id for w in workers}

    left = serverless.delete_worker_group(group_id)
    assert sorted(left or []) == sorted(w.id for w in workers)
    assert serverless.delete_worker_group(group_id) is None
    for instance_id in left or []:
        client.instances.destroy(instance_id)
    assert serverless.delete_endpoint(endpoint_id) == []
    assert serverless.delete_endpoint(endpoint_id) is None
    with pytest.raises(NotFound):
        serverless.update_endpoint(endpoint_id, EndpointRequest(min_load=1))
    totals = sim_admin.ledger(vast_account)["totals"]
    assert (totals["alive"], totals["billing"]) == (0, 0)
