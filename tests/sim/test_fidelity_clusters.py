"""Fidelity of clusters and overlays: the official package's SDK functions
(`vastai.api.clusters`, which its 1.9.1 CLI defines but does not register) manage the
account's clusters and overlays against the simulator, called exactly as the package calls
them; the official CLI rents into an overlay with ``--env "-n NAME"``; deleting the overlay
destroys its instances; and inside its instances the overlay is `eth0`, one address each.

The responses carry every field the package's own (unregistered) `show clusters` and `show
overlays` commands read: `clusters[id].subnet` and `.nodes[].machine_id`,
`.is_cluster_manager`, `.local_ip`; `overlay_id`, `name`, `internal_subnet`, `cluster_id`,
`instances`; `msg` on every write.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

import httpx
import pytest
import requests
from vastai.api import clusters as sdk
from vastai.api.client import VastClient

from pulumi_vast.sim.testing import SimAdmin
from tests.sim.fidelity import CliRunner, ok
from tests.sim.renting import rent
from tests.sim.sshutil import new_key, public_line, ssh_run

pytestmark = pytest.mark.slow


def _offers(client: VastClient, **filters: Any) -> list[dict[str, Any]]:
    body = {"limit": 1000, "order": [["dph_total", "asc"]], **filters}
    offers: list[dict[str, Any]] = client.post("/bundles/", json_data=body).json()["offers"]
    return offers


def _cluster_offers(client: VastClient) -> tuple[int, list[dict[str, Any]]]:
    """The cluster with the most single-GPU offers, and those offers (one per machine)."""
    offers = _offers(client, num_gpus={"eq": 1}, cluster_id={"neq": None})
    by_cluster: dict[int, list[dict[str, Any]]] = {}
    for offer in offers:
        by_cluster.setdefault(offer["cluster_id"], []).append(offer)
    cluster_id = max(by_cluster, key=lambda c: len(by_cluster[c]))
    return cluster_id, by_cluster[cluster_id]


def test_official_sdk_manages_the_hosts_clusters(official: VastClient) -> None:
    loose = sorted({o["machine_id"] for o in _offers(official, cluster_id={"eq": None})})
    manager, *members = loose[:3]
    created = sdk.create_cluster(official, subnet="10.42.0.0/24", manager_id=manager)
    assert created["success"] is True and "Created cluster" in created["msg"]
    (cluster_id, shown), *others = sdk.show_clusters(official)["clusters"].items()
    assert others == []
    assert shown == {
        "subnet": "10.42.0.0/24",
        "nodes": [{"machine_id": manager, "is_cluster_manager": True, "local_ip": "10.42.0.1"}],
    }
    assert re.search(rf"\b{cluster_id}\b", created["msg"]), "the new id is in msg"
    assert "msg" in sdk.join_cluster(official, int(cluster_id), members)
    nodes = sdk.show_clusters(official)["clusters"][cluster_id]["nodes"]
    assert [n["machine_id"] for n in nodes] == [manager, *members]
    in_cluster = _offers(official, cluster_id={"eq": int(cluster_id)})
    assert {o["machine_id"] for o in in_cluster} == {manager, *members}

    with pytest.raises(requests.HTTPError, match="400"):
        sdk.remove_machine_from_cluster(official, int(cluster_id), manager)
    removed = sdk.remove_machine_from_cluster(
        official, int(cluster_id), manager, new_manager_id=members[0]
    )
    assert removed["success"] is True
    (node, other) = sdk.show_clusters(official)["clusters"][cluster_id]["nodes"]
    assert (node["machine_id"], node["is_cluster_manager"]) == (members[0], True)
    assert (other["machine_id"], other["is_cluster_manager"]) == (members[1], False)
    assert sdk.delete_cluster(official, int(cluster_id))["success"] is True
    assert sdk.show_clusters(official)["clusters"] == {}


def test_official_cli_rents_into_an_overlay_and_deleting_it_destroys_the_instances(
    official: VastClient, vastai: CliRunner, sim_admin: SimAdmin, vast_account: str
) -> None:
    cluster_id, offers = _cluster_offers(official)
    created = sdk.create_overlay(official, cluster_id=cluster_id, name="train-net")
    assert created["success"] is True and created["msg"]
    started = ok(
        vastai(
            "create", "instance", str(offers[0]["id"]), "--image", "ubuntu:22.04",
            "--env", "-e RANK=0 -n train-net",
        )
    )  # fmt: skip
    found = re.search(r"'new_contract': (\d+)", started)
    assert found, started
    first = int(found.group(1))
    second = official.put(f"/asks/{offers[1]['id']}/", json_data={"image": "ubuntu:22.04"})
    second_id = int(second.json()["new_contract"])
    joined = sdk.join_overlay(official, name="train-net", instance_id=second_id)
    assert joined["success"] is True

    (overlay,) = sdk.show_overlays(official)
    assert overlay["name"] == "train-net" and overlay["cluster_id"] == cluster_id
    assert overlay["instances"] == [first, second_id]
    assert ipaddress.ip_network(overlay["internal_subnet"])
    shown = json.loads(ok(vastai("show", "instance", str(first), raw=True)))
    assert shown["cluster_id"] == cluster_id

    outside = _offers(official, num_gpus={"eq": 1}, cluster_id={"eq": None})[0]
    refused = official.put(
        f"/asks/{outside['id']}/", json_data={"image": "ubuntu", "env": {"-n train-net": "1"}}
    )
    assert refused.status_code == 400 and f"cluster_id={cluster_id}" in refused.json()["msg"]

    by_id = sdk.delete_overlay(official, overlay["overlay_id"])
    assert by_id["success"] is True and "2 instance" in by_id["msg"]
    assert sdk.show_overlays(official) == []
    ledger = sim_admin.ledger(vast_account)
    assert ledger["totals"]["alive"] == 0
    assert {e["id"] for e in ledger["instances"] if e["destroyed_at"]} == {first, second_id}

    sdk.create_overlay(official, cluster_id=cluster_id, name="again")
    assert sdk.delete_overlay(official, "again")["success"] is True, "by name"


def test_overlay_members_see_their_own_overlay_address_as_eth0(
    vast_api: httpx.Client, sim_admin: SimAdmin
) -> None:
    key = new_key()
    vast_api.post("/api/v0/ssh/", json={"ssh_key": public_line(key)}).raise_for_status()
    body = {"num_gpus": {"eq": 1}, "cluster_id": {"neq": None}, "limit": 1000}
    offers = vast_api.post("/api/v0/bundles/", json=body).json()["offers"]
    cluster_id = max({o["cluster_id"] for o in offers}, key=[o["cluster_id"] for o in offers].count)
    vast_api.post("/api/v0/overlay/", json={"cluster_id": cluster_id, "name": "nccl"})
    pair = [o for o in offers if o["cluster_id"] == cluster_id][:2]
    members = [rent(vast_api, sim_admin, o["id"], env={"-n nccl": "1"}) for o in pair]
    loner = rent(vast_api, sim_admin)
    (overlay,) = vast_api.get("/api/v0/overlay/").json()
    subnet = ipaddress.ip_network(overlay["internal_subnet"])

    addresses = []
    for member in members:
        status, out = ssh_run(member["ssh_port"], key, "ip -4 addr show eth0; hostname -I")
        assert status == 0, out
        inet = re.search(r"^\s+inet (\S+) brd \S+ scope global eth0$", out, re.MULTILINE)
        assert inet, out
        interface = ipaddress.ip_interface(inet.group(1))
        assert interface.network == subnet
        assert out.splitlines()[-1].strip() == str(interface.ip)
        addresses.append(interface.ip)
    assert addresses[0] != addresses[1]
    _, out = ssh_run(loner["ssh_port"], key, "ip -4 -o addr show eth0")
    assert "inet 172.17.0.2/16" in out, "off any overlay: Docker's bridge"

    first = members[0]["id"]
    assert sim_admin.instance(first)["overlay"] == {
        "id": overlay["overlay_id"],
        "name": "nccl",
        "address": str(addresses[0]),
    }
    sim_admin.destroy(first)  # out of band: the overlay loses it, its billing stops
    (overlay,) = vast_api.get("/api/v0/overlay/").json()
    assert overlay["instances"] == [members[1]["id"]]
    assert vast_api.get(f"/api/v0/instances/{first}/").json()["instances"] is None


def test_official_cli_searches_offers_by_cluster(vastai: CliRunner) -> None:
    clustered = json.loads(ok(vastai("search", "offers", "cluster_id!=None num_gpus=1", raw=True)))
    assert clustered and all(o["cluster_id"] is not None for o in clustered)
    cluster_id = clustered[0]["cluster_id"]
    one = json.loads(ok(vastai("search", "offers", f"cluster_id={cluster_id}", raw=True)))
    assert one and {o["cluster_id"] for o in one} == {cluster_id}
    assert {o["machine_id"] for o in one} >= {
        o["machine_id"] for o in clustered if o["cluster_id"] == cluster_id
    }


def test_pulumi_vasts_client_drives_clusters_and_overlays(
    sim_url: str, vast_account: str, sim_admin: SimAdmin
) -> None:
    from pulumi_vast.api import CreateInstanceRequest, VastClient

    sim_admin.set_rate_limits(vast_account, False)
    with VastClient(sim_url, vast_account) as client:
        loose = client.offers.search("cluster_id=null", limit=1000)
        cluster = client.clusters.create("10.77.0.0/24", loose[0].machine_id)
        client.clusters.join(cluster.id, [loose[-1].machine_id])
        joined = client.clusters.get(cluster.id)
        assert joined is not None and joined.manager_id == loose[0].machine_id
        assert joined.machine_ids == (loose[0].machine_id, loose[-1].machine_id)
        assert client.clusters.delete(cluster.id) and not client.clusters.delete(cluster.id)

        offers = client.offers.search("cluster_id!=null num_gpus=1", limit=1000)
        cluster_id = offers[0].cluster_id
        assert cluster_id is not None
        overlay = client.overlays.create(cluster_id, "ranks")
        assert (overlay.name, overlay.cluster_id, overlay.instance_ids) == ("ranks", cluster_id, ())
        request = CreateInstanceRequest(image="ubuntu:22.04", network="ranks")
        instance_id = client.instances.create(offers[0].id, request)
        found = client.overlays.find("ranks")
        assert found is not None and found.instance_ids == (instance_id,)
        assert client.overlays.delete(overlay.id) is True
        assert client.overlays.delete(overlay.id) is False
    assert sim_admin.ledger(vast_account)["totals"]["alive"] == 0
