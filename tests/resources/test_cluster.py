"""The Cluster provider (host side) against the simulator: registered with its manager,
members added and removed in place, read back, deleted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pulumi_vast.api import VastClient
from pulumi_vast.resources import ClusterProvider

pytestmark = pytest.mark.slow


def loose_machines(client: VastClient, count: int) -> list[int]:
    """Machines of the market in no physical cluster yet."""
    offers = client.offers.search({"cluster_id": {"eq": None}}, limit=200, defaults=False)
    return sorted({int(o.machine_id or 0) for o in offers})[:count]


def checked(provider: Any, **news: Any) -> dict[str, Any]:
    result = provider.check({}, news)
    assert [f.reason for f in result.failures] == []
    return dict(result.inputs)


def test_a_cluster_is_registered_grown_shrunk_and_deleted(
    configure: Callable[..., Any], sim_url: str, vast_account: str
) -> None:
    client = VastClient(sim_url, vast_account)
    manager, first, second = loose_machines(client, 3)
    provider: ClusterProvider = configure(ClusterProvider)
    inputs = checked(provider, subnet="10.9.0.0/24", manager_id=manager, machine_ids=[first])

    created = provider.create(inputs)
    assert created.outs["nodes"] == [manager, first]
    assert client.clusters.get(int(created.id)) is not None

    news = checked(provider, subnet="10.9.0.0/24", manager_id=manager, machine_ids=[second])
    diff = provider.diff(created.id, created.outs, news)
    assert diff.changes and not diff.replaces, "members change in place"
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs["nodes"] == [manager, second]

    read = provider.read(created.id, updated.outs)
    assert (read.outs["manager_id"], read.outs["machine_ids"]) == (manager, [second])

    provider.delete(created.id, updated.outs)
    assert client.clusters.list() == []
    assert provider.read(created.id, updated.outs).id == ""


def test_a_manager_among_the_members_and_a_bad_subnet_are_refused(
    configure: Callable[..., Any],
) -> None:
    provider: ClusterProvider = configure(ClusterProvider)
    result = provider.check({}, {"subnet": "10.9.0.0/33", "manager_id": 4, "machine_ids": [4]})
    reasons = " ".join(f.reason for f in result.failures)
    assert "subnet: '10.9.0.0/33' is not an IPv4 subnet" in reasons
    result = provider.check({}, {"subnet": "10.9.0.0/24", "manager_id": 4, "machine_ids": [4]})
    assert [f.reason for f in result.failures] == [
        "machine_ids: lists the manager (4), which is a member already: drop it"
    ]
