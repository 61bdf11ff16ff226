"""Instances: the create body and its no-retry rule, reads, pagination, management calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from pulumi_vast.api import (
    BadRequest,
    CreateInstanceRequest,
    Instance,
    InstanceCreatedWithError,
    ResponseLost,
    Unauthorized,
    UnexpectedResponse,
    VolumeAttachment,
)
from pulumi_vast.api.transport import encode_query
from tests.api.fake_vast import FakeVast, reply

DATA = Path(__file__).parent / "data"
CREATE = "/api/v0/asks/4242/"
ONE = "/api/v0/instances/77/"
LIST = "/api/v1/instances/"
CREATED = {"success": True, "new_contract": 77}
REQUEST = CreateInstanceRequest(image="pytorch/pytorch:latest", label="stack/res-1", disk=32)


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


# --------------------------------------------------------------------------- create


def test_create_payload_matches_the_official_builder() -> None:
    from vastai.api.instances import build_create_instance_payload

    request = CreateInstanceRequest(
        image="vastai/base:cuda-12",
        disk=40,
        env={"HF_HOME": "/data", "-p 8080:8080": "1"},
        ports=("9000", "53/udp"),
        network="train-net",
        label="stack/gpu",
        onstart="echo hi",
        runtype="ssh_direct",
        price=0.25,
        cancel_unavail=True,
    )
    official = build_create_instance_payload(
        image="vastai/base:cuda-12",
        disk=40,
        env="-e HF_HOME=/data -p 8080:8080 -p 9000:9000 -p 53:53/udp -n train-net",
        label="stack/gpu",
        onstart_cmd="echo hi",
        runtype="ssh_direct",
        price=0.25,
        cancel_unavail=True,
    )
    assert request.to_payload() == official


def test_create_payload_with_args_and_volume_matches_the_official_builder() -> None:
    from vastai.api.instances import build_create_instance_payload

    request = CreateInstanceRequest(
        image="busybox",
        args=("sleep", "infinity"),
        volume=VolumeAttachment(volume_id=5, mount_path="/workspace", create_new=True, size=20),
        target_state="stopped",
    )
    official = build_create_instance_payload(
        image="busybox", args=["sleep", "infinity"], create_volume=5, volume_size=20,
        mount_path="/workspace",
    )  # fmt: skip
    assert request.to_payload() == official | {"target_state": "stopped"}


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (VolumeAttachment.new(420, "/workspace"),
         {"create_volume": 420, "mount_path": "/workspace"}),
        (VolumeAttachment.new(420, "/data/", size=50, name="stack/data"),
         {"create_volume": 420, "volume_size": 50, "mount_path": "/data/",
          "volume_label": "stack/data"}),
        (VolumeAttachment.link(20118481, "/root/volume"),
         {"link_volume": 20118481, "mount_path": "/root/volume"}),
    ],
)  # fmt: skip
def test_volume_info_is_what_create_instance_sends_for_a_new_or_linked_volume(
    ours: VolumeAttachment, theirs: dict[str, Any]
) -> None:
    from vastai.api.instances import build_volume_info

    assert ours.to_payload() == build_volume_info(**theirs)


@pytest.mark.parametrize(
    "fields",
    [
        {"volume_id": 1, "mount_path": "/"},
        {"volume_id": 1, "mount_path": "relative/path"},
        {"volume_id": 1, "mount_path": "/data", "size": 20},
        {"volume_id": 1, "mount_path": "/data", "name": "x"},
        {"volume_id": 1, "mount_path": "/data", "create_new": True, "size": 0},
    ],
)
def test_volume_info_the_official_client_would_refuse_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        VolumeAttachment(**fields)


def test_create_returns_the_new_contract_and_sends_the_body() -> None:
    fake = FakeVast()
    fake.on("PUT", CREATE, reply(200, CREATED))
    assert fake.client().instances.create(4242, REQUEST) == 77
    (sent,) = fake.requests
    assert sent.body == REQUEST.to_payload()
    assert sent.body["client_id"] == "me" and sent.body["label"] == "stack/res-1"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("no answer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
    ],
)
def test_a_create_whose_answer_is_lost_is_not_retried(failure: Exception) -> None:
    fake = FakeVast()
    fake.on("PUT", CREATE, failure, reply(200, CREATED))
    with pytest.raises(ResponseLost, match="label"):
        fake.client().instances.create(4242, REQUEST)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_create_answered_by_a_failing_gateway_is_not_retried(status: int) -> None:
    fake = FakeVast()
    fake.on("PUT", CREATE, reply(status, text="gateway"), reply(200, CREATED))
    with pytest.raises(ResponseLost, match=str(status)):
        fake.client().instances.create(4242, REQUEST)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "first",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("syn lost"), reply(429, text="slow"),
     reply(503, text="busy")],
)  # fmt: skip
def test_a_create_that_provably_did_not_happen_is_retried(first: Any) -> None:
    fake = FakeVast()
    fake.on("PUT", CREATE, first, reply(200, CREATED))
    assert fake.client().instances.create(4242, REQUEST) == 77
    assert len(fake.requests) == 2


def test_a_failed_create_that_left_an_instance_says_which() -> None:
    fake = FakeVast()
    low_bid = {"success": False, "error": "invalid_price", "msg": "bid too low", "new_contract": 91}
    fake.on("PUT", CREATE, reply(200, low_bid))
    with pytest.raises(InstanceCreatedWithError) as caught:
        fake.client().instances.create(4242, REQUEST)
    assert caught.value.instance_id == 91
    assert "instance 91" in str(caught.value) and "bid too low" in str(caught.value)


def test_a_refused_create_never_repeats_the_env_values_it_was_sent() -> None:
    token = "hf_not_for_errors_42"
    request = REQUEST.model_copy(update={"env": {"HF_TOKEN": token, "-p 8080:8080": "1"}})
    fake = FakeVast()
    echo = {"error": "invalid_args", "msg": f"bad env HF_TOKEN={token}", "env": {"HF_TOKEN": token}}
    fake.on("PUT", CREATE, reply(400, echo))
    with pytest.raises(BadRequest) as caught:
        fake.client().instances.create(4242, request)
    for text in (str(caught.value), repr(caught.value.body), str(caught.value.msg)):
        assert token not in text
    assert "bad env HF_TOKEN=<redacted>" in str(caught.value)


@pytest.mark.parametrize("status", [404, 410])
def test_an_offer_taken_by_someone_else_is_gone(status: int) -> None:
    from pulumi_vast.api import Gone

    fake = FakeVast()
    msg = f"error {status}/3603: no_such_ask Instance type by id 4242 is not available."
    fake.on("PUT", CREATE, reply(status, {"success": False, "error": "no_such_ask", "msg": msg}))
    with pytest.raises(Gone) as caught:
        fake.client().instances.create(4242, REQUEST)
    assert str(caught.value) == f"PUT {CREATE} failed with {status} no_such_ask: {msg[:-1]}"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "image"),
        ({"image": "a b"}, "image"),
        ({"image": "x", "disk": 0}, "disk"),
        ({"image": "x", "price": 500.0}, "price"),
        ({"image": "x", "price": 0.0}, "price"),
        ({"image": "x", "runtype": "vnc"}, "runtype"),
        ({"image": "x", "env": {"BAD KEY": "v"}}, "env"),
        ({"image": "x", "ports": ("http",)}, "ports"),
        ({"image": "x", "ports": ("70000",)}, "ports"),
        ({"image": "x", "ports": ("0",)}, "ports"),
        ({"image": "x", "ports": ("8080:0",)}, "ports"),
        ({"image": "x", "network": "Has_Caps"}, "network"),
        ({"image": "x", "label": "l" * 1025}, "label"),
        ({"image": "x", "onstart": "x" * 5000}, "onstart"),
        ({"image": "x", "args": ("a",), "runtype": "ssh"}, "args"),
        ({"image": "x", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_create_requests_name_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CreateInstanceRequest(**fields)
    assert field in str(caught.value)


def test_a_refused_request_never_quotes_its_secrets() -> None:
    with pytest.raises(ValidationError) as caught:
        CreateInstanceRequest(image="x", env={"TOKEN": "hunter2_secret", "BAD KEY": "v"})
    assert "BAD KEY" in str(caught.value) and "hunter2_secret" not in str(caught.value)


def test_secrets_stay_out_of_the_request_repr() -> None:
    request = CreateInstanceRequest(
        image="x", env={"TOKEN": "hunter2"}, image_login="-u me -p s3cret docker.io"
    )
    assert "hunter2" not in repr(request) and "s3cret" not in repr(request)
    assert request.to_payload()["image_login"] == "-u me -p s3cret docker.io"


# --------------------------------------------------------------------------- read


def test_get_parses_the_openapi_example() -> None:
    fake = FakeVast()
    fake.on("GET", ONE, reply(200, load("instance_show.json")))
    instance = fake.client().instances.get(77)
    assert instance is not None and instance.id == 883
    assert fake.requests[0].query == {"owner": "me"}
    assert instance.local_ipaddrs == "10.2.202.31 172.17.0.1"  # stripped, as the official client
    assert instance.ports == {}  # this schema's list form carries no mapping
    assert instance.reliability == 0.9993661


@pytest.mark.parametrize(
    "answer",
    [
        reply(404, {"error": "not_found", "msg": "Instance not found"}),
        reply(200, {"instances": None}),
        reply(200, {}),
        reply(200, {"instances": []}),
    ],
)
def test_get_of_a_missing_instance_is_none(answer: httpx.Response) -> None:
    fake = FakeVast()
    fake.on("GET", ONE, answer)
    assert fake.client().instances.get(77) is None


def test_get_with_a_bad_key_raises_instead_of_reporting_the_instance_gone() -> None:
    fake = FakeVast()
    fake.on("GET", ONE, reply(404, {"success": False, "msg": "Invalid user key"}))
    with pytest.raises(Unauthorized):
        fake.client().instances.get(77)


def test_list_follows_every_page_with_the_official_query_encoding() -> None:
    from vastai.api.client import VastClient as OfficialClient

    page = load("instances_v1_page.json")
    rows = [dict(page["instances"][0], id=i) for i in range(1, 61)]

    def pages(request: httpx.Request) -> httpx.Response:
        args = dict(request.url.params)
        start = int(args.get("after_token", "0"))
        chunk = rows[start : start + 25]
        more = start + 25 < len(rows)
        return reply(
            200, {**page, "instances": chunk, "next_token": str(start + 25) if more else None}
        )

    fake = FakeVast()
    fake.on("GET", LIST, pages)
    instances = fake.client().instances.list(label="stack/res-1")
    assert [i.id for i in instances] == list(range(1, 61))
    first, second, third = fake.requests
    params = {
        "select_filters": {"label": {"eq": "stack/res-1"}},
        "order_by": [{"col": "id", "dir": "asc"}],
        "limit": 25,
    }
    official_url = OfficialClient(server_url="https://vast.test")._build_url(LIST, params)
    assert f"https://vast.test{LIST}?{first.raw_query}" == official_url
    assert first.raw_query == encode_query(params)
    assert "after_token" not in first.query
    assert (second.query["after_token"], third.query["after_token"]) == (25, 50)


def test_list_rows_expose_env_ports_and_ssh_endpoints() -> None:
    fake = FakeVast()
    fake.on("GET", LIST, reply(200, load("instances_v1_page.json") | {"next_token": None}))
    (instance,) = fake.client().instances.list()
    assert instance.extra_env == {"DOG": "CAT", "-p 70001:70001": "1"}
    assert instance.mapped_port(8888) == 8888 and instance.mapped_port(22) == 20000
    assert instance.mapped_port("9999/udp") is None
    assert [str(e) for e in instance.ssh_endpoints()] == [
        "ssh123.vast.ai:10600",
        "192.0.2.45:20000",
    ]
    assert [e.kind for e in instance.ssh_endpoints()] == ["proxy", "direct"]
    assert "CAT" not in repr(instance)


def test_a_repeated_page_token_stops_the_listing() -> None:
    fake = FakeVast()
    fake.on("GET", LIST, reply(200, {"instances": [], "next_token": "same"}))
    from pulumi_vast.api import UnexpectedResponse

    with pytest.raises(UnexpectedResponse, match="twice"):
        fake.client().instances.list()


@pytest.mark.parametrize(
    ("row", "pending", "failed"),
    [
        ({"actual_status": None}, True, False),
        ({"actual_status": "loading", "intended_status": "running"}, True, False),
        ({"actual_status": "created"}, True, False),
        ({"actual_status": "running"}, False, False),
        ({"actual_status": "exited", "intended_status": "running"}, False, True),
        ({"actual_status": "exited", "intended_status": "stopped"}, False, False),
        ({"actual_status": "offline", "intended_status": "running"}, False, True),
        ({"actual_status": "frozen"}, False, True),
        ({"actual_status": "loading", "status_msg": "Error: OCI runtime create failed: x"},
         False, True),
    ],
)  # fmt: skip
def test_status_sets(row: dict[str, Any], pending: bool, failed: bool) -> None:
    instance = Instance.model_validate({"id": 1, **row})
    assert (instance.is_pending, instance.is_failed) == (pending, failed)


def test_outbid_and_jupyter_ssh_port() -> None:
    stopped = dict.fromkeys(("cur_state", "intended_status", "next_state"), "stopped")
    assert Instance.model_validate({"id": 1, "is_bid": True, **stopped}).looks_outbid
    assert not Instance.model_validate({"id": 1, "is_bid": False, **stopped}).looks_outbid
    jupyter = Instance.model_validate(
        {"id": 1, "ssh_host": "ssh4.vast.ai", "ssh_port": 4000, "image_runtype": "jupyter_proxy"}
    )
    assert [str(e) for e in jupyter.ssh_endpoints()] == ["ssh4.vast.ai:4001"]


# --------------------------------------------------------------------------- manage


def test_state_label_destroy_and_ssh_key_calls() -> None:
    fake = FakeVast()
    fake.on("PUT", ONE, reply(200, {"success": True}))
    fake.on("DELETE", ONE, reply(200, {"success": True}), reply(404, {"error": "not_found"}))
    fake.on("POST", "/api/v0/instances/77/ssh/", reply(200, {"success": True}))
    client = fake.client()
    client.instances.set_state(77, "stopped")
    client.instances.set_label(77, "stack/res-1")
    assert client.instances.destroy(77) is True
    assert client.instances.destroy(77) is False
    client.instances.attach_ssh_key(77, "ssh-ed25519 AAAA me")
    bodies = [(r.method, r.body) for r in fake.requests]
    assert bodies == [
        ("PUT", {"state": "stopped"}),
        ("PUT", {"label": "stack/res-1"}),
        ("DELETE", {}),
        ("DELETE", {}),
        ("POST", {"ssh_key": "ssh-ed25519 AAAA me"}),
    ]
    with pytest.raises(ValueError, match="running"):
        client.instances.set_state(77, "paused")  # type: ignore[arg-type]


def test_an_instances_keys_arrive_as_a_json_string_and_parse() -> None:
    fake = FakeVast()
    keys = [{"id": 5, "name": "my-key", "public_key": "ssh-ed25519 AAAA me"}]
    fake.on(
        "GET",
        "/api/v0/instances/77/ssh/",
        reply(200, {"success": True, "ssh_keys": json.dumps(keys)}),
    )
    fake.on("GET", "/api/v0/instances/78/ssh/", reply(200, {"success": True}))
    client = fake.client()

    [key] = client.instances.ssh_keys(77)

    assert (key.id, key.public_key) == (5, "ssh-ed25519 AAAA me")
    with pytest.raises(UnexpectedResponse):
        client.instances.ssh_keys(78)
