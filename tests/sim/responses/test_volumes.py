"""Volumes over HTTP: search, rent, list, delete; mounted by instances over SSH, shared by
the instances that mount one, surviving them. (Commands over SSH run in the instance's
folder, its /root and /workspace: a mount at /root/w or /data is ~/w or ~/data there.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pulumi_vast.sim.testing import SimAdmin
from tests.sim.renting import rent, show
from tests.sim.sshutil import new_key, public_line, ssh_run

pytestmark = pytest.mark.slow


def _volume_offers(api: httpx.Client, path: str = "/api/v0/volumes/search/", **body: Any) -> Any:
    response = api.post(path, json={"verified": {"eq": True}, "disk_space": {"gte": 1}, **body})
    assert response.status_code == 200, response.text
    return response.json()["offers"]


def _volumes(api: httpx.Client, kind: str = "all_volume") -> list[dict[str, Any]]:
    response = api.get("/api/v0/volumes/", params={"owner": "me", "type": kind})
    assert response.status_code == 200, response.text
    volumes: list[dict[str, Any]] = response.json()["volumes"]
    return volumes


def test_rent_list_and_delete(vast_api: httpx.Client) -> None:
    offer = _volume_offers(vast_api, order=[["storage_cost", "asc"]])[0]
    created = vast_api.put("/api/v0/volumes/", json={"id": offer["id"], "size": 20, "name": "d"})
    assert created.status_code == 200, created.text
    name = created.json()["volume_name"]
    assert created.json() == {"success": True, "volume_name": name}
    volume_id = int(name.removeprefix("V."))
    network_offer = _volume_offers(vast_api, "/api/v0/network_volumes/search/")[0]
    network = vast_api.put("/api/v0/network_volumes/", json={"id": network_offer["id"]})
    network_id = int(network.json()["volume_name"].removeprefix("V."))

    (local,) = _volumes(vast_api, "local_volume")
    assert (local["id"], local["label"], local["disk_space"]) == (volume_id, "d", 20)
    assert local["machine_id"] == offer["machine_id"] and local["status"] == "available"
    assert [v["id"] for v in _volumes(vast_api, "network_volume")] == [network_id]
    assert [v["id"] for v in _volumes(vast_api)] == [volume_id, network_id]

    assert vast_api.delete("/api/v0/volumes/", params={"id": volume_id}).json() == {"success": True}
    by_body = vast_api.request("DELETE", "/api/v0/volumes/", json={"id": network_id})
    assert by_body.json() == {"success": True}
    assert _volumes(vast_api) == []
    again = vast_api.delete("/api/v0/volumes/", params={"id": volume_id})
    assert (again.status_code, again.json()["error"]) == (404, "no_such_volume")
    too_big = vast_api.put("/api/v0/volumes/", json={"id": offer["id"], "size": 10**6})
    assert (too_big.status_code, too_big.json()["error"]) == (400, "invalid_args")


def test_instances_share_a_volume_that_outlives_them(
    vast_api: httpx.Client, sim_admin: SimAdmin
) -> None:
    key = new_key()
    vast_api.post("/api/v0/ssh/", json={"ssh_key": public_line(key)})
    bundles = vast_api.post(
        "/api/v0/bundles/", json={"num_gpus": {"gte": 4}, "order": [["dph_total", "asc"]]}
    ).json()["offers"]
    machine_id = bundles[0]["machine_id"]
    on_machine = vast_api.post(
        "/api/v0/bundles/",
        json={
            "machine_id": {"eq": machine_id},
            "num_gpus": {"lte": 2},
            "order": [["num_gpus", "asc"]],
        },
    ).json()["offers"]
    (volume_offer,) = _volume_offers(vast_api, machine_id={"eq": machine_id})
    first = rent(
        vast_api,
        sim_admin,
        on_machine[0]["id"],
        volume_info={"create_new": True, "volume_id": volume_offer["id"], "mount_path": "/root/w"},
    )
    (mounted,) = first["volume_info"]
    assert (mounted["mount_path"], mounted["total_space"]) == ("/root/w", 15)
    second = rent(
        vast_api,
        sim_admin,
        on_machine[1]["id"],
        volume_info={"create_new": False, "volume_id": mounted["id"], "mount_path": "/data"},
    )
    assert ssh_run(first["ssh_port"], key, "echo shared > ~/w/file")[0] == 0
    assert ssh_run(second["ssh_port"], key, "cat data/file") == (0, "shared\n")
    (volume,) = _volumes(vast_api)
    assert [user["id"] for user in volume["instances"]] == [first["id"], second["id"]]

    vast_api.put(f"/api/v0/instances/{second['id']}/", json={"state": "stopped"})
    refused = vast_api.delete("/api/v0/volumes/", params={"id": mounted["id"]})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_args")
    assert "in use" in refused.json()["msg"]
    for instance in (first, second):
        vast_api.delete(f"/api/v0/instances/{instance['id']}/")
    assert show(vast_api, first["id"]) is None

    third = rent(
        vast_api,
        sim_admin,
        on_machine[0]["id"],
        volume_info={"create_new": False, "volume_id": mounted["id"], "mount_path": "/again"},
    )
    assert ssh_run(third["ssh_port"], key, "cat ~/again/file") == (0, "shared\n")
    vast_api.delete(f"/api/v0/instances/{third['id']}/")
    assert vast_api.delete("/api/v0/volumes/", params={"id": mounted["id"]}).json()["success"]
    ledger = sim_admin.ledger(vast_api.headers["Authorization"].removeprefix("Bearer "))
    assert (ledger["totals"]["billing"], ledger["totals"]["volumes_alive"]) == (0, 0)
