"""Serverless records: an endpoint (its knobs and the load offered to it), a worker group
(what its workers are made of) and a worker (an instance the engine recruited).

An endpoint's own API key (the one Vast shows in its listings, which its PyWorkers use) is
the simulator's and sealed at rest like every other key (`sealing`), and so are a group's
launch arguments (their ``--env`` may carry tokens); a worker keeps only a keyed digest of
what it was made of.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from pulumi_vast.sim.records import Sealer

__all__ = ["Endpoint", "Worker", "WorkerGroup"]


@dataclass
class Endpoint:
    id: int
    account: str
    """The owner's digest."""
    account_id: int
    name: str
    min_load: float
    min_cold_load: float
    target_util: float
    cold_mult: float
    cold_workers: int
    max_workers: int
    max_queue_time: float
    target_queue_time: float
    inactivity_timeout: float
    created_at: float
    api_key: str
    state: str = "active"
    load: float = 0.0
    """The load offered to it (perf units/s), as the admin route sets it."""
    worker_perf: float = 10.0
    """What one running worker serves (perf units/s)."""
    hot_target: int = 0
    """The running workers the engine keeps now."""
    held_since: float | None = None
    """Since when the load has not needed more than `hot_target` (scale-down clock)."""

    KNOBS = (
        "min_load",
        "min_cold_load",
        "target_util",
        "cold_mult",
        "cold_workers",
        "max_workers",
        "max_queue_time",
        "target_queue_time",
        "inactivity_timeout",
    )

    def to_record(self, sealer: Sealer) -> dict[str, Any]:
        record = asdict(self)
        record["api_key"] = sealer.seal(self.api_key)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any], sealer: Sealer) -> Endpoint:
        data = dict(record)
        data["api_key"] = sealer.unseal(data["api_key"])
        return cls(**data)


@dataclass
class WorkerGroup:
    id: int
    account: str
    account_id: int
    endpoint_id: int
    template_hash: str
    template_id: int
    search_params: str
    """The offer query as given (its text)."""
    filters: dict[str, Any]
    """The query as search filters (API units)."""
    launch_args: str | None
    gpu_ram: float | None
    test_workers: int
    min_load: float | None
    target_util: float | None
    cold_mult: float | None
    min_cold_load: float | None
    max_workers: int | None
    created_at: float
    tested: int = 0
    """Its workers that have run (been measured) so far: the group is in its test phase
    until `test_workers` of them have."""

    def make_up(self) -> str:
        """What its workers are made of (a worker keeps its digest: one made of something
        else is due for an update)."""
        return json.dumps([self.template_hash, self.launch_args])

    def to_record(self, sealer: Sealer) -> dict[str, Any]:
        record = asdict(self)
        record["launch_args"] = sealer.seal(json.dumps(self.launch_args))
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any], sealer: Sealer) -> WorkerGroup:
        data = dict(record)
        data["launch_args"] = json.loads(sealer.unseal(data["launch_args"]))
        return cls(**data)


@dataclass
class Worker:
    instance_id: int
    group_id: int
    endpoint_id: int
    fingerprint: str
    """The keyed digest of its group's `WorkerGroup.make_up` when it was recruited."""
    recruited_at: float
    hot: bool = False
    """Serving (kept running), else cold (stopped once it has loaded)."""
    stale: bool = False
    """Marked by a rolling update: replaced once fresh workers carry the load."""

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Worker:
        return cls(**record)
