"""Clusters and overlays: the official bodies (`vastai.api.clusters`), the listing shapes
its CLI reads, ids found after a create that answers only a message, gone-is-done."""

from __future__ import annotations

import httpx
import pytest

from pulumi_vast.api import (
    BadRequest,
    Cluster,
    ClusterNode,
    CreateInstanceRequest,
    Overlay,
    ResponseLost,
)
from tests.api.fake_vast import FakeVast, reply
from tests.api.official import sent_by

OK = {"success": True, "msg": "done"}
CLUSTERS = {
    "success": True,
    "clusters": {
        "5002": {
            "subnet": "10.0.0.0/24",
            "nodes": [
                {"machine_id": 11, "is_cluster_manager": False, "local_ip": "10.0.0.2"},
                {"machine_id": 10, "is_cluster_manager": True, "local_ip": "10.0.0.1"},
            ],
        }
    },
}
OVERLAYS = [
    {
        "overlay_id": 7,
        "name": "train-net",
        "internal_subnet": "10.0.7.0/24",
        "cluster_id": 200,
        "instances": [21000001, 21000002],
    }
]


def test_every_call_sends_the_official_body() -> None:
    from vastai.api import clusters as official

    theirs = [
        sent_by(official.show_clusters),
        sent_by(official.create_cluster, "10.0.0.0/24", 10),
        sent_by(official.join_cluster, 5002, [11, 12]),
        sent_by(official.remove_machine_from_cluster, 5002, 11),
        sent_by(official.remove_machine_from_cluster, 5002, 10, 12),
        sent_by(official.delete_cluster, 5002),
        sent_by(official.show_overlays),
        sent_by(official.create_overlay, 200, "train-net"),
        sent_by(official.join_overlay, "train-net", 21000001),
        sent_by(official.delete_overlay, 7),
        sent_by(official.delete_overlay, "train-net"),
    ]
    fake = FakeVast()
    fake.on("GET", "/api/v0/clusters/", reply(200, CLUSTERS))
    fake.on("GET", "/api/v0/overlay/", reply(200, OVERLAYS))
    for method in ("POST", "PUT", "DELETE"):
        fake.on(method, "/api/v0/cluster/", reply(200, OK))
        fake.on(method, "/api/v0/overlay/", reply(200, OK))
    fake.on("DELETE", "/api/v0/cluster/remove_machine/", reply(200, OK))
    client = fake.client()
    client.clusters.list()
    client.clusters.create("10.0.0.0/24", 10)
    client.clusters.join(5002, [11, 12])
    client.clusters.remove_machine(5002, 11)
    client.clusters.remove_machine(5002, 10, new_manager_id=12)
    assert client.clusters.delete(5002) is True
    client.overlays.list()
    client.overlays.create(200, "train-net")
    client.overlays.join("train-net", 21000001)
    assert client.overlays.delete(7) is True
    assert client.overlays.delete("train-net") is True
    sent = [(r.method, r.path, r.body) for r in fake.requests]
    # Our creates read the new object back (the GET after each POST): no call of theirs.
    ours = [c for i, c in enumerate(sent) if not (c[0] == "GET" and sent[i - 1][0] == "POST")]
    want = [(t.method, t.path, t.body if t.body is not None else {}) for t in theirs]
    assert [(m, p, b if b is not None else {}) for m, p, b in ours] == want


def test_lists_parse_what_the_official_cli_reads() -> None:
    fake = FakeVast()
    fake.on("GET", "/api/v0/clusters/", reply(200, CLUSTERS))
    fake.on("GET", "/api/v0/overlay/", reply(200, OVERLAYS))
    client = fake.client()
    (cluster,) = client.clusters.list()
    assert cluster == Cluster(
        id=5002,
        subnet="10.0.0.0/24",
        nodes=(
            ClusterNode(machine_id=11, is_cluster_manager=False, local_ip="10.0.0.2"),
            ClusterNode(machine_id=10, is_cluster_manager=True, local_ip="10.0.0.1"),
        ),
    )
    assert (cluster.manager_id, cluster.machine_ids) == (10, (11, 10))
    assert client.clusters.managed_by(10) == cluster and client.clusters.managed_by(11) is None
    (overlay,) = client.overlays.list()
    assert (overlay.id, overlay.name, overlay.cluster_id) == (7, "train-net", 200)
    assert (overlay.subnet, overlay.instance_ids) == ("10.0.7.0/24", (21000001, 21000002))
    assert client.overlays.find("train-net") == overlay == client.overlays.get(7)
    assert client.overlays.find("other") is None


def test_creates_return_the_new_object_found_by_manager_or_name() -> None:
    fake = FakeVast()
    fake.on("POST", "/api/v0/cluster/", reply(200, {"success": True, "msg": "Created 5002"}))
    fake.on("POST", "/api/v0/overlay/", reply(200, OK))
    fake.on("GET", "/api/v0/clusters/", reply(200, CLUSTERS))
    fake.on("GET", "/api/v0/overlay/", reply(200, OVERLAYS))
    client = fake.client()
    assert client.clusters.create("10.0.0.0/24", 10).id == 5002
    assert client.overlays.create(200, "train-net") == Overlay.model_validate(OVERLAYS[0])


def test_a_lost_create_is_never_repeated_and_is_found_afterwards() -> None:
    fake = FakeVast()
    fake.on("POST", "/api/v0/overlay/", httpx.ReadTimeout("lost"), reply(200, OK))
    fake.on("POST", "/api/v0/cluster/", reply(502, text="gateway"), reply(200, OK))
    fake.on("GET", "/api/v0/overlay/", reply(200, OVERLAYS))
    fake.on("GET", "/api/v0/clusters/", reply(200, CLUSTERS))
    client = fake.client()
    with pytest.raises(ResponseLost):
        client.overlays.create(200, "train-net")
    with pytest.raises(ResponseLost):
        client.clusters.create("10.0.0.0/24", 10)
    assert len(fake.calls("POST", "/api/v0/overlay/")) == 1
    assert len(fake.calls("POST", "/api/v0/cluster/")) == 1
    assert client.overlays.find("train-net") is not None
    assert client.clusters.managed_by(10) is not None


def test_deleting_what_is_gone_is_done_and_refusals_are_errors() -> None:
    missing = {"success": False, "error": "no_such_overlay", "msg": "Overlay 7 not found"}
    fake = FakeVast()
    fake.on("DELETE", "/api/v0/overlay/", reply(404, missing))
    fake.on("DELETE", "/api/v0/cluster/", reply(404, {"error": "no_such_cluster", "msg": "no"}))
    refused = {"success": False, "error": "invalid_args", "msg": "Invalid args: cluster_id=200"}
    fake.on("PUT", "/api/v0/overlay/", reply(400, refused))
    client = fake.client()
    assert client.overlays.delete(7) is False
    assert client.clusters.delete(5002) is False
    with pytest.raises(BadRequest, match="cluster_id=200"):
        client.overlays.join("train-net", 1)


def test_overlay_names_are_checked_before_sending() -> None:
    fake = FakeVast()
    with pytest.raises(ValueError, match="lower-case"):
        fake.client().overlays.create(200, "Train_Net")
    assert fake.requests == []


def test_an_instance_joins_at_create_with_dash_n_in_its_env() -> None:
    request = CreateInstanceRequest(image="ubuntu", network="train-net", env={"RANK": "0"})
    assert request.to_payload()["env"] == {"RANK": "0", "-n train-net": "1"}
