"""The TrainingGang provider against the simulator: a gang lands whole on one cluster, or
moves on to the next and leaves nothing behind; a preview that no cluster can satisfy says
what it found. (Growing and shrinking: tests/e2e/test_training_cluster.py.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_vast.api import CHEAPEST_FIRST, VastClient
from pulumi_vast.resources import InstanceProvider, TrainingGangProvider
from pulumi_vast.resources._gang import Gang, plan
from pulumi_vast.resources._owner import OWNER_INPUT
from pulumi_vast.sim.testing import SimAdmin

pytestmark = pytest.mark.slow

QUERY = "gpu_ram>=24 reliability>0.9"


@pytest.fixture
def client(sim_url: str, vast_account: str) -> VastClient:
    return VastClient(sim_url, vast_account)


def gang_inputs(provider: Any, key: str, **fields: Any) -> dict[str, Any]:
    news = {
        "nodes": 2,
        "query": QUERY,
        "image": "pytorch/pytorch",
        "network_name": "gang",
        "ssh_keys": [key],
        "ready": {"ssh": True, "timeout": 60},
        OWNER_INPUT: "stack0123/llm",
        **fields,
    }
    result = provider.check({}, news)
    assert [f.reason for f in result.failures] == []
    return dict(result.inputs)


def alive(sim_admin: SimAdmin, key: str) -> list[dict[str, Any]]:
    return [row for row in sim_admin.ledger(key)["instances"] if row.get("destroyed_at") is None]


def test_an_offer_taken_mid_placement_moves_the_whole_gang_to_the_next_cluster(
    configure: Callable[..., Any],
    client: VastClient,
    sim_admin: SimAdmin,
    vast_account: str,
    monkeypatch: pytest.MonkeyPatch,
    key_pair: tuple[Path, str],
) -> None:
    provider: TrainingGangProvider = configure(TrainingGangProvider)
    key = key_pair[1]
    inputs = gang_inputs(provider, key)
    offers = client.offers.search(
        f"{QUERY} num_gpus=1 cluster_id>=0", order=CHEAPEST_FIRST, limit=100, storage_gb=10
    )
    first = plan(offers, 2)[0].cluster_id
    grow, tried = Gang.grow, []

    def taken_meanwhile(self: Gang, cluster_id: int, network: str, ranks: Any) -> Any:
        if not tried:  # someone else rents all but one of the first cluster's offers
            for offer in [o for o in offers if o.cluster_id == cluster_id][1:]:
                sim_admin.take_offer(vast_account, offer.id)
        tried.append(cluster_id)
        return grow(self, cluster_id, network, ranks)

    monkeypatch.setattr(Gang, "grow", taken_meanwhile)
    created = provider.create(inputs)

    assert tried[0] == first and created.outs["cluster_id"] == tried[-1] != first
    members = created.outs["members"]
    assert [m["node_rank"] for m in members] == [0, 1]
    assert sorted(r["id"] for r in alive(sim_admin, vast_account)) == sorted(
        m["instance_id"] for m in members
    ), "what the first cluster got was given back"
    [overlay] = client.overlays.list()
    assert overlay.cluster_id == created.outs["cluster_id"]
    assert created.outs["master_addr"]

    with pytest.raises(ValueError, match=r"nodes: adding 58 node\(s\) .* it has \d+\."):
        provider.diff(created.id, created.outs, {**inputs, "nodes": 60})

    provider.delete(created.id, created.outs)
    assert alive(sim_admin, vast_account) == []
    assert client.overlays.list() == []


def test_no_cluster_with_enough_offers_fails_the_check_naming_the_best(
    configure: Callable[..., Any],
) -> None:
    provider: TrainingGangProvider = configure(TrainingGangProvider)
    result = provider.check({}, {"nodes": 60, "query": QUERY, "image": "pytorch/pytorch"})
    [failure] = result.failures
    assert failure.reason.startswith("nodes: no physical cluster has 60 offers matching")
    assert "the best of" in failure.reason and "offer(s) matching" in failure.reason


def test_an_overlay_name_in_use_or_missing_is_refused_at_check(
    configure: Callable[..., Any], client: VastClient
) -> None:
    client.overlays.create(200, "taken")
    gang: TrainingGangProvider = configure(TrainingGangProvider)
    result = gang.check({}, {"nodes": 1, "query": QUERY, "image": "x/y", "network_name": "taken"})
    [failure] = result.failures
    assert failure.reason.startswith("network_name: the account already has an overlay named")

    instance: InstanceProvider = configure(InstanceProvider)
    news = {"query": QUERY, "image": "x/y", "network": "missing"}
    [failure] = instance.check({}, news).failures
    assert failure.reason.startswith("network: the account has no overlay network named")
    news = {"query": QUERY, "image": "x/y", "network": "taken"}
    assert instance.check({}, news).failures == [], "lands on the overlay's cluster"


def test_an_order_the_query_language_cannot_rank_by_is_refused_at_check(
    configure: Callable[..., Any],
) -> None:
    gang: TrainingGangProvider = configure(TrainingGangProvider)
    result = gang.check({}, {"nodes": 1, "query": QUERY, "image": "x/y", "order": "price+"})
    [failure] = result.failures
    assert failure.reason.startswith("order: "), failure.reason
    assert "Valid order fields" in failure.reason
