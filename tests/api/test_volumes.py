"""Volumes: the search (against the official client's body), rent, list, find, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from pulumi_vast.api import (
    VF,
    APIError,
    CreateVolumeRequest,
    F,
    Query,
    QueryError,
    ResponseLost,
    UnexpectedResponse,
    Volume,
    VolumeOffer,
)
from tests.api.fake_vast import FakeVast, reply
from tests.api.official import Sent, sent_by

DATA = Path(__file__).parent / "data"
SEARCH = "/api/v0/volumes/search/"
RENT = "/api/v0/volumes/"
LIST = "/api/v0/volumes"
REQUEST = CreateVolumeRequest(offer_id=420, size=50, name="stack/data-3f9c")


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def official(call: str, **kwargs: Any) -> Sent:
    """What the official search or storage function ``call`` sends."""
    from vastai.api import offers, storage

    return sent_by(getattr(offers if call.startswith("search") else storage, call), **kwargs)


def searching(route: str = SEARCH, answer: str = "volume_offers.json") -> FakeVast:
    fake = FakeVast()
    fake.on("POST", route, reply(200, load(answer)))
    return fake


# --------------------------------------------------------------------------- search


def test_the_default_search_is_the_official_volume_search() -> None:
    fake = searching()
    fake.client().volumes.search()
    theirs = official("search_volumes")
    assert (theirs.method, theirs.path) == ("POST", SEARCH)
    assert fake.requests[0].body == theirs.body


def test_a_volume_query_sends_what_the_official_client_sends() -> None:
    from vastai.api.query import offers_mult, parse_query, vol_offers_fields

    text = "disk_space>50 duration>=7 static_ip=true"
    fake = searching()
    fake.client().volumes.search(text, order="disk_space-", limit=10, storage_gb=50.0)
    parsed = parse_query(text, {}, vol_offers_fields, {}, offers_mult)
    theirs = official(
        "search_volumes", query=parsed, order=[["disk_space", "desc"]], limit=10, storage=50.0
    ).body
    # The official parser sends most values as the strings typed; we send them typed.
    assert theirs["disk_space"] == {"gt": "50"} and theirs["static_ip"] == {"eq": True}
    assert fake.requests[0].body == theirs | {"disk_space": {"gt": 50.0}}


def test_search_takes_a_vf_query_and_refuses_a_gpu_one_before_any_request() -> None:
    fake = searching()
    client = fake.client()
    client.volumes.search(Query.where(VF.inet_up > 500, VF.verified.any()))
    body = fake.requests[0].body
    assert body["inet_up"] == {"gt": 500.0} and "verified" not in body
    with pytest.raises(QueryError, match="a query of GPU offers cannot search volume offers"):
        client.volumes.search(Query.where(F.num_gpus == 1))
    with pytest.raises(QueryError, match="Valid fields of volume offers"):
        client.volumes.search("gpu_ram>=24")
    with pytest.raises(QueryError, match="a query of volume offers cannot search GPU offers"):
        client.offers.search(Query.where(VF.disk_space >= 5))
    assert len(fake.requests) == 1


def test_volume_offers_parse_the_openapi_fields() -> None:
    fake = searching()
    (offer,) = fake.client().volumes.search()
    assert isinstance(offer, VolumeOffer)
    assert (offer.id, offer.machine_id, offer.disk_space) == (420, 36683, 1024.0)
    assert (offer.storage_cost, offer.reliability, offer.duration) == (0.4, 0.9649497, 2592000.0)
    assert offer.get("geolocode") == "SE"  # kept as an extra
    assert Query.where(VF.duration > 29, VF.cuda_vers >= 12.8).matches(offer)


def test_the_search_is_retried_though_it_is_a_post() -> None:
    fake = FakeVast()
    fake.on("POST", SEARCH, reply(502, text="bad gateway"), reply(200, load("volume_offers.json")))
    assert len(fake.client().volumes.search()) == 1
    assert len(fake.requests) == 2


# --------------------------------------------------------------------------- rent


def test_rent_sends_the_official_body_and_reads_the_id_from_the_volume_name() -> None:
    fake = FakeVast()
    fake.on("PUT", RENT, reply(200, load("volume_create.json")))
    assert fake.client().volumes.create(REQUEST) == 20118481
    theirs = official("create_volume", id=420, size=50, name="stack/data-3f9c")
    assert (theirs.method, theirs.path) == ("PUT", RENT)
    assert fake.requests[0].body == theirs.body
    assert CreateVolumeRequest(offer_id=420).to_payload() == official("create_volume", id=420).body


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("lost"), httpx.RemoteProtocolError("cut off"), reply(502, text="gateway")],
)
def test_a_rent_that_may_have_happened_is_not_repeated(failure: Any) -> None:
    fake = FakeVast()
    fake.on("PUT", RENT, failure, reply(200, load("volume_create.json")))
    with pytest.raises(ResponseLost):
        fake.client().volumes.create(REQUEST)
    assert len(fake.requests) == 1


def test_after_a_lost_answer_the_volume_is_found_by_its_name() -> None:
    fake = FakeVast()
    fake.on("PUT", RENT, httpx.ReadTimeout("lost"))
    fake.on("GET", LIST, reply(200, load("volumes_list.json")))
    client = fake.client()
    with pytest.raises(ResponseLost):
        client.volumes.create(REQUEST)
    (found,) = client.volumes.find("stack/data-3f9c")
    assert found.id == 20118481


def test_an_answer_without_a_volume_name_is_resolved_by_the_name_given() -> None:
    fake = FakeVast()
    fake.on("PUT", RENT, reply(200, {"success": True}))
    fake.on("GET", LIST, reply(200, load("volumes_list.json")))
    client = fake.client()
    assert client.volumes.create(REQUEST) == 20118481
    with pytest.raises(UnexpectedResponse, match="may exist and bill"):
        client.volumes.create(CreateVolumeRequest(offer_id=420))
    assert len(fake.calls("PUT", RENT)) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"size": 0}, "size"), ({"name": " padded"}, "name"), ({"name": ""}, "name"),
     ({"offer_id": 0}, "offer_id"), ({"extra": 1}, "extra")],
)  # fmt: skip
def test_invalid_rent_requests_name_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CreateVolumeRequest(**{"offer_id": 420, **fields})
    assert field in str(caught.value)


# --------------------------------------------------------------------------- list, delete


def test_list_sends_the_official_query_and_parses_the_openapi_fields() -> None:
    fake = FakeVast()
    fake.on("GET", LIST, reply(200, load("volumes_list.json")))
    attached, loose = fake.client().volumes.list()
    theirs = official("show_volumes", type="local")
    assert (theirs.method, theirs.path) == ("GET", LIST)
    assert fake.requests[0].query == theirs.body
    assert isinstance(attached, Volume)
    assert (attached.name, attached.size_gb, attached.status) == (
        "stack/data-3f9c",
        50.0,
        "running",
    )
    assert (attached.machine_id, attached.reliability) == (36683, 0.9649497)
    assert attached.storage_total_cost == pytest.approx(0.4 * 50 / 720)
    assert (attached.instance_ids, attached.is_mounted) == ((77,), True)
    assert (loose.name, loose.instance_ids, loose.is_mounted) == (None, (), False)


@pytest.mark.parametrize(
    ("instances", "ids"), [([77, 78], (77, 78)), ([{"id": 5}, {"other": 1}], (5,)), (None, ())]
)
def test_mounting_instances_are_read_as_ids_or_objects(
    instances: Any, ids: tuple[int, ...]
) -> None:
    assert Volume.model_validate({"id": 1, "instances": instances}).instance_ids == ids


def test_get_reads_the_listing() -> None:
    fake = FakeVast()
    fake.on("GET", LIST, reply(200, load("volumes_list.json")))
    client = fake.client()
    volume = client.volumes.get(20118482)
    assert volume is not None and volume.disk_space == 15.0
    assert client.volumes.get(1) is None


def test_delete_sends_the_id_both_ways_and_treats_gone_as_done() -> None:
    fake = FakeVast()
    missing = {"success": False, "error": "no_such_volume", "msg": "No such volume"}
    fake.on("DELETE", RENT, reply(503, text="busy"), reply(200, {"success": True}),
            reply(404, missing))  # fmt: skip
    client = fake.client()
    assert client.volumes.delete(20118481) is True  # retried past the 503
    assert client.volumes.delete(20118481) is False
    theirs = official("delete_volume", id=20118481)
    assert theirs.path == RENT
    assert all(r.query == theirs.body and r.body == {"id": 20118481} for r in fake.requests)


def test_a_mounted_volume_is_refused_not_reported_gone() -> None:
    fake = FakeVast()
    busy = {"success": False, "error": "invalid_args", "msg": "Volume is in use by an instance"}
    fake.on("DELETE", RENT, reply(400, busy))
    with pytest.raises(APIError, match="in use"):
        fake.client().volumes.delete(20118481)


@pytest.mark.parametrize("body", [{"success": True}, {"volumes": None}, []])
def test_a_listing_without_volumes_is_unexpected(body: Any) -> None:
    fake = FakeVast()
    fake.on("GET", LIST, reply(200, body))
    with pytest.raises(UnexpectedResponse, match="'volumes'"):
        fake.client().volumes.list()
