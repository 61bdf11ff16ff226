"""`GET /api/v0/charges/`: what each contract cost, as the official `vastai show invoices-v1
--charges` asks for it, validated against openapi; destroyed contracts included, amounts
those of the ledger."""

from __future__ import annotations

import json

import httpx
import pytest
from vastai.api.client import VastClient

from pulumi_vast.sim.testing import SimAdmin
from tests.sim.fidelity import CliRunner, assert_schema, ok

pytestmark = pytest.mark.slow


def _rent(api: httpx.Client, sim_admin: SimAdmin, label: str) -> int:
    offer = api.post("/api/v0/bundles/", json={"num_gpus": {"eq": 1}}).json()["offers"][0]
    body = {"image": "ubuntu:22.04", "disk": 10, "label": label}
    instance_id: int = api.put(f"/api/v0/asks/{offer['id']}/", json=body).json()["new_contract"]
    sim_admin.advance(1)
    return instance_id


def test_charges_per_contract_as_the_official_cli_shows_them(
    vast_api: httpx.Client, sim_admin: SimAdmin, vastai: CliRunner, official: VastClient
) -> None:
    start = int(sim_admin.now())
    kept, gone = _rent(vast_api, sim_admin, "kept"), _rent(vast_api, sim_admin, "gone")
    sim_admin.advance(3600)
    vast_api.request("DELETE", f"/api/v0/instances/{gone}/", json={})
    sim_admin.advance(3600)
    end = int(sim_admin.now()) + 60
    shown = json.loads(
        ok(vastai("show", "invoices-v1", "--charges", "-s", str(start), "-e", str(end), raw=True))
    )
    rows = {row["source"]: row for row in shown["results"]}
    assert set(rows) == {f"instance-{kept}", f"instance-{gone}"}
    ledger = {e["id"]: e for e in sim_admin.ledger()["instances"]}
    for instance_id, label in ((kept, "kept"), (gone, "gone")):
        row = rows[f"instance-{instance_id}"]
        assert row["type"] == "instance" and row["metadata"]["label"] == label
        assert row["amount"] == pytest.approx(ledger[instance_id]["total_cost"], abs=0.002)
        assert {item["type"] for item in row["items"]} == {"gpu", "disk"}
    assert rows[f"instance-{gone}"]["amount"] < rows[f"instance-{kept}"]["amount"]

    window = {"day": {"gte": start, "lte": end}}
    paged = official.get("/charges/", query_args={"select_filters": window, "limit": 1})
    first = paged.json()
    assert (first["count"], first["total"]) == (1, 2) and first["next_token"]
    assert_schema("/api/v0/charges", "get", 200, first)
    rest = official.get(
        "/charges/",
        query_args={"select_filters": window, "limit": 1, "after_token": first["next_token"]},
    ).json()
    assert rest["next_token"] is None
    assert {first["results"][0]["source"], rest["results"][0]["source"]} == set(rows)
    only_volumes = {**window, "type": {"in": ["volume"]}}
    assert (
        official.get("/charges/", query_args={"select_filters": only_volumes}).json()["results"]
        == []
    )
    missing = official.get("/charges/", query_args={"select_filters": {}})
    assert missing.status_code == 400
    assert_schema("/api/v0/charges", "get", 400, missing.json())
    bad = official.get("/charges/", query_args={"select_filters": window, "after_token": "x"})
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_token")
