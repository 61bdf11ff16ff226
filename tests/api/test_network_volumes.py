"""Network volumes: the volume calls at the routes the official client uses for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from vastai.api import offers, storage

from pulumi_vast.api import VF, CreateVolumeRequest, Query, ResponseLost
from tests.api.fake_vast import FakeVast, reply
from tests.api.official import sent_by

DATA = Path(__file__).parent / "data"
SEARCH = "/api/v0/network_volumes/search/"
RENT = "/api/v0/network_volumes/"
LIST = "/api/v0/volumes"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def test_search_is_the_official_network_volume_search() -> None:
    fake = FakeVast()
    fake.on("POST", SEARCH, reply(200, load("network_volume_offers.json")))
    (offer,) = fake.client().network_volumes.search(Query.where(VF.nw_disk_avg_bw >= 1000))
    theirs = sent_by(offers.search_network_volumes)
    assert (theirs.method, theirs.path) == ("POST", SEARCH)
    assert fake.requests[0].body == theirs.body | {"nw_disk_avg_bw": {"gte": 1000.0}}
    assert (offer.id, offer.cluster_id, offer.nw_disk_avg_bw) == (7001, 12, 1300.0)
    assert offer.reliability == 0.995


def test_rent_is_the_official_network_volume_rent_and_never_repeated() -> None:
    request = CreateVolumeRequest(offer_id=7001, size=100, name="stack/shared")
    fake = FakeVast()
    fake.on("PUT", RENT, reply(200, {"success": True, "volume_name": "V.31"}))
    assert fake.client().network_volumes.create(request) == 31
    theirs = sent_by(storage.create_network_volume, id=7001, size=100, name="stack/shared")
    assert (theirs.method, theirs.path) == ("PUT", RENT)
    assert fake.requests[0].body == theirs.body

    lost = FakeVast()
    lost.on("PUT", RENT, httpx.ReadTimeout("lost"), reply(200, {"volume_name": "V.31"}))
    with pytest.raises(ResponseLost):
        lost.client().network_volumes.create(request)
    assert len(lost.requests) == 1


def test_list_asks_for_network_volumes_and_delete_uses_the_volume_route() -> None:
    fake = FakeVast()
    fake.on("GET", LIST, reply(200, {"volumes": [{"id": 31, "label": "stack/shared"}]}))
    fake.on("DELETE", "/api/v0/volumes/", reply(200, {"success": True}))
    client = fake.client()
    (volume,) = client.network_volumes.find("stack/shared")
    assert client.network_volumes.delete(volume.id) is True
    theirs = sent_by(storage.show_volumes, type="network")
    assert (theirs.method, theirs.path) == ("GET", LIST)
    assert fake.calls("GET", LIST)[0].query == theirs.body
    assert theirs.body == {"owner": "me", "type": "network_volume"}
