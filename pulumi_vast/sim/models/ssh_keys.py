"""An account's SSH keys (`/api/v0/ssh/`): every key reaches every instance of the account
(the instances' backend lets them log in, and attaches keys to one instance)."""

from __future__ import annotations

from dataclasses import asdict
from typing import ClassVar

from pulumi_vast.sim.errors import BadRequest, NoSshKey
from pulumi_vast.sim.models.accounts import AccountsBackend
from pulumi_vast.sim.records import Account, SshKey

__all__ = ["FIRST_SSH_KEY_ID", "SSH_KEY_TYPES", "SshKeysBackend", "same_key", "valid_public_key"]

FIRST_SSH_KEY_ID = 52_001
SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def same_key(a: str, b: str) -> bool:
    """Whether two key lines are the same key (comments aside)."""
    return a.split()[:2] == b.split()[:2]


def valid_public_key(text: str | None) -> str:
    if text is None or not text.strip():
        raise NoSshKey("No ssh key provided")
    text = text.strip()
    parts = text.split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES or len(parts[1]) < 16:
        raise BadRequest(
            "Invalid ssh key: expected an OpenSSH public key line such as "
            "'ssh-ed25519 AAAAC3Nz... comment' (the contents of a .pub file)"
        )
    return text


class SshKeysBackend(AccountsBackend):
    TABLES = ("ssh_keys",)
    COUNTERS: ClassVar[dict[str, int]] = {"ssh_key": FIRST_SSH_KEY_ID}

    ssh_keys: dict[int, SshKey]

    def _load(self) -> None:
        super()._load()
        self.ssh_keys = {r["id"]: SshKey(**r) for r in self.store.load("ssh_keys")}

    def _forget(self) -> None:
        super()._forget()
        self.ssh_keys.clear()

    def account_keys(self, account: Account) -> list[SshKey]:
        return sorted(
            (k for k in self.ssh_keys.values() if k.account == account.digest),
            key=lambda k: k.id,
        )

    def create_ssh_key(self, account: Account, public_key: str | None) -> SshKey:
        text = valid_public_key(public_key)
        key = SshKey(
            id=self._take_id("ssh_key"),
            account=account.digest,
            account_id=account.id,
            key=text,
            created_at=self.now(),
        )
        self.ssh_keys[key.id] = key
        self.store.put("ssh_keys", key.id, asdict(key))
        return key

    def _own_key(self, account: Account, key_id: int) -> SshKey:
        key = self.ssh_keys.get(key_id)
        if key is None or key.account != account.digest:
            raise NoSshKey(f"No ssh key with id {key_id}")
        return key

    def update_ssh_key(self, account: Account, key_id: int, public_key: str | None) -> SshKey:
        key = self._own_key(account, key_id)
        key.key = valid_public_key(public_key)
        self.store.put("ssh_keys", key.id, asdict(key))
        return key

    def delete_ssh_key(self, account: Account, key_id: int) -> None:
        self._own_key(account, key_id)
        del self.ssh_keys[key_id]
        self.store.delete("ssh_keys", key_id)
