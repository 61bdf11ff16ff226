"""The backend: the simulated Vast service's state and operations, in moto's style.

As `moto/ec2/models` composes one backend per EC2 object, `SimBackend` composes one mixin
per Vast object (`accounts`, `market`, `ssh_keys`, `env_vars`, `templates`, `volumes`,
`instances`, `charges`), each with its records, its store tables, its id sequences, its load/reset,
its tick if it has a lifecycle, and its ledger section if it bills (`base` derives the
registries from them). A mixin that uses another object's state inherits that object's
mixin (an instance rents from the market, is made from a template, takes the account's env
vars, mounts volumes; its keys are the account's SSH keys); the few questions asked the
other way (which instances hold an offer's GPUs, which mount a volume) are hooks the
dependent mixin answers. Adding an object is one module here and one line below.

State is plain objects in memory, written through to SQLite (`store`) on every change, so
reads are cheap and a restarted simulator sees the same world. All methods run on the
server's event loop thread; none of them blocks on anything slow, and none touches the
disk beyond the store: folders and SSH servers follow the change log (`hosting`).
"""

from __future__ import annotations

from typing import Any

from pulumi_vast.sim.ledger import ledger_report
from pulumi_vast.sim.models.accounts import AccountsBackend
from pulumi_vast.sim.models.charges import ChargesBackend
from pulumi_vast.sim.models.env_vars import EnvVarsBackend
from pulumi_vast.sim.models.instances import MAX_BID, MIN_BID, InstancesBackend
from pulumi_vast.sim.models.market import MarketBackend
from pulumi_vast.sim.models.ssh_keys import SshKeysBackend
from pulumi_vast.sim.models.templates import TemplatesBackend
from pulumi_vast.sim.models.volumes import VolumesBackend
from pulumi_vast.sim.records import Account
from pulumi_vast.sim.views import user_view

__all__ = ["MAX_BID", "MIN_BID", "SimBackend"]


class SimBackend(
    ChargesBackend,
    InstancesBackend,
    VolumesBackend,
    TemplatesBackend,
    EnvVarsBackend,
    SshKeysBackend,
    MarketBackend,
    AccountsBackend,
):
    """The whole simulated service (no HTTP, no hosting here)."""

    def ledger(self, api_key: str | None = None) -> dict[str, Any]:
        """Everything that ever billed (optionally of one account) and what it cost."""
        owner = self.digest(api_key) if api_key is not None else None
        now = self.now()
        return ledger_report(now, self._ledger_sections(owner, now))

    def spent(self, account: Account) -> float:
        now = self.now()
        report = ledger_report(now, self._ledger_sections(account.digest, now))
        total: float = report["totals"]["total_cost"]
        return total

    def user_json(self, account: Account) -> dict[str, Any]:
        return user_view(account, self.account_keys(account), self.spent(account))
