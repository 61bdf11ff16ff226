"""The simulator's records: accounts, SSH keys and instances, with their billing arithmetic
(the other objects' records are this package's modules: `env_vars`, `templates`, `volumes`).

Plain dataclasses held in memory by the backend (`models`) and persisted as JSON
(`to_record`/`from_record`, or `dataclasses.asdict`). Owners are named by the digest of
their API key, and an instance's secrets are sealed when stored (`sealing`): a record
holds no key and no secret value in clear. An instance's `transitions` are the
single source of its history: billing, running intervals and the ledger derive from them.

**Billing.** GPUs (`gpu_dph`: the offer's dph_base, or the bid for interruptibles) bill
while `running`; storage (`storage_dph`: $/GB/month x disk) bills from the first time the
instance runs until it is destroyed, whatever its state. Loading before the first run
is free.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

__all__ = [
    "ACCOUNT_KEY_PREFIX",
    "DEFAULT_CREDIT",
    "DEFAULT_IMAGE",
    "HOLDS_GPUS",
    "INSTANCE_KEY_PREFIX",
    "LOOPBACK",
    "PENDING",
    "SEALED_FIELDS",
    "Account",
    "Costs",
    "Instance",
    "Phase",
    "Sealer",
    "SshKey",
    "new_key",
]

ACCOUNT_KEY_PREFIX = "vastsim-"
INSTANCE_KEY_PREFIX = "vastsim-instance-"
"""Keys the simulator makes: an account's (admin `POST /_sim/accounts` without a key) and
an instance's CONTAINER_API_KEY."""


def new_key(prefix: str) -> str:
    return prefix + secrets.token_hex(20)


SEALED_FIELDS = ("env", "onstart", "container_key", "jupyter_token", "account_env")
"""What an instance keeps that must not be stored in clear: env values (often tokens),
the onstart script (which may export some), its own keys, and the account's env vars
it was given."""
LOOPBACK = "127.0.0.1"
DEFAULT_CREDIT = 100.0
DEFAULT_IMAGE = "vastai/base-image:@vastai-automatic-tag"
"""openapi's default image, used when a template supplies the image."""


class Phase(StrEnum):
    NEW = "new"
    """Just rented: Vast shows no status yet (``actual_status: null``)."""
    CREATED = "created"
    """The contract exists; the container is not loading yet."""
    LOADING = "loading"
    RUNNING = "running"
    STOPPED = "stopped"
    SCHEDULING = "scheduling"
    OFFLINE = "offline"
    EXITED = "exited"
    DESTROYED = "destroyed"


PENDING = frozenset({Phase.NEW, Phase.CREATED, Phase.LOADING})
"""On its way up; each ends at the instance's `phase_ends_at`."""
HOLDS_GPUS = PENDING | {Phase.RUNNING, Phase.OFFLINE, Phase.EXITED}


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Account:
    digest: str
    """The keyed digest of its API key (`sealing`): how it is stored and found. The key
    itself is never stored."""
    key_hint: str
    """Its API key masked (`masking`), for admin answers."""
    id: int
    created_at: float
    credit: float = DEFAULT_CREDIT
    boot_delay: float | None = None
    created_delay: float | None = None
    rate_limits: bool | None = None
    rate_burst: float | None = None
    """Requests one route takes at once (None: `ratelimit.DEFAULT_BURST`)."""

    @property
    def email(self) -> str:
        return f"user{self.id}@sim.invalid"


@dataclass
class SshKey:
    id: int
    account: str
    """The owner's digest."""
    account_id: int
    key: str
    created_at: float

    def to_json(self) -> dict[str, Any]:
        """As `GET /api/v0/ssh/` lists it."""
        return {
            "id": self.id,
            "user_id": self.account_id,
            "key": self.key,
            "created_at": _iso(self.created_at),
            "deleted_at": None,
        }

    def to_created_json(self) -> dict[str, Any]:
        """As `POST /api/v0/ssh/` and `PUT /api/v0/ssh/{id}/` return it."""
        return {
            "id": self.id,
            "user_id": self.account_id,
            "public_key": self.key,
            "created_at": _iso(self.created_at),
            "deleted_at": None,
        }


class Sealer(Protocol):
    def seal(self, text: str) -> str: ...

    def unseal(self, sealed: str) -> str: ...


@dataclass(frozen=True)
class Costs:
    running_seconds: float
    gpu: float
    storage: float

    @property
    def total(self) -> float:
        return self.gpu + self.storage


@dataclass
class Instance:
    id: int
    account: str
    """The owner's digest."""
    account_id: int
    offer_id: int
    machine_id: int
    num_gpus: int
    image: str
    disk: float
    env: dict[str, str]
    onstart: str | None
    label: str | None
    runtype: str
    image_args: list[str]
    template_hash_id: str | None
    is_bid: bool
    gpu_dph: float
    """$/h billed for the GPUs while running: the offer's dph_base, or the bid."""
    storage_dph: float
    created_at: float
    phase: Phase
    intended: str
    container_key: str
    jupyter_token: str
    ports: dict[str, int]
    """"ssh" (the proxy port) and Docker port names ("22/tcp", "8080/tcp") -> host ports."""
    phase_ends_at: float | None = None
    """When the current pending phase ends (None: never, as a stuck boot)."""
    status_msg: str | None = None
    transitions: list[tuple[float, Phase]] = field(default_factory=list)
    first_running_at: float | None = None
    destroyed_at: float | None = None
    attached_keys: list[dict[str, Any]] = field(default_factory=list)
    detached_key_ids: list[int] = field(default_factory=list)
    account_env: dict[str, str] = field(default_factory=dict)
    """The account's env vars when the instance was created (its own `env` wins)."""
    template_id: int | None = None
    template_name: str | None = None
    mounts: list[dict[str, Any]] = field(default_factory=list)
    """The volumes it mounts: ``{"volume_id", "mount_path"}`` each."""

    @property
    def dph_total(self) -> float:
        return self.gpu_dph + self.storage_dph

    @property
    def alive(self) -> bool:
        return self.phase is not Phase.DESTROYED

    def enter(self, phase: Phase, at: float, status_msg: str | None = None) -> None:
        self.phase = phase
        self.status_msg = status_msg
        self.transitions.append((at, phase))
        if phase is Phase.RUNNING and self.first_running_at is None:
            self.first_running_at = at

    def running_intervals(self) -> list[tuple[float, float | None]]:
        intervals: list[tuple[float, float | None]] = []
        started: float | None = None
        for at, phase in self.transitions:
            if phase is Phase.RUNNING and started is None:
                started = at
            elif phase is not Phase.RUNNING and started is not None:
                intervals.append((started, at))
                started = None
        if started is not None:
            intervals.append((started, None))
        return intervals

    def costs(self, now: float) -> Costs:
        """What it cost until `now` (a past time too: charges in a date range)."""
        end = now if self.destroyed_at is None else min(self.destroyed_at, now)
        running = sum(
            max(0.0, min(stop if stop is not None else end, end) - start)
            for start, stop in self.running_intervals()
        )
        storage_seconds = (
            max(0.0, end - self.first_running_at) if self.first_running_at is not None else 0.0
        )
        return Costs(
            running_seconds=running,
            gpu=self.gpu_dph * running / 3600,
            storage=self.storage_dph * storage_seconds / 3600,
        )

    def dph_now(self) -> float:
        if self.phase is Phase.RUNNING:
            return self.dph_total
        if self.alive and self.first_running_at is not None:
            return self.storage_dph
        return 0.0

    def to_record(self, sealer: Sealer) -> dict[str, Any]:
        """The instance as stored: its `SEALED_FIELDS` sealed together under "sealed"."""
        record = asdict(self)
        secret = {name: record.pop(name) for name in SEALED_FIELDS}
        record["sealed"] = sealer.seal(json.dumps(secret))
        record["transitions"] = [[at, str(phase)] for at, phase in self.transitions]
        record["phase"] = str(self.phase)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any], sealer: Sealer) -> Instance:
        data = dict(record)
        data.update(json.loads(sealer.unseal(data.pop("sealed"))))
        data["phase"] = Phase(data["phase"])
        data["transitions"] = [(at, Phase(phase)) for at, phase in data["transitions"]]
        return cls(**data)
