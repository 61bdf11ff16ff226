"""Talking SSH to simulated instances from tests (asyncssh client, throwaway keys)."""

from __future__ import annotations

import asyncio

import asyncssh
import httpx

__all__ = ["container_key", "new_key", "public_line", "ssh_run"]


def new_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def public_line(key: asyncssh.SSHKey) -> str:
    line: bytes = key.export_public_key()
    return line.decode().strip()


def ssh_run(
    port: int, key: asyncssh.SSHKey, command: str, *, timeout: float = 20.0
) -> tuple[int, str]:
    """(exit status, stdout) of `command` run as root on 127.0.0.1:`port`."""

    async def run() -> tuple[int, str]:
        async with asyncssh.connect(
            "127.0.0.1",
            port=port,
            username="root",
            client_keys=[key],
            known_hosts=None,
            connect_timeout=timeout,
        ) as conn:
            result = await conn.run(command, timeout=timeout)
            stdout = result.stdout if isinstance(result.stdout, str) else ""
            return result.exit_status or 0, stdout

    return asyncio.run(run())


def container_key(api: httpx.Client, port: int) -> str:
    """The instance's CONTAINER_API_KEY, read where a user reads it: in its environment,
    over SSH (`api` is its account's client; the instance runs, SSH on `port`)."""
    login = new_key()
    api.post("/api/v0/ssh/", json={"ssh_key": public_line(login)}).raise_for_status()
    status, out = ssh_run(port, login, "printenv CONTAINER_API_KEY")
    assert status == 0, out
    return out.strip()
