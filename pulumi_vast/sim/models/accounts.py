"""Accounts: each distinct API key is its own account, opened on first use.

An account is stored and found by the keyed digest of its key (`sealing`); the key itself
is never stored. Its settings (credit, boot and created delays, rate limits) are what the
admin routes configure; unset ones fall back to the server's options.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, ClassVar

from pulumi_vast.sim.masking import mask_key
from pulumi_vast.sim.models.base import BackendBase
from pulumi_vast.sim.records import Account

__all__ = ["FIRST_ACCOUNT_ID", "AccountsBackend"]

FIRST_ACCOUNT_ID = 310_001
_SETTINGS = ("credit", "boot_delay", "created_delay", "rate_limits", "rate_burst")


class AccountsBackend(BackendBase):
    TABLES = ("accounts",)
    COUNTERS: ClassVar[dict[str, int]] = {"account": FIRST_ACCOUNT_ID}

    accounts: dict[str, Account]
    """By digest of their key."""

    def _load(self) -> None:
        super()._load()
        self.accounts = {r["digest"]: Account(**r) for r in self.store.load("accounts")}

    def _forget(self) -> None:
        super()._forget()
        self.accounts.clear()

    def account(self, api_key: str) -> Account:
        """The key's account, opened on first use."""
        digest = self.digest(api_key)
        account = self.accounts.get(digest)
        if account is None:
            account = Account(
                digest=digest,
                key_hint=mask_key(api_key),
                id=self._take_id("account"),
                created_at=self.now(),
            )
            self.accounts[digest] = account
            self.store.put("accounts", digest, asdict(account))
        return account

    def configure_account(self, api_key: str, changes: dict[str, Any]) -> Account:
        account = self.account(api_key)
        for name in _SETTINGS:
            if name in changes:
                setattr(account, name, changes[name])
        self.store.put("accounts", account.digest, asdict(account))
        return account

    def boot_delay(self, account: Account) -> float:
        return self.default_boot_delay if account.boot_delay is None else account.boot_delay

    def created_delay(self, account: Account) -> float:
        """Seconds a new instance spends before loading: the first half with no status,
        the second `created`."""
        delay = account.created_delay
        return self.default_created_delay if delay is None else delay
