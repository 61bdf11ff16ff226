"""The offer book: previews and creates of one process spread over the best offers."""

from __future__ import annotations

from typing import Any

from pulumi_vast.api import Offer, parse_query
from pulumi_vast.resources._offers import OfferBook, with_room_for

OFFERS = [Offer.model_validate({"id": i, "dph_total": 0.1 * i}) for i in (1, 2, 3)]


def book() -> OfferBook:
    client: Any = object()  # no search is made in these tests
    return OfferBook(client)


def test_previews_hand_out_the_best_offers_in_turn_then_none() -> None:
    offers = book()

    picks = [offers.preview_pick(OFFERS, key) for key in ("a", "b", "c", "d")]

    assert [p.id if p else None for p in picks] == [1, 2, 3, None]


def test_a_preview_asked_again_answers_the_same() -> None:
    offers = book()
    first = [offers.preview_pick(OFFERS, key) for key in ("a", "b")]

    again = [offers.preview_pick(OFFERS, key) for key in ("b", "a", "b")]

    assert [p.id for p in first if p] == [1, 2]
    assert [p.id for p in again if p] == [2, 1, 2], "checking has no side effect to pile up"
    assert offers.preview_pick(OFFERS[1:], "a") is not None, "its offer gone, it gets another"


def test_previews_do_not_claim_offers_for_creates() -> None:
    offers = book()
    offers.preview_pick(OFFERS, "a")

    assert offers.claim(1)
    assert not offers.claim(1)
    offers.release(1)
    assert offers.claim(1)


def test_searches_ask_for_room_for_the_disk() -> None:
    assert with_room_for(parse_query("gpu_ram>=24"), 50).render() == "gpu_ram>=24 disk_space>=50"
    assert with_room_for(None, 50).render() == "disk_space>=50"


def test_a_stricter_disk_condition_of_the_query_stays() -> None:
    assert with_room_for(parse_query("disk_space>=500"), 50).render() == "disk_space>=500"
    assert with_room_for(parse_query("disk_space>=20"), 50).render() == "disk_space>=50"
