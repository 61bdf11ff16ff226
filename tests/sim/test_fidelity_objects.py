"""Fidelity of the account's other objects: the official `vastai` CLI manages env vars,
templates, volumes and network volumes against the simulator and creates instances from a
template and with a new or linked volume; the official client's responses for them
validate against openapi where it describes them (`fidelity.assert_schema`).

openapi's create env-var lists fewer error codes (missing_input, max_secrets,
existing_key) than its update does for the same checks; the simulator answers a bad name
or value on create with the update's codes, so only the listed ones are validated there.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from vastai.api.client import VastClient

from pulumi_vast.sim.testing import SimAdmin
from tests.sim.fidelity import CliRunner, assert_schema, ok

pytestmark = pytest.mark.slow


def test_official_cli_manages_env_vars(vastai: CliRunner) -> None:
    assert ok(vastai("create", "env-var", "hf_token", "abc.123")).strip() == (
        "Environment variable added successfully"
    )
    hidden = ok(vastai("show", "env-vars"))
    assert "Name: HF_TOKEN" in hidden and "Value: *****" in hidden and "abc.123" not in hidden
    assert "Value: abc.123" in ok(vastai("show", "env-vars", "-s"))
    assert json.loads(ok(vastai("show", "env-vars", "-s", raw=True))) == {"HF_TOKEN": "abc.123"}
    assert ok(vastai("update", "env-var", "HF_TOKEN", "xyz")).strip() == (
        "Environment variable updated successfully"
    )
    assert "Value: xyz" in ok(vastai("show", "env-vars", "-s"))
    assert ok(vastai("delete", "env-var", "HF_TOKEN")).strip() == (
        "Environment variable deleted successfully"
    )
    assert "No environment variables found." in ok(vastai("show", "env-vars"))


def _templates(vastai: CliRunner, query: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(ok(vastai("search", "templates", query)))
    return found


def test_official_cli_manages_templates_and_creates_an_instance_from_one(
    vastai: CliRunner, sim_admin: SimAdmin, vast_account: str
) -> None:
    created = ok(
        vastai(
            "create",
            "template",
            "--name",
            "trainer",
            "--image",
            "pytorch/pytorch",
            "--image_tag",
            "2.3",
            "--env",
            "-e MODE=train -p 8000:8000",
            "--onstart-cmd",
            "echo ready",
            "--ssh",
            "--direct",
            "--disk_space",
            "24",
        )
    )
    assert created.startswith("New Template: {")
    (template,) = _templates(vastai, "name=trainer")
    assert (template["image"], template["tag"], template["runtype"]) == (
        "pytorch/pytorch",
        "2.3",
        "ssh",
    )
    assert template["recommended_disk_space"] == 24 and template["private"] is True
    assert {t["name"] for t in _templates(vastai, "recommended=true")} >= {"PyTorch (cuDNN Devel)"}

    offer = json.loads(ok(vastai("search", "offers", "num_gpus=1", raw=True)))[0]
    started = ok(
        vastai("create", "instance", str(offer["id"]), "--template_hash", template["hash_id"])
    )
    instance_id = re.search(r"'new_contract': (\d+)", started)
    assert instance_id, started
    sim_admin.advance(1)
    shown = json.loads(ok(vastai("show", "instance", instance_id.group(1), raw=True)))
    assert (shown["template_hash_id"], shown["image_uuid"], shown["onstart"]) == (
        template["hash_id"],
        "pytorch/pytorch:2.3",
        "echo ready",
    )
    assert shown["disk_space"] == 10, "the CLI always sends --disk (10 by default), which wins"
    assert shown["extra_env"]["MODE"] == "train"
    ok(vastai("destroy", "instance", instance_id.group(1), "-y"))

    updated = ok(vastai("update", "template", template["hash_id"], "--name", "trainer2", "--ssh"))
    assert updated.startswith("updated template: {")
    (edited,) = _templates(vastai, f"id={template['id']}")
    assert (edited["name"], edited["image"]) == ("trainer2", "pytorch/pytorch")
    assert edited["hash_id"] != template["hash_id"]
    deleted = ok(vastai("delete", "template", "--hash-id", edited["hash_id"]))
    assert deleted.strip() == f"Template {template['id']} deleted"
    assert _templates(vastai, f"id={template['id']}") == []
    ok(vastai("create", "template", "--name", "again", "--image", "ubuntu"))
    (again,) = _templates(vastai, "name=again")
    assert ok(vastai("delete", "template", "--template-id", str(again["id"]))).strip() == (
        f"Template {again['id']} deleted"
    )
    assert sim_admin.ledger(vast_account)["totals"]["alive"] == 0


def test_official_cli_rents_shows_and_deletes_volumes(vastai: CliRunner) -> None:
    table = ok(vastai("search", "volumes", "disk_space>100"))
    for column in ("ID", "Disk", "$/Gb/Month", "mach_id", "country"):
        assert column in table.splitlines()[0]
    offers = json.loads(ok(vastai("search", "volumes", "disk_space>100", raw=True)))
    assert offers and all(o["disk_space"] > 100 for o in offers)
    assert str(offers[0]["id"]) in table

    created = ok(vastai("create", "volume", str(offers[0]["id"]), "-s", "20", "-n", "data"))
    name = re.search(r"'volume_name': 'V\.(\d+)'", created)
    assert created.startswith("Created. {'success': True") and name, created
    network = json.loads(ok(vastai("search", "network-volumes", raw=True)))
    assert network and all(o["cluster_id"] is not None for o in network)
    assert "Min BW MiB/s" in ok(vastai("search", "network-volumes"))
    ok(vastai("create", "network-volume", str(network[0]["id"]), "-s", "30"))

    listed = ok(vastai("show", "volumes"))
    assert "Name" in listed.splitlines()[0] and "data" in listed
    volumes = json.loads(ok(vastai("show", "volumes", raw=True)))
    assert [(v["type"], v["disk_space"]) for v in volumes] == [
        ("local_volume", 20),
        ("network_volume", 30),
    ]
    assert volumes[0]["id"] == int(name.group(1))
    (only,) = json.loads(ok(vastai("show", "volumes", "-t", "network", raw=True)))
    assert (only["type"], only["disk_space"]) == ("network_volume", 30)
    for volume in volumes:
        assert ok(vastai("delete", "volume", str(volume["id"]))).startswith("Deleted. {'success'")
    assert json.loads(ok(vastai("show", "volumes", raw=True))) == []


def test_official_cli_creates_instances_with_a_new_and_a_linked_volume(
    vastai: CliRunner, sim_admin: SimAdmin, vast_account: str
) -> None:
    machine = json.loads(ok(vastai("search", "offers", "num_gpus>=4", raw=True)))[0]["machine_id"]
    bundles = json.loads(ok(vastai("search", "offers", f"machine_id={machine}", raw=True)))
    one, two = sorted(bundles, key=lambda o: o["num_gpus"])[:2]
    (volume_offer,) = json.loads(ok(vastai("search", "volumes", f"machine_id={machine}", raw=True)))

    first = ok(
        vastai(
            "create",
            "instance",
            str(one["id"]),
            "--image",
            "ubuntu",
            "--create-volume",
            str(volume_offer["id"]),
            "--volume-size",
            "25",
            "--mount-path",
            "/root/work",
        )
    )
    first_id = re.search(r"'new_contract': (\d+)", first)
    assert first_id, first
    (volume,) = json.loads(ok(vastai("show", "volumes", raw=True)))
    assert (volume["disk_space"], volume["machine_id"]) == (25, machine)
    second = ok(
        vastai(
            "create",
            "instance",
            str(two["id"]),
            "--image",
            "ubuntu",
            "--link-volume",
            str(volume["id"]),
            "--mount-path",
            "/data",
        )
    )
    second_id = re.search(r"'new_contract': (\d+)", second)
    assert second_id, second
    sim_admin.advance(1)
    assert f"#{volume['id']} 0/25 GB" in ok(vastai("show", "instances"))
    (shared,) = json.loads(ok(vastai("show", "volumes", raw=True)))
    assert [user["id"] for user in shared["instances"]] == [
        int(first_id.group(1)),
        int(second_id.group(1)),
    ]

    refused = vastai("delete", "volume", str(volume["id"]))
    assert "Failed with error 400" in refused.stderr, refused.stderr
    for instance_id in (first_id, second_id):
        ok(vastai("destroy", "instance", instance_id.group(1), "-y"))
    ok(vastai("delete", "volume", str(volume["id"])))
    totals = sim_admin.ledger(vast_account)["totals"]
    assert (totals["alive"], totals["volumes_alive"], totals["billing"]) == (0, 0, 0)


def test_their_responses_validate_against_openapi(official: VastClient) -> None:
    bodies = [
        (
            "/api/v0/secrets",
            "post",
            official.post("/secrets/", json_data={"key": "K", "value": "v"}),
        ),
        ("/api/v0/secrets", "get", official.get("/secrets/")),
        ("/api/v0/secrets", "put", official.put("/secrets/", json_data={"key": "K", "value": "w"})),
        (
            "/api/v0/secrets",
            "post",
            official.post("/secrets/", json_data={"key": "K", "value": "x"}),
        ),
        (
            "/api/v0/secrets",
            "put",
            official.put("/secrets/", json_data={"key": "K", "value": "a b"}),
        ),
        ("/api/v0/secrets", "delete", official.delete("/secrets/", json_data={"key": "K"})),
        ("/api/v0/secrets", "delete", official.delete("/secrets/", json_data={"key": "K"})),
    ]
    created = official.post("/template/", json_data={"name": "t", "image": "ubuntu"})
    hash_id = created.json()["template"]["hash_id"]
    bodies += [
        ("/api/v0/template", "post", created),
        ("/api/v0/template", "post", official.post("/template/", json_data={"image": "x"})),
        (
            "/api/v0/template",
            "get",
            official.get("/template/", query_args={"select_cols": ["*"], "select_filters": {}}),
        ),
        ("/api/v0/template", "put", official.put("/template/", json_data={"hash_id": hash_id})),
        (
            "/api/v0/template",
            "get",
            official.get("/template/", query_args={"select_filters": {"nope": {"eq": 1}}}),
        ),
        (
            "/api/v0/template",
            "delete",
            official.delete("/template/", json_data={"hash_id": hash_id}),
        ),
    ]
    search = official.post(
        "/volumes/search/",
        json_data={"verified": {"eq": True}, "order": [["score", "desc"]], "allocated_storage": 1},
    )
    rented = official.put("/volumes/", json_data={"id": search.json()["offers"][0]["id"]})
    network_offer = official.post("/network_volumes/search/", json_data={}).json()["offers"][0]
    official.put("/network_volumes/", json_data={"id": network_offer["id"], "size": 15})
    listed = official.get("/volumes", query_args={"owner": "me", "type": "all_volume"})
    bodies += [
        ("/api/v0/volumes/search", "post", search),
        ("/api/v0/volumes/search", "post", official.post("/volumes/search/", json_data={"x": 1})),
        ("/api/v0/volumes", "put", rented),
        ("/api/v0/volumes", "get", listed),
    ]
    bodies += [
        ("/api/v0/volumes", "delete", official.delete("/volumes/", query_args={"id": volume["id"]}))
        for volume in listed.json()["volumes"]
    ]
    bodies.append(("/api/v0/volumes", "delete", official.delete("/volumes/", query_args={"id": 1})))

    assert len(listed.json()["volumes"]) == 2
    statuses = [response.status_code for _, _, response in bodies]
    assert statuses.count(400) == 6 and statuses.count(404) == 1, statuses
    for path, method, response in bodies:
        assert_schema(path, method, response.status_code, response.json())
