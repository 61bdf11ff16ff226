"""What hosting gives an instance's container: its environment, and its volumes' folders."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pulumi_vast.sim.hosting import HostManager, host_env
from tests.sim.models.world import World


def test_the_environment_is_the_accounts_vars_under_the_instances_under_vasts(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    alice = world.backend.account("alice")
    for name, value in {"SHARED": "account", "ONLY_ACCOUNT": "a", "CONTAINER_ID": "x"}.items():
        world.backend.create_env_var(alice, name, value)
    instance_id = world.create(env="-e SHARED=instance -e ONLY_INSTANCE=i")
    instance = world.backend.instances[instance_id]

    env = host_env(instance, {"ssh": 1, "22/tcp": 2}, "http://127.0.0.1:1")

    assert (env["SHARED"], env["ONLY_ACCOUNT"], env["ONLY_INSTANCE"]) == ("instance", "a", "i")
    assert env["CONTAINER_ID"] == str(instance_id), "Vast's own variables win"
    world.backend.store.close()


def test_a_volume_is_a_folder_its_instances_share_and_it_outlives_them(tmp_path: Path) -> None:
    world = World(tmp_path)
    hosts = HostManager(world.backend, api_url=lambda: "http://127.0.0.1:1")
    alice = world.backend.account("alice")
    machine = next(m for m in world.backend.market.machines.values() if m.num_gpus >= 4)
    one_gpu, two_gpus = sorted(
        world.backend.market.offers_on(machine.id), key=lambda o: o.num_gpus
    )[:2]
    (offer,) = [
        o for o in world.backend.volume_market if o.kind == "local" and o.machine == machine
    ]
    first = world.create(
        offer=one_gpu,
        volume_info={"create_new": True, "volume_id": offer.id, "mount_path": "/root/shared"},
    )
    volume_id = world.json(first)["volume_info"][0]["id"]
    second = world.create(
        offer=two_gpus,
        volume_info={"create_new": False, "volume_id": volume_id, "mount_path": "/data/set"},
    )
    asyncio.run(hosts.sync(world.backend.take_changes()))

    (hosts.instance_dir(first) / "shared" / "weights.bin").write_text("w")
    assert (hosts.volume_dir(volume_id) / "weights.bin").read_text() == "w"
    assert (hosts.instance_dir(second) / "data" / "set" / "weights.bin").read_text() == "w"
    world.backend.destroy(alice, first)
    world.backend.destroy(alice, second)
    asyncio.run(hosts.sync(world.backend.take_changes()))
    assert not hosts.instance_dir(first).exists() and not hosts.instance_dir(second).exists()
    assert (hosts.volume_dir(volume_id) / "weights.bin").read_text() == "w", "it survives them"

    world.backend.delete_volume(alice, volume_id)
    asyncio.run(hosts.sync(world.backend.take_changes()))
    assert not hosts.volume_dir(volume_id).exists()
    world.backend.store.close()
