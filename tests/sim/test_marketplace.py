"""The seeded marketplace: shape, determinism, realistic values, every field the CLI uses."""

from __future__ import annotations

from collections import Counter

import pytest
from vastai.api.query import offers_fields
from vastai.cli.display import displayable_fields, displayable_fields_reserved

from pulumi_vast.sim.marketplace import (
    GPU_MODELS,
    HOURS_PER_MONTH,
    Market,
    normalize_offer_type,
    storage_dph,
)

EPOCH = 1_800_000_000.0


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(seed=0, epoch=EPOCH)


def test_market_has_enough_offers_over_every_gpu_model(market: Market) -> None:
    assert len(market.offers) >= 40
    names = Counter(offer.machine.gpu.name for offer in market)
    assert set(names) == {model.name for model in GPU_MODELS}
    assert {
        "RTX 3060",
        "RTX 3090",
        "RTX 4090",
        "RTX A5000",
        "RTX A6000",
        "L40S",
        "H100 SXM",
    } <= set(names)
    a100_vram = {o.machine.gpu.vram_mb for o in market if o.machine.gpu.name.startswith("A100")}
    assert a100_vram == {40960, 81920}
    assert {offer.num_gpus for offer in market} == {1, 2, 4, 8}


def test_same_seed_same_market_other_seed_other_prices() -> None:
    first, again, other = Market(0, EPOCH), Market(0, EPOCH), Market(1, EPOCH)
    assert [(o.id, o.dph_base, o.machine.reliability) for o in first] == [
        (o.id, o.dph_base, o.machine.reliability) for o in again
    ]
    assert sorted(o.dph_base for o in first) != sorted(o.dph_base for o in other)


@pytest.mark.parametrize("seed", [0, 1, 7, 42])
def test_prices_and_reliability_are_realistic(seed: int) -> None:
    market = Market(seed, EPOCH)
    for offer in market:
        low, high = offer.machine.gpu.price_per_gpu
        assert low <= offer.dph_base / offer.num_gpus <= high
        assert 0 < offer.min_bid < offer.dph_base
        assert 11.8 <= offer.machine.cuda_max_good <= 12.8
    reliabilities = [m.reliability for m in market.machines.values()]
    flaky = [r for r in reliabilities if r < 0.9]
    assert flaky, "some hosts must be unreliable"
    assert len(flaky) < len(reliabilities) / 4
    assert all(0.9 <= r <= 0.999 for r in reliabilities if r >= 0.9)


def test_offers_of_a_machine_are_its_bundles(market: Market) -> None:
    for machine in market.machines.values():
        sizes = sorted(offer.num_gpus for offer in market.offers_on(machine.id))
        assert sizes == [s for s in (1, 2, 4, 8) if s <= machine.num_gpus]


def test_render_carries_every_field_the_official_client_filters_or_shows(market: Market) -> None:
    offer = next(iter(market))
    row = market.render(offer, now=EPOCH, storage_gb=5, offer_type="on-demand", rented=False)
    shown = {f[0] for f in displayable_fields} | {f[0] for f in displayable_fields_reserved}
    assert offers_fields - set(row) == set()
    assert shown - set(row) == set()
    assert row["gpu_ram"] == offer.machine.gpu.vram_mb
    assert row["gpu_total_ram"] == offer.machine.gpu.vram_mb * offer.num_gpus
    assert row["geolocation"].endswith(", " + offer.machine.country)


def test_allocated_storage_prices_into_dph_total(market: Market) -> None:
    offer = next(iter(market))
    bare = market.render(offer, now=EPOCH, storage_gb=0, offer_type="on-demand", rented=False)
    with_disk = market.render(
        offer, now=EPOCH, storage_gb=100, offer_type="on-demand", rented=False
    )
    assert bare["dph_total"] == pytest.approx(offer.dph_base)
    expected = offer.dph_base + offer.machine.storage_cost * 100 / HOURS_PER_MONTH
    assert with_disk["dph_total"] == pytest.approx(expected)
    assert storage_dph(0.15, 720) == pytest.approx(0.15)


def test_bid_offers_are_priced_at_the_minimum_bid(market: Market) -> None:
    offer = next(iter(market))
    row = market.render(offer, now=EPOCH, storage_gb=0, offer_type="bid", rented=False)
    assert row["is_bid"] is True
    assert row["dph_total"] == pytest.approx(offer.min_bid)


def test_offer_type_spellings() -> None:
    assert normalize_offer_type("on-demand") == "on-demand"
    assert normalize_offer_type("ondemand") == "on-demand"
    assert normalize_offer_type("interruptible") == "bid"
    assert normalize_offer_type(None) == "on-demand"
    assert normalize_offer_type("spot") is None


def test_a_larger_market_lists_the_fleet_again_keeping_the_first_copy(market: Market) -> None:
    doubled = Market(seed=0, epoch=EPOCH, scale=2)

    assert len(doubled.offers) == 2 * len(market.offers)
    assert len(doubled.machines) == 2 * len(market.machines)
    first = {offer_id: doubled.offers[offer_id] for offer_id in market.offers}
    assert first == market.offers, "scale 1's offers, unchanged, are the first copy"

    def bundles(of: Market) -> Counter[tuple[str, int, int, bool]]:
        return Counter(
            (o.machine.gpu.name, o.num_gpus, o.machine.num_gpus, o.machine.id in clustered(of))
            for o in of
        )

    def clustered(of: Market) -> set[int]:
        return {m for cluster in of.clusters.values() for m in cluster.machine_ids}

    once = bundles(market)
    assert bundles(doubled) == once + once, "every bundle of the fleet and clusters listed twice"
    assert len(doubled.clusters) == 2 * len(market.clusters)
