"""Fidelity of serverless: the official `vastai` CLI manages endpoints and worker groups
against the simulator (`create/show/update/delete endpoint`, `create/show/update/delete
workergroup`, `get endpt-workers`, `update workers`, `get endpt-logs`), the workers it
lists are instances of the account (the ledger), and the responses validate against
openapi (`fidelity.assert_schema`).

The official client sends the autoscaler's routes (`get endpt-workers`, `update workers`,
the logs) to run.vast.ai when ``--url`` is its default URL (``VAST_URL``), so the CLI here
has the simulator as ``localhost`` in ``VAST_URL`` and as 127.0.0.1 in ``--url``.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from vastai.api.client import VastClient

from pulumi_vast.sim.models.templates import CATALOG
from pulumi_vast.sim.testing import SimAdmin, worker_statuses
from tests.sim.fidelity import CliRunner, assert_schema, cli_runner, ok

pytestmark = pytest.mark.slow

PYTORCH = CATALOG[0].hash_id


@pytest.fixture
def cli(sim_url: str, vast_account: str, tmp_path: Path, sim_admin: SimAdmin) -> CliRunner:
    sim_admin.set_rate_limits(vast_account, False)
    sim_admin.set_boot_delay(vast_account, 0.2)
    return cli_runner(
        sim_url, vast_account, tmp_path, names_url=sim_url.replace("127.0.0.1", "localhost")
    )


def printed(output: str) -> dict[str, Any]:
    """The dict the CLI prints after its message (``create endpoint {'success': ...}``)."""
    found: dict[str, Any] = ast.literal_eval(output[output.index("{") :].strip())
    return found


def test_official_cli_manages_endpoints_workergroups_and_their_workers(
    cli: CliRunner, sim_admin: SimAdmin, vast_account: str
) -> None:
    created = printed(
        ok(
            cli(
                "create", "endpoint", "--endpoint_name", "llm", "--cold_workers", "1",
                "--max_workers", "3", "--target_util", "0.5", "--inactivity_timeout", "600",
            )
        )
    )  # fmt: skip
    endpoint_id = created["result"]
    (shown,) = json.loads(ok(cli("show", "endpoints")))
    assert shown["id"] == endpoint_id and shown["endpoint_name"] == "llm"
    assert (shown["cold_workers"], shown["max_workers"], shown["target_util"]) == (1, 3, 0.5)
    assert "api_key" not in shown  # the official client drops it
    assert printed(ok(cli("update", "endpoint", str(endpoint_id), "--max_workers", "4"))) == {
        "success": True
    }
    assert json.loads(ok(cli("show", "endpoints")))[0]["max_workers"] == 4

    group = printed(
        ok(
            cli(
                "create", "workergroup", "--template_hash", PYTORCH, "--endpoint_name", "llm",
                "--search_params", "num_gpus=1 gpu_ram>=8",
            )
        )
    )  # fmt: skip
    group_id = group["id"]
    (listed,) = json.loads(ok(cli("show", "workergroups")))
    assert (listed["id"], listed["endpoint_id"], listed["template_hash"]) == (
        group_id,
        endpoint_id,
        PYTORCH,
    )
    assert listed["search_query"]["gpu_ram"] == {"gte": 8000.0}
    assert listed["search_query"]["verified"] == {"eq": True}  # the client's default query

    # Its 3 test workers run once, then one stays cold.
    sim_admin.wait_for_endpoint(endpoint_id, lambda v: worker_statuses(v) == {"stopped": 1})
    (line,) = ok(cli("get", "endpt-workers", str(endpoint_id))).splitlines()
    assert re.fullmatch(r"id=\d+ status=stopped gpu_name=.+ measured_perf=10\.0", line)

    # 25 req/s at 10 per worker and target_util 0.5: 5 hot, capped at max_workers 4.
    sim_admin.set_load(endpoint_id, 25)
    view = sim_admin.wait_for_endpoint(endpoint_id, lambda v: worker_statuses(v) == {"running": 4})
    workers = json.loads(ok(cli("get", "endpt-workers", str(endpoint_id), raw=True)))
    assert sorted(w["id"] for w in workers) == sorted(w["id"] for w in view["workers"])
    assert {w["status"] for w in workers} == {"running"}
    ledger = sim_admin.ledger(vast_account)
    assert ledger["totals"]["running"] == 4
    labels = {e["label"] for e in ledger["instances"] if e["status"] == "running"}
    assert labels == {f"llm/workergroup-{group_id}"}

    # A new template for the group, then a rolling update: fresh workers replace the old.
    ok(cli("update", "workergroup", str(group_id), "--template_hash", CATALOG[1].hash_id))
    old = {w["id"] for w in workers}
    assert ok(cli("update", "workers", str(group_id))).strip() == (
        f"Update started for workergroup {group_id} (4 workers)"
    )
    view = sim_admin.wait_for_endpoint(
        endpoint_id,
        lambda v: (
            worker_statuses(v) == {"running": 4} and not {w["id"] for w in v["workers"]} & old
        ),
    )
    assert "rolling update started for 4 workers" in ok(cli("get", "endpt-logs", str(endpoint_id)))

    # Deleting the group leaves its workers running and billing; they are the user's to end.
    deleted = printed(ok(cli("delete", "workergroup", str(group_id))))
    assert deleted["deleted_workers"] == []
    fresh = sorted(w["id"] for w in view["workers"])
    assert str(fresh) in deleted["msg"]
    assert sim_admin.ledger(vast_account)["totals"]["running"] == 4
    assert ok(cli("get", "endpt-workers", str(endpoint_id))).strip() == "No workers found."
    for instance_id in fresh:
        ok(cli("destroy", "instance", str(instance_id), "-y"))
    assert printed(ok(cli("delete", "endpoint", str(endpoint_id))))["success"] is True
    assert json.loads(ok(cli("show", "endpoints"))) == []
    totals = sim_admin.ledger(vast_account)["totals"]
    assert (totals["alive"], totals["billing"]) == (0, 0)


def test_deleting_an_endpoint_destroys_its_workers(
    cli: CliRunner, sim_admin: SimAdmin, vast_account: str
) -> None:
    endpoint_id = printed(
        ok(cli("create", "endpoint", "--endpoint_name", "e", "--cold_workers", "2"))
    )["result"]
    ok(cli("create", "workergroup", "--template_hash", PYTORCH, "--endpoint_id", str(endpoint_id)))
    sim_admin.wait_for_endpoint(endpoint_id, lambda v: worker_statuses(v) == {"stopped": 2})
    deleted = printed(ok(cli("delete", "endpoint", str(endpoint_id))))
    assert len(deleted["deleted_workers"]) == 2
    assert json.loads(ok(cli("show", "workergroups"))) == []
    totals = sim_admin.ledger(vast_account)["totals"]
    assert (totals["instances"], totals["alive"], totals["billing"]) == (3, 0, 0)


def test_the_cli_shows_the_simulators_refusals(cli: CliRunner) -> None:
    def said(*args: str) -> str:
        done = cli(*args)
        return done.stdout + done.stderr

    assert "400: Invalid args: target_util" in said("create", "endpoint", "--target_util", "1.5")
    assert "400: Endpointgroup not found for user" in said("update", "endpoint", "1")
    assert "404: No workergroup by that id" in said("delete", "workergroup", "1")
    # The official CLI prints only the status of this one.
    assert "Error creating workergroup: 400 Client Error" in said(
        "create", "workergroup", "--template_hash", PYTORCH, "--endpoint_name", "nope"
    )


def test_their_responses_validate_against_openapi(official: VastClient) -> None:
    created = official.post("/endptjobs/", json_data={"endpoint_name": "v", "cold_workers": 0})
    endpoint_id = created.json()["result"]
    group = official.post(
        "/workergroups/",
        json_data={"endpoint_id": endpoint_id, "template_hash": PYTORCH, "test_workers": 0},
    )
    group_id = group.json()["id"]
    bodies = [
        ("/api/v0/endptjobs", "post", created),
        ("/api/v0/endptjobs", "post", official.post("/endptjobs/", json_data={"max_workers": -1})),
        ("/api/v0/endptjobs", "get", official.get("/endptjobs/")),
        (
            "/api/v0/endptjobs/{id}",
            "put",
            official.put(f"/endptjobs/{endpoint_id}/", json_data={"min_load": 5}),
        ),
        ("/api/v0/endptjobs/{id}", "put", official.put("/endptjobs/1/", json_data={})),
        ("/api/v0/workergroups", "post", group),
        (
            "/api/v0/workergroups",
            "post",
            official.post("/workergroups/", json_data={"endpoint_id": 1, "template_hash": "x"}),
        ),
        ("/api/v0/workergroups", "get", official.get("/workergroups/")),
        (
            "/api/v0/workergroups/{id}",
            "put",
            official.put(f"/workergroups/{group_id}/", json_data={"launch_args": "--disk 20"}),
        ),
        ("/api/v0/workergroups/{id}", "put", official.put("/workergroups/1/", json_data={})),
        ("/api/v0/workergroups/{id}", "delete", official.delete(f"/workergroups/{group_id}/")),
        ("/api/v0/workergroups/{id}", "delete", official.delete("/workergroups/1/")),
        ("/api/v0/endptjobs/{id}", "delete", official.delete(f"/endptjobs/{endpoint_id}/")),
        ("/api/v0/endptjobs/{id}", "delete", official.delete(f"/endptjobs/{endpoint_id}/")),
    ]
    statuses = [response.status_code for _, _, response in bodies]
    assert statuses.count(400) == 5 and statuses.count(404) == 1, statuses
    for path, method, response in bodies:
        assert_schema(path, method, response.status_code, response.json())
