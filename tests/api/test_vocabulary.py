"""The vocabularies as data: each against the official client's tables, and their checks."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_vast.api import GPU_OFFERS, VOLUME_OFFERS, FieldKind, OfferField, Vocabulary
from tests.api.official import sent_by


def multipliers(vocabulary: Vocabulary) -> dict[str, float]:
    return {n: f.multiplier for n, f in vocabulary.fields.items() if f.multiplier != 1.0}


def official_default_body(search: str) -> dict[str, Any]:
    from vastai.api import offers

    body: dict[str, Any] = sent_by(getattr(offers, search)).body
    return body


def test_gpu_offers_are_the_official_offer_words() -> None:
    from vastai.api.query import offers_alias, offers_fields, offers_mult

    assert set(GPU_OFFERS.fields) == offers_fields
    assert dict(GPU_OFFERS.aliases) == offers_alias
    assert multipliers(GPU_OFFERS) == offers_mult
    defaults = official_default_body("search_offers")
    assert {k: dict(v) for k, v in GPU_OFFERS.default_filters.items()} == {
        k: v for k, v in defaults.items() if isinstance(v, dict)
    }
    assert GPU_OFFERS.default_storage_gb == defaults["allocated_storage"]
    assert GPU_OFFERS.offer_types and "type" in defaults


def test_volume_offers_are_the_official_volume_words_with_cuda_vers_an_alias() -> None:
    from vastai.api.query import offers_mult, vol_offers_fields

    assert set(VOLUME_OFFERS.names()) == vol_offers_fields | {"cuda_max_good", "external"}
    assert dict(VOLUME_OFFERS.aliases) == {"cuda_vers": "cuda_max_good"}
    assert multipliers(VOLUME_OFFERS) == {
        k: v for k, v in offers_mult.items() if k in VOLUME_OFFERS.fields
    }
    for search in ("search_volumes", "search_network_volumes"):
        defaults = official_default_body(search)
        assert {k: dict(v) for k, v in VOLUME_OFFERS.default_filters.items()} == {
            k: v for k, v in defaults.items() if isinstance(v, dict)
        }
        assert VOLUME_OFFERS.default_storage_gb == defaults["allocated_storage"]
        assert "type" not in defaults and not VOLUME_OFFERS.offer_types


def test_a_word_shared_with_gpu_offers_means_the_same() -> None:
    shared = set(VOLUME_OFFERS.fields) & set(GPU_OFFERS.fields) - {"id", "disk_space"}
    assert {"duration", "driver_version", "reliability", "storage_cost"} <= shared
    for name in shared:
        assert VOLUME_OFFERS.fields[name] == GPU_OFFERS.fields[name]


def test_names_resolve_through_aliases_and_order_only_columns_only_order() -> None:
    assert VOLUME_OFFERS.field("cuda_vers") == VOLUME_OFFERS.fields["cuda_max_good"]
    assert VOLUME_OFFERS.field("gpu_ram") is None
    assert VOLUME_OFFERS.field("score") is None
    assert VOLUME_OFFERS.order_column("score") == "score"
    assert VOLUME_OFFERS.order_column("cuda_vers") == "cuda_max_good"
    assert GPU_OFFERS.order_column("dph") == "dph_total"
    assert VOLUME_OFFERS.order_column("dph") is None


@pytest.mark.parametrize(
    ("aliases", "defaults", "order_only", "problem"),
    [
        ({"x": "nowhere"}, {}, (), "alias 'x' names no field"),
        ({}, {"rented": {"eq": False}}, (), "default filter 'rented' is no field"),
        ({}, {}, ("size",), "'size' is a field and an alias or order-only column"),
    ],
)
def test_inconsistent_vocabularies_are_refused(
    aliases: dict[str, str], defaults: dict[str, Any], order_only: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Vocabulary.of(
            "things",
            "T",
            [OfferField("size", FieldKind.INT, "how big")],
            aliases=aliases,
            order_only=order_only,
            default_filters=defaults,
            default_storage_gb=1.0,
            offer_types=False,
        )
