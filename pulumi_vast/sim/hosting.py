"""What the backend's instances and volumes are on this machine: a folder each, and one real
SSH server (`ssh.SshHost`) per running instance, kept in step with the backend.

This is the only module that imports the SSH server or touches the instance and volume
folders. A volume is a real folder (`volumes/<id>` in the data folder), surviving the
instances that mount it: each of them has a symbolic link to it where its mount path lands
in its folder (`container_paths`), so the instances that mount one volume share its files.
`boot(ids)` ends due boots: it starts an instance's SSH server (proxy port and direct
22/tcp port, same ports as before when free) and only then lets the backend call it
`running` with those ports, then starts its onstart script; so no answer says running
before SSH listens and the port map is filled. `sync(changes)` makes reality match the
backend for what the change log names: a live instance has its folder and mounts, a
`running` one without a server gets one (after a restart of the simulator), any other
loses its own, and a destroyed one loses its folder too (its volumes keep theirs until
they are deleted). Both are guarded per instance, so concurrent calls
never start a server twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pulumi_vast.sim import envflags
from pulumi_vast.sim.container_clock import install_clock, publish_offset
from pulumi_vast.sim.container_paths import mount_folder
from pulumi_vast.sim.gpu_tools import install_gpu_tools
from pulumi_vast.sim.models import SimBackend
from pulumi_vast.sim.models.base import Changes
from pulumi_vast.sim.records import LOOPBACK, Instance, Phase
from pulumi_vast.sim.ssh import SshHost, ensure_host_key

__all__ = [
    "HOST_KEY_NAME",
    "INSTANCES_DIR",
    "VOLUMES_DIR",
    "HostManager",
    "host_env",
    "plan_ports",
]

HOST_KEY_NAME = "ssh_host_ed25519_key"
INSTANCES_DIR = "instances"
VOLUMES_DIR = "volumes"
_log = logging.getLogger(__name__)


def plan_ports(
    instance: Instance, *, in_use: set[int], allocate: Callable[[set[int]], int]
) -> dict[str, int]:
    """Host ports for the SSH proxy, the direct 22/tcp and every `-p` mapping, keeping the
    ones the instance had (`in_use`: the ports others hold)."""
    used = in_use - set(instance.ports.values())
    ports: dict[str, int] = {}
    for name in ("ssh", "22/tcp", *envflags.port_mappings(instance.env)):
        port = instance.ports.get(name) or allocate(used)
        used.add(port)
        ports[name] = port
    return ports


def host_env(instance: Instance, ports: Mapping[str, int], api_url: str) -> dict[str, str]:
    """The environment Vast gives the container: the account's env vars, the instance's
    own `-e` variables over them, and Vast's own."""
    env = dict(instance.account_env)
    env.update(envflags.user_variables(instance.env))
    env.setdefault("VAST_URL", api_url)
    env.update(
        {
            "CONTAINER_ID": str(instance.id),
            "CONTAINER_API_KEY": instance.container_key,
            "VAST_CONTAINERLABEL": f"C.{instance.id}",
            "PUBLIC_IPADDR": LOOPBACK,
        }
    )
    for name, port in ports.items():
        if name != "ssh":
            number, proto = name.split("/")
            env[f"VAST_{proto.upper()}_PORT_{number}"] = str(port)
    return env


class HostManager:
    def __init__(self, backend: SimBackend, *, api_url: Callable[[], str]) -> None:
        self._backend = backend
        self._api_url = api_url
        self._hosts: dict[int, SshHost] = {}
        self._busy: dict[int, asyncio.Lock] = {}

    @property
    def host_key_path(self) -> Path:
        return self._backend.data_dir / HOST_KEY_NAME

    def instance_dir(self, instance_id: int) -> Path:
        """The instance's folder: its container's filesystem, where SSH sessions start."""
        return self._backend.data_dir / INSTANCES_DIR / str(instance_id)

    def volume_dir(self, volume_id: int) -> Path:
        """The volume's folder: what the instances that mount it see at their mount path."""
        return self._backend.data_dir / VOLUMES_DIR / str(volume_id)

    def running_hosts(self) -> dict[int, list[int]]:
        return {instance_id: list(host.ports) for instance_id, host in self._hosts.items()}

    def publish_clock(self) -> None:
        """Let the containers' `date` follow the simulator's clock (`container_clock`)."""
        publish_offset(self._backend.data_dir, self._backend.clock.offset)

    async def sync(self, changes: Changes) -> None:
        for volume_id in sorted(changes.volumes):
            self._sync_volume(volume_id)
        for instance_id in sorted(changes.instances):
            await self._sync_one(instance_id)

    def _sync_volume(self, volume_id: int) -> None:
        volume = self._backend.volumes.get(volume_id)
        if volume is not None and volume.alive:
            self.volume_dir(volume_id).mkdir(parents=True, exist_ok=True)
        else:
            shutil.rmtree(self.volume_dir(volume_id), ignore_errors=True)

    def _furnish(self, instance: Instance) -> Path:
        """The instance's folder, with its volumes mounted in it."""
        root = self.instance_dir(instance.id)
        root.mkdir(parents=True, exist_ok=True)
        for mount in instance.mounts:
            target = self.volume_dir(mount["volume_id"])
            target.mkdir(parents=True, exist_ok=True)
            relative = mount_folder(mount["mount_path"])
            if relative is None:
                continue  # refused at create; an older record cannot hold one
            link = root / relative
            if link.is_symlink() or link.exists():
                if not (link.is_symlink() and link.readlink() == target):
                    _log.warning("instance %s: %s is taken, not mounted", instance.id, link)
                continue
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(target, target_is_directory=True)
        return root

    async def sync_all(self) -> None:
        alive = [i.id for i in self._backend.instances.values() if i.phase is Phase.RUNNING]
        await self.sync(Changes(instances={*alive, *self._hosts}))

    async def boot(self, instance_ids: Iterable[int]) -> None:
        for instance_id in list(instance_ids):
            await self._boot_one(instance_id)

    def _lock(self, instance_id: int) -> asyncio.Lock:
        return self._busy.setdefault(instance_id, asyncio.Lock())

    async def _sync_one(self, instance_id: int) -> None:
        async with self._lock(instance_id):
            instance = self._backend.instances.get(instance_id)
            alive = instance is not None and instance.alive
            should_run = instance is not None and instance.phase is Phase.RUNNING
            host = self._hosts.get(instance_id)
            if instance is not None and alive:
                self._furnish(instance)
            if should_run and host is None:
                host, ports = await self._serve(instance_id)
                self._backend.set_ports(instance_id, ports)
                await self._keep(instance_id, host)
            elif not should_run and host is not None:
                del self._hosts[instance_id]
                await host.stop()
            if not alive:
                shutil.rmtree(self.instance_dir(instance_id), ignore_errors=True)
                self._busy.pop(instance_id, None)

    async def _boot_one(self, instance_id: int) -> None:
        async with self._lock(instance_id):
            if not self._backend.boot_due(instance_id):
                return  # booted by a concurrent call, or stopped meanwhile
            host, ports = await self._serve(instance_id)
            if self._backend.finish_boot(instance_id, ports):
                await self._keep(instance_id, host)
            else:
                await host.stop()

    async def _serve(self, instance_id: int) -> tuple[SshHost, dict[str, int]]:
        """A listening SSH server for the instance, and its ports."""
        backend = self._backend
        instance = backend.instances[instance_id]
        ports = plan_ports(instance, in_use=backend.used_ports(), allocate=backend.allocate_port)
        root = self._furnish(instance)
        ensure_host_key(self.host_key_path)
        env = host_env(instance, ports, self._api_url())
        tools = install_gpu_tools(root, backend.instance_json(instance))
        install_clock(root, backend.data_dir)
        env["PATH"] = os.pathsep.join([tools, os.environ.get("PATH", os.defpath)])
        host = SshHost(
            root=root,
            env=env,
            authorized_keys=lambda: backend.authorized_keys(instance_id),
            host_key_path=self.host_key_path,
        )
        bound = await host.start([ports["ssh"], ports["22/tcp"]])
        ports["ssh"], ports["22/tcp"] = bound[0], bound[1]
        return host, ports

    async def _keep(self, instance_id: int, host: SshHost) -> None:
        """Own the running instance's server, and start its onstart script."""
        self._hosts[instance_id] = host
        onstart = self._backend.instances[instance_id].onstart
        if onstart:
            await host.run_background(onstart)

    async def stop_all(self) -> None:
        hosts, self._hosts = self._hosts, {}
        await asyncio.gather(*(host.stop() for host in hosts.values()), return_exceptions=True)
