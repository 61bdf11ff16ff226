"""Fidelity: the official `vastai` client against the simulator.

1. The `vastai` CLI (`--url` pointed at the simulator) searches, creates, shows, lists,
   labels, stops, starts and destroys instances and manages SSH keys: exit 0 and the
   output a user expects, plain and `--raw`.
2. Every response body the official client's requests produce validates against the
   response schema of `../shared/vast-api/openapi.yaml` (OpenAPI 3.1 = JSON Schema
   2020-12, `$ref`s resolved; read from the repository's extract of it,
   `openapi_subset`), except where the document is known to disagree with the real
   service (`fidelity.DEVIATIONS`).
3. The official Python SDK (`vastai.VastAI`), called back to back as scripts call it,
   walks an instance through its life and leaves nothing behind.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from vastai import VastAI
from vastai.api.client import VastClient
from vastai.api.instances import build_create_instance_payload
from vastai.api.query import offers_alias, offers_fields, offers_mult, parse_query

from pulumi_vast.sim.testing import SimAdmin
from tests.sim import openapi_subset
from tests.sim.fidelity import CliRunner, assert_schema, ok
from tests.sim.sshutil import new_key, public_line

pytestmark = pytest.mark.slow

# ---- the CLI ---------------------------------------------------------------------------------


def test_official_cli_walks_an_instance_through_its_life(
    vastai: CliRunner, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 600)
    sim_admin.set_created_delay(vast_account, 600)
    table = ok(vastai("search", "offers", "gpu_ram>=24 num_gpus=1"))
    header = table.splitlines()[0]
    for column in ("ID", "Model", "$/hr", "VRAM", "R", "country"):
        assert column in header
    offers = json.loads(ok(vastai("search", "offers", "gpu_ram>=24 num_gpus=1", raw=True)))
    assert offers
    assert all(o["gpu_ram"] >= 24000 and o["num_gpus"] == 1 for o in offers)
    assert str(offers[0]["id"]) in table

    started = ok(
        vastai(
            "create",
            "instance",
            str(offers[0]["id"]),
            "--image",
            "pytorch/pytorch",
            "--disk",
            "20",
            "--ssh",
        )
    )
    match = re.search(r"Started\. \{'success': True, 'new_contract': (\d+)\}", started)
    assert match, started
    instance_id = match.group(1)

    pending = []
    for _ in range(3):  # no status yet, created, loading
        pending.append(json.loads(ok(vastai("show", "instance", instance_id, raw=True))))
        assert instance_id in ok(vastai("show", "instance", instance_id))
        sim_admin.advance(300)
    assert [row["actual_status"] for row in pending] == [None, "created", "loading"]
    assert "loading" in ok(vastai("show", "instance", instance_id))
    sim_admin.advance(600)
    raw = json.loads(ok(vastai("show", "instance", instance_id, raw=True)))
    assert (raw["id"], raw["actual_status"], raw["image_uuid"]) == (
        int(instance_id),
        "running",
        "pytorch/pytorch",
    )
    assert raw["disk_space"] == 20
    listing = ok(vastai("show", "instances"))
    assert "Total: 1 instances" in listing
    assert instance_id in listing and "running" in listing
    rows = json.loads(ok(vastai("show", "instances", raw=True)))
    assert [row["id"] for row in rows] == [int(instance_id)]

    assert ok(vastai("label", "instance", instance_id, "my-job")).strip() == (
        f"label for {instance_id} set to my-job."
    )
    assert "my-job" in ok(vastai("show", "instances"))
    assert (
        ok(vastai("stop", "instance", instance_id)).strip() == f"stopping instance {instance_id}."
    )
    assert json.loads(ok(vastai("show", "instance", instance_id, raw=True)))["actual_status"] == (
        "stopped"
    )
    assert (
        ok(vastai("start", "instance", instance_id)).strip() == f"starting instance {instance_id}."
    )
    assert ok(vastai("destroy", "instance", instance_id, "-y")).strip() == (
        f"destroying instance {instance_id}."
    )
    gone = vastai("show", "instance", instance_id)
    assert gone.returncode == 1
    assert "not found or no longer exists" in gone.stderr
    assert "No instances found." in ok(vastai("show", "instances"))


def test_official_cli_manages_ssh_keys(vastai: CliRunner) -> None:
    key = public_line(new_key())
    created = ok(vastai("create", "ssh-key", key))
    assert "ssh-key created" in created and "'success': True" in created
    listed = json.loads(ok(vastai("show", "ssh-keys", raw=True)))
    assert [k["key"] for k in listed] == [key]
    assert key in ok(vastai("show", "ssh-keys"))
    deleted = ok(vastai("delete", "ssh-key", str(listed[0]["id"])))
    assert "'success': True" in deleted
    assert json.loads(ok(vastai("show", "ssh-keys", raw=True))) == []


def test_official_cli_reports_api_errors(vastai: CliRunner) -> None:
    failed = vastai("create", "instance", "1", "--image", "x")
    assert failed.returncode == 0, "the official CLI prints API errors and exits 0"
    assert "Failed with error 404" in failed.stderr
    assert "no_such_ask" in failed.stderr


# ---- response bodies against openapi -------------------------------------------------------


def test_every_response_validates_against_openapi(
    official: VastClient, sim_admin: SimAdmin, sim_url: str
) -> None:
    query = parse_query(
        "gpu_ram>=24 num_gpus=1",
        {"verified": {"eq": True}, "external": {"eq": False}, "rentable": {"eq": True}},
        offers_fields,
        offers_alias,
        offers_mult,
    )
    search = official.post(
        "/bundles/",
        json_data={
            **query,
            "order": [["score", "desc"]],
            "type": "on-demand",
            "allocated_storage": 5.0,
        },
    )
    assert_schema("/api/v0/bundles", "post", 200, search.json())
    offer_id = search.json()["offers"][0]["id"]

    payload = build_create_instance_payload(
        image="pytorch/pytorch",
        disk=20,
        env="-e A=b -p 8080:8080",
        ssh=True,
        direct=True,
        label="schema",
        onstart_cmd="echo hi",
    )
    created = official.put(f"/asks/{offer_id}/", json_data=payload)
    assert_schema("/api/v0/asks/{id}", "put", 200, created.json())
    instance_id = created.json()["new_contract"]
    for status_change in (None, 1.0):
        if status_change:
            sim_admin.advance(status_change)
        shown = official.get(f"/instances/{instance_id}/", query_args={"owner": "me"})
        assert_schema("/api/v0/instances/{id}", "get", 200, shown.json())
    assert shown.json()["instances"]["ports"]["22/tcp"][0]["HostPort"].isdigit()

    listing = official.get(
        "/api/v1/instances/",
        query_args={
            "select_filters": {},
            "order_by": [{"col": "id", "dir": "asc"}],
            "limit": 25,
        },
    )
    assert_schema("/api/v1/instances", "get", 200, listing.json())
    columns = official.get(
        "/api/v1/instances/",
        query_args={"select_cols": json.dumps(["id", "actual_status", "label"]), "limit": 5},
    )
    assert_schema("/api/v1/instances", "get", 200, columns.json())

    key = public_line(new_key())
    ssh_created = official.post("/ssh/", json_data={"ssh_key": key})
    assert_schema("/api/v0/ssh", "post", 200, ssh_created.json())
    assert_schema("/api/v0/ssh", "get", 200, official.get("/ssh/").json())
    key_id = ssh_created.json()["key"]["id"]
    attached = official.post(f"/instances/{instance_id}/ssh/", json_data={"ssh_key": key})
    assert_schema("/api/v0/instances/{id}/ssh", "post", 200, attached.json())
    detached = official.delete(f"/instances/{instance_id}/ssh/{key_id}/")
    assert_schema("/api/v0/instances/{id}/ssh/{ssh_key_id}", "delete", 200, detached.json())

    for body in ({"label": "renamed"}, {"state": "stopped"}, {"state": "running"}):
        managed = official.put(f"/instances/{instance_id}/", json_data=body)
        assert_schema("/api/v0/instances/{id}", "put", 200, managed.json())
    assert_schema("/api/v0/users/current", "get", 200, official.get("/users/current").json())

    destroyed = official.delete(f"/instances/{instance_id}/")
    assert_schema("/api/v0/instances/{id}", "delete", 200, destroyed.json())
    after = official.get(f"/instances/{instance_id}/", query_args={"owner": "me"})
    assert after.json() == {"instances": None}
    assert_schema("/api/v0/instances/{id}", "get", 200, after.json())
    deleted_key = official.delete(f"/ssh/{key_id}/")
    assert_schema("/api/v0/ssh/{id}", "delete", 200, deleted_key.json())

    errors = [
        ("/api/v0/asks/{id}", "put", official.put("/asks/1/", json_data=payload)),
        ("/api/v0/instances/{id}", "delete", official.delete(f"/instances/{instance_id}/")),
        ("/api/v0/ssh/{id}", "delete", official.delete(f"/ssh/{key_id}/")),
        (
            "/api/v1/instances",
            "get",
            official.get(
                "/api/v1/instances/", query_args={"select_filters": {"dph_total": {"lt": 1}}}
            ),
        ),
        ("/api/v0/bundles", "post", official.post("/bundles/", json_data={"gpu_rma": {"gt": 1}})),
        (
            "/api/v0/instances/{id}",
            "get",
            VastClient(api_key=None, server_url=sim_url, retry=1).get(f"/instances/{instance_id}/"),
        ),
    ]
    for path, method, response in errors:
        assert response.status_code >= 400
        assert_schema(path, method, response.status_code, response.json())


def test_rate_limited_answers_follow_the_field_notes_not_openapi(
    official: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_rate_limits(vast_account, True, burst=1)
    statuses = [official.get("/api/v1/instances/").status_code for _ in range(4)]
    assert 429 in statuses
    limited = official.get("/api/v1/instances/")
    assert limited.status_code == 429
    with pytest.raises(ValueError):
        limited.json()
    assert limited.text == "API requests too frequent endpoint threshold=1.0"
    assert "Retry-After" not in limited.headers


def test_the_schema_check_catches_wrong_shapes() -> None:
    with pytest.raises(AssertionError, match="offers"):
        assert_schema("/api/v0/bundles", "post", 200, {"offers": "none"})
    with pytest.raises(AssertionError, match="ssh_port"):
        assert_schema("/api/v0/instances/{id}", "get", 200, {"instances": {"ssh_port": "22"}})
    with pytest.raises(AssertionError, match="ports"):
        assert_schema("/api/v0/instances/{id}", "get", 200, {"instances": {"ports": [22]}})
    with pytest.raises(AssertionError, match="success"):
        assert_schema("/api/v0/ssh/{id}", "delete", 200, {})


def test_the_extract_of_openapi_is_current() -> None:
    if not openapi_subset.SOURCE.is_file():
        pytest.skip(f"no {openapi_subset.SOURCE} to compare the extract with")
    official = openapi_subset.extract(yaml.safe_load(openapi_subset.SOURCE.read_text()))
    assert json.loads(json.dumps(official)) == openapi_subset.load(), (
        "openapi.yaml changed: regenerate with `.venv/bin/python -m tests.sim.openapi_subset`"
    )


# ---- the Python SDK, as scripts use it -----------------------------------------------------


def test_the_official_sdk_walks_a_lifecycle_back_to_back_and_leaves_nothing(
    sim_url: str, sim_admin: SimAdmin, vast_account: str
) -> None:
    sdk = VastAI(api_key=vast_account, server_url=sim_url)

    offers = sdk.search_offers("gpu_ram>=24 num_gpus=1", order="dph_total", limit=5)
    created = sdk.create_instance(offers[0]["id"], image="pytorch/pytorch", disk=20, ssh=True)
    instance_id = created["new_contract"]
    shown = sdk.show_instance(instance_id)
    listed = sdk.show_instances()
    labelled = sdk.label_instance(instance_id, "sdk-job")
    stopped = sdk.stop_instance(instance_id)
    started = sdk.start_instance(instance_id)
    relisted = sdk.show_instances()
    destroyed = sdk.destroy_instance(instance_id)
    gone = sdk.show_instance(instance_id)
    empty = sdk.show_instances()

    assert created["success"] is True
    assert shown is not None and shown["id"] == instance_id
    assert shown["actual_status"] in (None, "created", "loading")
    assert [row["id"] for row in listed] == [instance_id]
    assert labelled["success"] and stopped["success"] and started["success"]
    assert [(row["id"], row["label"]) for row in relisted] == [(instance_id, "sdk-job")]
    assert destroyed["success"] is True
    assert (gone, empty) == (None, [])
    totals = sim_admin.ledger(vast_account)["totals"]
    assert (totals["instances"], totals["alive"], totals["dph_now"]) == (1, 0, 0)
    counts = sim_admin.request_counts(vast_account)
    assert not [route for route, c in counts.items() if "429" in c["by_status"]], (
        f"a quick script is served as Vast serves it, without 429s: {counts}"
    )
