"""What hosting gives an instance's container: its ports and its environment."""

from __future__ import annotations

from pathlib import Path

from pulumi_vast.sim.hosting import host_env
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
