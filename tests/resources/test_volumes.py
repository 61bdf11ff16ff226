"""Volume and NetworkVolume providers against the simulator, and instances that mount them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_vast.api import VastClient
from pulumi_vast.resources import InstanceProvider, NetworkVolumeProvider, VolumeProvider
from pulumi_vast.resources._volumes import FROM_THE_OFFER
from pulumi_vast.sim.testing import SimAdmin

pytestmark = pytest.mark.slow

QUERY = "disk_space>=50"


@pytest.fixture
def client(sim_url: str, vast_account: str) -> VastClient:
    return VastClient(sim_url, vast_account)


def checked(provider: Any, **news: Any) -> dict[str, Any]:
    result = provider.check({}, news)
    assert [(f.property, f.reason) for f in result.failures] == []
    return dict(result.inputs)


def billing(sim_admin: SimAdmin, key: str) -> list[dict[str, Any]]:
    ledger = sim_admin.ledger(key)
    rows = [*ledger["instances"], *ledger.get("volumes", [])]
    return [row for row in rows if row.get("destroyed_at", row.get("deleted_at")) is None]


def test_a_volume_is_rented_read_and_kept_on_destroy_unless_told(
    configure: Callable[..., Any], client: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    provider: VolumeProvider = configure(VolumeProvider)
    kept = provider.create(checked(provider, query=QUERY, size_gb=50, name="kept"))
    deleted = provider.create(
        checked(provider, query=QUERY, size_gb=20, name="gone", on_destroy="delete")
    )
    assert kept.outs["monthly_cost"] > 0 and kept.outs["machine_id"]
    assert provider.read(kept.id, kept.outs).id == kept.id

    provider.delete(kept.id, kept.outs)
    provider.delete(deleted.id, deleted.outs)

    left = {v.id for v in client.volumes.list()}
    assert int(kept.id) in left, "kept: it still exists, and bills"
    assert int(deleted.id) not in left
    client.volumes.delete(int(kept.id))


@pytest.mark.parametrize("provider_class", [VolumeProvider, NetworkVolumeProvider])
def test_a_preview_of_a_create_shows_what_the_offer_it_picked_will_give(
    provider_class: type[Any], configure: Callable[..., Any], sim_admin: SimAdmin, vast_account: str
) -> None:
    provider = configure(provider_class)
    inputs = checked(provider, query=QUERY, size_gb=20, name="new", on_destroy="delete")

    shown = provider.preview_create(inputs)
    created = provider.create(inputs)

    assert {name: shown[name] for name in FROM_THE_OFFER} == {
        name: created.outs[name] for name in FROM_THE_OFFER
    }
    assert shown["monthly_cost"] > 0
    assert isinstance(shown["volume_id"], Unknown), "only what the offer tells is known"
    provider.delete(created.id, created.outs)
    assert billing(sim_admin, vast_account) == []


def test_an_instance_mounting_a_volume_lands_on_its_machine(
    configure: Callable[..., Any], client: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    volumes: VolumeProvider = configure(VolumeProvider)
    volume = volumes.create(
        checked(volumes, query=QUERY, size_gb=50, name="data", on_destroy="delete")
    )
    instances: InstanceProvider = configure(InstanceProvider)
    inputs = checked(
        instances,
        query="num_gpus>=1",
        image="pytorch/pytorch",
        label="mounts",
        volumes=[{"volume": int(volume.id), "path": "/data"}],
    )

    created = instances.create(inputs)

    assert created.outs["machine_id"] == volume.outs["machine_id"]
    live = client.volumes.get(int(volume.id))
    assert live is not None and int(created.id) in live.instance_ids
    instances.delete(created.id, created.outs)
    volumes.delete(volume.id, volume.outs)
    assert billing(sim_admin, vast_account) == []


def test_an_instance_query_nothing_on_the_volumes_machine_matches_fails_preview_naming_it(
    configure: Callable[..., Any], sim_admin: SimAdmin, vast_account: str
) -> None:
    volumes: VolumeProvider = configure(VolumeProvider)
    volume = volumes.create(
        checked(volumes, query=QUERY, size_gb=10, name="x", on_destroy="delete")
    )
    instances: InstanceProvider = configure(InstanceProvider)
    news = {
        "query": "gpu_ram>=80 num_gpus=8",
        "image": "pytorch/pytorch",
        "volumes": [{"volume": int(volume.id), "path": "/data"}],
    }
    [failure] = instances.check({}, news).failures
    assert f"where volume {volume.id} (volumes[0]) is" in failure.reason
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 0
    volumes.delete(volume.id, volume.outs)


def test_a_network_volume_is_rented_and_deleted(
    configure: Callable[..., Any], client: VastClient
) -> None:
    provider: NetworkVolumeProvider = configure(NetworkVolumeProvider)
    created = provider.create(
        checked(provider, query=QUERY, size_gb=100, name="shared", on_destroy="delete")
    )
    assert int(created.id) in {v.id for v in client.network_volumes.list()}
    provider.delete(created.id, created.outs)
    assert int(created.id) not in {v.id for v in client.network_volumes.list()}
