"""What every object's backend shares, and the registries derived from the mixins.

`BackendBase` holds the world's plumbing: the store, the keyring, the clock, the faults,
the id counters and the change log. Each object's mixin (`models.<object>`) adds its
records and declares, on its class, what the base derives from all of them:

- `TABLES`: the store tables it keeps its records in (created when missing);
- `COUNTERS`: its id sequences and their first values (persisted as ``next_<name>``);
- `_load()` / `_forget()`: read its records from the store / drop them on reset;
- `_tick(now) -> Changes`: apply its transitions that are due;
- `_ledger_sections(owner, now)`: what it bills, for the ledger.

The hooks are cooperative (each calls ``super()`` and adds its own), so the composed
backend runs every mixin's part and nothing lists the mixins but the composition.

**The change log.** A mutation records the instances and volumes whose folders or SSH
servers may have to follow (`changes`); the app takes the log after every request and tick
and makes the hosts match in one place (`hosting`), so no caller has to remember to.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pulumi_vast.sim import migrations
from pulumi_vast.sim.clock import Clock
from pulumi_vast.sim.errors import BadRequest
from pulumi_vast.sim.faults import FaultBook
from pulumi_vast.sim.ledger import LedgerSection
from pulumi_vast.sim.ports import free_port
from pulumi_vast.sim.records import LOOPBACK
from pulumi_vast.sim.sealing import Keyring
from pulumi_vast.sim.store import Store, Table

__all__ = ["BackendBase", "Changes"]


@dataclass
class Changes:
    """Ids whose hosting (SSH server, folders, mounts) may have to follow the backend."""

    instances: set[int] = field(default_factory=set)
    volumes: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.instances or self.volumes)

    def update(self, other: Changes) -> None:
        self.instances |= other.instances
        self.volumes |= other.volumes


class BackendBase:
    """The simulated Vast service's shared plumbing (no HTTP, no hosting here)."""

    TABLES: ClassVar[tuple[Table, ...]] = ()
    COUNTERS: ClassVar[Mapping[str, int]] = {}

    def __init__(
        self,
        store: Store,
        *,
        data_dir: Path,
        seed: int,
        market_scale: int = 1,
        default_boot_delay: float,
        default_created_delay: float = 0.0,
        wall: Callable[[], float] = time.time,
        faults: FaultBook | None = None,
        allocate_port: Callable[[set[int]], int] | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.keyring = keyring if keyring is not None else Keyring.of(data_dir)
        store.ensure(self.tables())
        migrations.upgrade(store, self.keyring)
        self.default_boot_delay = default_boot_delay
        self.default_created_delay = default_created_delay
        self.faults = faults if faults is not None else FaultBook()
        self._allocate_port = allocate_port or (lambda used: free_port(LOOPBACK, avoid=used))
        meta = store.meta()
        made = "seed" in meta and "epoch" in meta
        self.seed: int = meta.get("seed", seed)
        # A world made before scales existed has the market of scale 1.
        self.market_scale: int = meta.get("market_scale", 1 if made else market_scale)
        self.epoch: float = meta.get("epoch", wall())
        self.clock = Clock(meta.get("clock_offset", 0.0), wall=wall)
        self._next: dict[str, int] = {
            name: meta.get(f"next_{name}", first) for name, first in self.counters().items()
        }
        if not made:
            with store.transaction():
                store.set_meta("seed", self.seed)
                store.set_meta("epoch", self.epoch)
                store.set_meta("market_scale", self.market_scale)
        self.changes = Changes()
        """What mutations changed since the app last took it (`take_changes`)."""
        self._load()

    # ---- registries derived from the mixins --------------------------------------------

    @classmethod
    def tables(cls) -> tuple[Table, ...]:
        """Every mixin's `TABLES`."""
        found = (t for part in reversed(cls.__mro__) for t in part.__dict__.get("TABLES", ()))
        return tuple(dict.fromkeys(found))

    @classmethod
    def counters(cls) -> dict[str, int]:
        """Every mixin's `COUNTERS`: id sequence -> first id."""
        merged: dict[str, int] = {}
        for part in reversed(cls.__mro__):
            merged.update(part.__dict__.get("COUNTERS", {}))
        return merged

    def _load(self) -> None:
        """Read the mixin's records from the store (each mixin adds its own)."""

    def _forget(self) -> None:
        """Drop the mixin's records from memory, on reset (each mixin adds its own)."""

    def _tick(self, now: float) -> Changes:
        """Apply the mixin's due transitions; what changed (each mixin adds its own)."""
        return Changes()

    def _ledger_sections(self, owner: str | None, now: float) -> list[LedgerSection]:
        """What the mixin bills, of one owner or everyone (each mixin adds its own)."""
        return []

    # ---- the world ----------------------------------------------------------------------

    def digest(self, api_key: str) -> str:
        """How an API key is known here (see `sealing`)."""
        return self.keyring.digest(api_key)

    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> float:
        try:
            now = self.clock.advance(seconds)
        except ValueError as exc:
            raise BadRequest(f"Invalid args: {exc}") from exc
        self.store.set_meta("clock_offset", self.clock.offset)
        return now

    def reset(self) -> None:
        """Forget every record (ids keep increasing); time is now again. What had a host
        is in the change log, so hosting takes it down."""
        self.store.clear()
        self._forget()
        self.faults.clear()
        self.clock.reset()
        self.store.set_meta("clock_offset", 0.0)

    def tick(self) -> Changes:
        """Apply the transitions that are due; what changed (also in the change log)."""
        changed = self._tick(self.now())
        self.changes.update(changed)
        return changed

    def take_changes(self) -> Changes:
        """The change log, emptied."""
        changes, self.changes = self.changes, Changes()
        return changes

    def allocate_port(self, used: set[int]) -> int:
        """A free host port outside `used`."""
        return self._allocate_port(used)

    def _take_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        self.store.set_meta(f"next_{kind}", value + 1)
        return value
