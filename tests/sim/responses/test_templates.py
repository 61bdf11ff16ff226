"""`/api/v0/template/` over HTTP: create, search (own, public, Vast's), edit through both
routes, delete by id or hash; and an instance made from a template."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pulumi_vast.sim.testing import SimAdmin
from tests.sim.renting import cheapest_offer, show

pytestmark = pytest.mark.slow


def _search(api: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v0/template/", params={"select_filters": json.dumps(filters)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["templates_found"] == len(body["templates"])
    templates: list[dict[str, Any]] = body["templates"]
    return templates


def test_create_search_edit_delete(vast_api: httpx.Client) -> None:
    created = vast_api.post(
        "/api/v0/template/",
        json={"name": "job", "image": "ubuntu", "env": "-e A=1", "private": True},
    ).json()
    template = created["template"]
    assert created["success"] is True
    assert created["msg"] == f"Template Created Successfully! New Template ID: {template['id']}"
    assert [t["id"] for t in _search(vast_api, hash_id={"eq": template["hash_id"]})] == [
        template["id"]
    ]
    mine = _search(vast_api, creator_id={"eq": str(template["creator_id"])})
    assert [t["name"] for t in mine] == ["job"], "numbers may come as text, as the CLI sends"
    assert {t["name"] for t in _search(vast_api, recommended={"eq": "true"})} >= {"vLLM"}

    v0 = vast_api.put(
        "/api/v0/template/", json={"hash_id": template["hash_id"], "desc": "edited"}
    ).json()["template"]
    assert (v0["id"], v0["desc"], v0["image"]) == (template["id"], "edited", "ubuntu")
    assert v0["hash_id"] != template["hash_id"]
    v1 = vast_api.put(
        "/api/v1/template/",
        json={"id": v0["id"], "hash_id": v0["hash_id"], "name": "job2", "image": None},
    ).json()["template"]
    assert (v1["name"], v1["image"]) == ("job2", "ubuntu"), "None leaves a field as it was"

    deleted = vast_api.request("DELETE", "/api/v0/template/", json={"hash_id": v1["hash_id"]})
    assert deleted.json()["success"] is True
    assert _search(vast_api, id={"eq": template["id"]}) == []
    again = vast_api.request("DELETE", "/api/v0/template/", json={"template_id": template["id"]})
    assert (again.status_code, again.json()["success"]) == (404, False)


def test_refusals_are_vast_error_json(vast_api: httpx.Client) -> None:
    nameless = vast_api.post("/api/v0/template/", json={"image": "ubuntu"})
    assert (nameless.status_code, nameless.json()["msg"]) == (400, "Template name is required")
    unknown_filter = vast_api.get(
        "/api/v0/template/", params={"select_filters": json.dumps({"env": {"eq": "x"}})}
    )
    assert (unknown_filter.status_code, unknown_filter.json()["error"]) == (
        400,
        "invalid_request",
    )
    nothing = vast_api.request("DELETE", "/api/v0/template/", json={})
    assert (nothing.status_code, nothing.json()["error"]) == (400, "invalid_args")


def test_an_instance_made_from_a_template_shows_it(
    vast_api: httpx.Client, sim_admin: SimAdmin
) -> None:
    template = vast_api.post(
        "/api/v0/template/",
        json={"name": "web", "image": "nginx", "env": "-p 8080:8080", "runtype": "ssh"},
    ).json()["template"]
    offer = cheapest_offer(vast_api)
    created = vast_api.put(
        f"/api/v0/asks/{offer['id']}/",
        json={"template_hash_id": template["hash_id"], "label": "from-template"},
    )
    assert created.status_code == 200, created.text
    sim_admin.advance(1)
    row = show(vast_api, created.json()["new_contract"])
    assert (row["template_id"], row["template_hash_id"], row["template_name"]) == (
        template["id"],
        template["hash_id"],
        "web",
    )
    assert (row["image_uuid"], row["disk_space"]) == ("nginx", 8.0)
    assert "8080/tcp" in row["ports"]
    (counted,) = _search(vast_api, id={"eq": template["id"]})
    assert counted["count_created"] == 1
    other = cheapest_offer(vast_api)["id"]
    unknown = vast_api.put(f"/api/v0/asks/{other}/", json={"template_hash_id": "f" * 32})
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_args")
