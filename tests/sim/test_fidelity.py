"""Fidelity: the official `vastai` client against the simulator.

1. The `vastai` CLI (`--url` pointed at the simulator) searches, creates, shows, lists,
   labels, stops, starts and destroys instances and manages SSH keys: exit 0 and the
   output a user expects, plain and `--raw`.
2. Every response body the official client's requests produce validates against the
   response schema of `../shared/vast-api/openapi.yaml` (OpenAPI 3.1 = JSON Schema
   2020-12, `$ref`s resolved; read from the repository's extract of it,
   `openapi_subset`), except where the document is known to disagree with the real
   service (`DEVIATIONS`).
3. The official Python SDK (`vastai.VastAI`), called back to back as scripts call it,
   walks an instance through its life and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from vastai import VastAI
from vastai.api.client import VastClient
from vastai.api.instances import build_create_instance_payload
from vastai.api.query import offers_alias, offers_fields, offers_mult, parse_query

from pulumi_vast.sim.testing import SimAdmin
from tests.sim import openapi_subset
from tests.sim.sshutil import new_key, public_line

pytestmark = pytest.mark.slow

SPEC_URI = "urn:vast-openapi"
VASTAI = Path(sys.executable).parent / "vastai"

DEVIATIONS = """
- GET /api/v0/instances/{id}: the `Instance` component types `ports` as an array of
  integers and `extra_env` as an array of strings; the service (openapi's own v1 list
  schema, and the official client: `ports["22/tcp"][0]["HostPort"]`, `extra_env` read as
  [key, value] pairs) sends Docker's port map and pairs. Validated against the v1 shapes.
- GET /api/v0/instances/{id}: a destroyed instance answers {"instances": null} (NOTES field
  notes; the official CLI handles it), which the schema does not allow.
- 429: openapi shows a JSON {"detail": ...} body; NOTES field notes say the real service
  sends plain text without Retry-After. The simulator follows the field notes.
"""


@cache
def _spec() -> dict[str, Any]:
    patched = openapi_subset.load()
    v1_row = patched["paths"]["/api/v1/instances"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["properties"]["instances"]["items"]["properties"]
    instance = patched["components"]["schemas"]["Instance"]["properties"]
    instance["ports"] = v1_row["ports"]
    instance["extra_env"] = v1_row["extra_env"]
    show = patched["paths"]["/api/v0/instances/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["properties"]
    show["instances"] = {"anyOf": [show["instances"], {"type": "null"}]}
    return patched


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(_spec(), default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource)


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def assert_schema(path: str, method: str, status: int, body: Any) -> None:
    """`body` validates against openapi's response schema for (path, method, status)."""
    responses = _spec()["paths"][path][method]["responses"]
    assert str(status) in responses, f"openapi documents no {status} for {method} {path}"
    pointer = _pointer(
        "paths", path, method, "responses", str(status), "content", "application/json", "schema"
    )
    validator = jsonschema.Draft202012Validator({"$ref": SPEC_URI + pointer}, registry=_registry())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{method.upper()} {path} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in errors[:10]
    )


# ---- the CLI ---------------------------------------------------------------------------------

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def vastai(sim_url: str, vast_account: str, tmp_path: Path) -> CliRunner:
    """Run the official CLI as a user would, against the simulator, in a clean home."""
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "VAST_URL": sim_url,  # the CLI also fetches GPU names from here at import time
        "VASTAI_NO_UPDATE_CHECK": "1",
        "COLUMNS": "250",
        "LINES": "1000",
    }

    def run(*args: str, raw: bool = False) -> subprocess.CompletedProcess[str]:
        command = [str(VASTAI), "--url", sim_url, "--api-key", vast_account, "--full", "--no-color"]
        if raw:
            command.append("--raw")
        result = subprocess.run(
            [*command, *args], capture_output=True, text=True, env=env, timeout=120
        )
        return result

    return run


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    """The command's output, without terminal colours, after checking it exited 0."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return _ANSI.sub("", result.stdout)


def test_official_cli_walks_an_instance_through_its_life(
    vastai: CliRunner, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 600)
    sim_admin.set_created_delay(vast_account, 600)
    table = _ok(vastai("search", "offers", "gpu_ram>=24 num_gpus=1"))
    header = table.splitlines()[0]
    for column in ("ID", "Model", "$/hr", "VRAM", "R", "country"):
        assert column in header
    offers = json.loads(_ok(vastai("search", "offers", "gpu_ram>=24 num_gpus=1", raw=True)))
    assert offers
    assert all(o["gpu_ram"] >= 24000 and o["num_gpus"] == 1 for o in offers)
    assert str(offers[0]["id"]) in table

    started = _ok(
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
        pending.append(json.loads(_ok(vastai("show", "instance", instance_id, raw=True))))
        assert instance_id in _ok(vastai("show", "instance", instance_id))
        sim_admin.advance(300)
    assert [row["actual_status"] for row in pending] == [None, "created", "loading"]
    assert "loading" in _ok(vastai("show", "instance", instance_id))
    sim_admin.advance(600)
    raw = json.loads(_ok(vastai("show", "instance", instance_id, raw=True)))
    assert (raw["id"], raw["actual_status"], raw["image_uuid"]) == (
        int(instance_id),
        "running",
        "pytorch/pytorch",
    )
    assert raw["disk_space"] == 20
    listing = _ok(vastai("show", "instances"))
    assert "Total: 1 instances" in listing
    assert instance_id in listing and "running" in listing
    rows = json.loads(_ok(vastai("show", "instances", raw=True)))
    assert [row["id"] for row in rows] == [int(instance_id)]

    assert _ok(vastai("label", "instance", instance_id, "my-job")).strip() == (
        f"label for {instance_id} set to my-job."
    )
    assert "my-job" in _ok(vastai("show", "instances"))
    assert (
        _ok(vastai("stop", "instance", instance_id)).strip() == f"stopping instance {instance_id}."
    )
    assert json.loads(_ok(vastai("show", "instance", instance_id, raw=True)))["actual_status"] == (
        "stopped"
    )
    assert (
        _ok(vastai("start", "instance", instance_id)).strip() == f"starting instance {instance_id}."
    )
    assert _ok(vastai("destroy", "instance", instance_id, "-y")).strip() == (
        f"destroying instance {instance_id}."
    )
    gone = vastai("show", "instance", instance_id)
    assert gone.returncode == 1
    assert "not found or no longer exists" in gone.stderr
    assert "No instances found." in _ok(vastai("show", "instances"))


def test_official_cli_manages_ssh_keys(vastai: CliRunner) -> None:
    key = public_line(new_key())
    created = _ok(vastai("create", "ssh-key", key))
    assert "ssh-key created" in created and "'success': True" in created
    listed = json.loads(_ok(vastai("show", "ssh-keys", raw=True)))
    assert [k["key"] for k in listed] == [key]
    assert key in _ok(vastai("show", "ssh-keys"))
    deleted = _ok(vastai("delete", "ssh-key", str(listed[0]["id"])))
    assert "'success': True" in deleted
    assert json.loads(_ok(vastai("show", "ssh-keys", raw=True))) == []


def test_official_cli_reports_api_errors(vastai: CliRunner) -> None:
    failed = vastai("create", "instance", "1", "--image", "x")
    assert failed.returncode == 0, "the official CLI prints API errors and exits 0"
    assert "Failed with error 404" in failed.stderr
    assert "no_such_ask" in failed.stderr


# ---- response bodies against openapi -------------------------------------------------------


@pytest.fixture
def official(sim_url: str, vast_account: str, sim_admin: SimAdmin) -> Iterator[VastClient]:
    """The official client's HTTP layer, as the CLI builds it."""
    sim_admin.set_rate_limits(vast_account, False)
    yield VastClient(api_key=vast_account, server_url=sim_url, retry=1)


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
