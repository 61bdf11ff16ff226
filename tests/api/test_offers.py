"""Offer search: the body we send (against the official client's) and the Offer model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pulumi_vast.api import CHEAPEST_FIRST, F, Offer, Query, QueryError, UnexpectedResponse
from tests.api.fake_vast import FakeVast, reply
from tests.api.official import sent_by

SEARCH = "/api/v0/bundles/"
DATA = Path(__file__).parent / "data"
EXAMPLE = json.loads((DATA / "bundles_response.json").read_text())


def official_body(query: str | None, **kwargs: Any) -> dict[str, Any]:
    from vastai.api import offers as official
    from vastai.api.query import offers_alias, offers_fields, offers_mult, parse_query

    parsed = parse_query(query, {}, offers_fields, offers_alias, offers_mult) if query else None
    sent = sent_by(official.search_offers, parsed, **kwargs)
    assert (sent.method, sent.path) == ("POST", SEARCH)
    body: dict[str, Any] = sent.body
    return body


def our_body(fake: FakeVast) -> dict[str, Any]:
    (sent,) = fake.calls("POST", SEARCH)
    body: dict[str, Any] = sent.body
    return body


def searching() -> FakeVast:
    fake = FakeVast()
    fake.on("POST", SEARCH, reply(200, EXAMPLE))
    return fake


def test_default_search_sends_the_official_body() -> None:
    fake = searching()
    fake.client().offers.search()
    assert our_body(fake) == official_body(None)


def test_search_body_matches_the_official_client_for_the_same_query() -> None:
    text = "gpu_ram>=24 num_gpus=2 reliability>0.98 geolocation in [US,CA]"
    fake = searching()
    fake.client().offers.search(text, order="dph+", limit=10, storage_gb=40.0)
    ours = our_body(fake)
    theirs = official_body(text, order=[["dph_total", "asc"]], limit=10, storage=40.0)
    # The official parser sends numbers as strings ("2"); we send them typed.
    assert ours["num_gpus"] == {"eq": 2} and theirs["num_gpus"] == {"eq": "2"}
    assert ours["reliability"] == {"gt": 0.98} and theirs["reliability"] == {"gt": "0.98"}
    for key in ("num_gpus", "reliability"):
        ours.pop(key), theirs.pop(key)
    assert ours == theirs


def test_search_without_defaults_and_as_interruptible() -> None:
    fake = searching()
    fake.client().offers.search(
        Query.where(F.num_gpus == 1), defaults=False, offer_type="bid", order=CHEAPEST_FIRST
    )
    assert our_body(fake) == official_body(
        None, no_default=True, offer_type="bid", order=[["dph_total", "asc"]]
    ) | {"num_gpus": {"eq": 1}}


def test_a_query_overrides_or_drops_a_default_filter() -> None:
    fake = searching()
    fake.client().offers.search("verified=any rented=true")
    body = our_body(fake)
    assert "verified" not in body
    assert body["rented"] == {"eq": True}
    assert body["rentable"] == {"eq": True}


def test_json_filters_are_sent_as_given_in_api_units() -> None:
    fake = searching()
    fake.client().offers.search({"gpu_ram": {"gte": 24000}, "verified": {"eq": False}})
    body = our_body(fake)
    assert body["gpu_ram"] == {"gte": 24000}
    assert body["verified"] == {"eq": False}


def test_bad_order_and_bad_query_fail_before_any_request() -> None:
    fake = searching()
    client = fake.client()
    with pytest.raises(QueryError, match="dhp"):
        client.offers.search(order="dhp+")
    with pytest.raises(QueryError, match="gpu_ram"):
        client.offers.search("gpu_ram>=lots")
    with pytest.raises(QueryError, match="asc"):
        client.offers.search(order=[("dph_total", "up")])
    assert fake.requests == []


def test_offers_parse_from_the_openapi_example() -> None:
    fake = searching()
    (offer,) = fake.client().offers.search()
    assert isinstance(offer, Offer)
    assert (offer.id, offer.machine_id, offer.host_id) == (12345678, 88888, 55555)
    assert offer.gpu_name == "Imaginary RTX 9999" and offer.num_gpus == 4
    assert offer.gpu_ram == 24576 and offer.gpu_ram_gib == 24.0
    assert offer.dph_total == 0.234567 and offer.reliability == 0.9999
    assert offer.driver_version == "999.99.99" and offer.cluster_id is None
    # Fields the model does not name are kept, and read like a row's.
    assert offer.model_extra is not None and offer.model_extra["avail_vol_ask_id"] == 333333
    assert offer.get("avail_vol_ask_id") == 333333 and offer.get("gpu_ram") == 24576
    assert offer.get("nonexistent", "x") == "x"
    assert offer["dph_total"] == 0.234567
    with pytest.raises(KeyError):
        offer["nonexistent"]


def test_reliability_may_arrive_as_reliability2() -> None:
    offer = Offer.model_validate({"id": 1, "reliability2": 0.97})
    assert offer.reliability == 0.97
    assert Query.where(F.reliability > 0.95).matches(offer)


def test_an_answer_without_offers_is_unexpected() -> None:
    fake = FakeVast()
    fake.on("POST", SEARCH, reply(200, {"results": []}))
    with pytest.raises(UnexpectedResponse, match="'offers'"):
        fake.client().offers.search()


def test_search_is_retried_though_it_is_a_post() -> None:
    fake = FakeVast()
    fake.on("POST", SEARCH, reply(502, text="bad gateway"), reply(200, EXAMPLE))
    assert len(fake.client().offers.search()) == 1
    assert len(fake.requests) == 2


def test_an_offer_and_its_instance_state_vram_in_the_same_unit() -> None:
    from pulumi_vast.api import MIB_PER_GIB, Instance

    row = {"id": 1, "gpu_ram": 81920}  # an 80 GB card, in the API's MiB
    assert Offer.model_validate(row).gpu_ram_gib == Instance.model_validate(row).gpu_ram_gib == 80
    assert MIB_PER_GIB == 1024
    assert Offer.model_validate({"id": 1}).gpu_ram_gib is None
