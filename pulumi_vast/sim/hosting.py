"""One real SSH server (`ssh.SshHost`) per running instance, kept in step with the backend.

This is the only module that imports the SSH server. `boot(ids)` ends due boots: it starts
an instance's SSH server (proxy port and direct 22/tcp port, same ports as before when
free) and only then lets the backend call it `running` with those ports, then starts its
onstart script; so no answer says running before SSH listens and the port map is filled.
`sync(ids)` makes reality match the backend otherwise: a `running` instance without a
server gets one (after a restart of the simulator), any other loses its own. Both are
guarded per instance, so concurrent calls never start a server twice.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from pulumi_vast.sim.gpu_tools import install_gpu_tools
from pulumi_vast.sim.models import SimBackend
from pulumi_vast.sim.records import Phase
from pulumi_vast.sim.ssh import SshHost, ensure_host_key

__all__ = ["HOST_KEY_NAME", "HostManager"]

HOST_KEY_NAME = "ssh_host_ed25519_key"


class HostManager:
    def __init__(self, backend: SimBackend, *, api_url: Callable[[], str]) -> None:
        self._backend = backend
        self._api_url = api_url
        self._hosts: dict[int, SshHost] = {}
        self._busy: dict[int, asyncio.Lock] = {}

    @property
    def host_key_path(self) -> Path:
        return self._backend.data_dir / HOST_KEY_NAME

    def running_hosts(self) -> dict[int, list[int]]:
        return {instance_id: list(host.ports) for instance_id, host in self._hosts.items()}

    async def sync(self, instance_ids: Iterable[int]) -> None:
        for instance_id in list(instance_ids):
            await self._sync_one(instance_id)

    async def sync_all(self) -> None:
        alive = [i.id for i in self._backend.instances.values() if i.phase is Phase.RUNNING]
        await self.sync([*alive, *self._hosts])

    async def boot(self, instance_ids: Iterable[int]) -> None:
        for instance_id in list(instance_ids):
            await self._boot_one(instance_id)

    def _lock(self, instance_id: int) -> asyncio.Lock:
        return self._busy.setdefault(instance_id, asyncio.Lock())

    async def _sync_one(self, instance_id: int) -> None:
        async with self._lock(instance_id):
            instance = self._backend.instances.get(instance_id)
            should_run = instance is not None and instance.phase is Phase.RUNNING
            host = self._hosts.get(instance_id)
            if should_run and host is None:
                host, ports = await self._serve(instance_id)
                self._backend.set_ports(instance_id, ports)
                await self._keep(instance_id, host)
            elif not should_run and host is not None:
                del self._hosts[instance_id]
                await host.stop()
            if instance is None or not instance.alive:
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
        ports = backend.plan_ports(instance)
        root = backend.instance_dir(instance_id)
        ensure_host_key(self.host_key_path)
        env = backend.host_env(instance, ports, self._api_url())
        tools = install_gpu_tools(root, backend.instance_json(instance))
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

    def remove_folder(self, instance_id: int) -> None:
        shutil.rmtree(self._backend.instance_dir(instance_id), ignore_errors=True)
