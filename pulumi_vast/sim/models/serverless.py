"""Serverless: endpoints, worker groups, and the Serverless Engine that recruits workers.

**Objects.** An endpoint holds the autoscaling knobs; a worker group belongs to one
endpoint and says what its workers are made of (a template, launch arguments) and which
offers they rent (an offer query). A worker is a real instance of the account: rented from
the market, booting like any other, with its SSH server, billing in the ledger.

**Deletion.** Deleting a worker group leaves its workers running (and billing) as plain
instances, as Vast does (the official CLI: "deleting a workergroup doesn't automatically
destroy all the instances"). Deleting an endpoint deletes its groups and destroys their
workers (openapi: "Associated workergroups will also be deleted", with the
``deleted_workers`` it lists).

**The load model.** The load offered to an endpoint is set by a test through the admin
route (``PUT /_sim/endpoints/{id}/load {"load": requests/s}``); one running worker serves
`Endpoint.worker_perf` (10 perf units/s unless the route sets it). On every tick, off the
simulator's clock, the engine:

1. sizes the hot (running) workers for the demand ``max(load, min_load)``:
   ``need = ceil(demand / (worker_perf * target_util))``, at most ``max_workers`` (0 for
   no demand). A larger need is taken at once; a smaller one only once the need has
   stayed below the current size for ``inactivity_timeout`` seconds;
2. keeps ``cold = min(cold_workers, max_workers - hot)`` more workers cold: loaded once,
   then stopped (storage bills, GPUs do not), ready to start when the load comes;
3. releases (destroys) workers beyond ``hot + cold``, recruits the missing ones (the
   cheapest offer matching the group's query, made from its template and launch
   arguments), starts cold workers that must turn hot (before recruiting new ones) and
   stops hot workers that must turn cold;
4. recruits ``test_workers`` at a group's creation and keeps them until that many of the
   group's workers have run once (Vast's performance test), whatever the load;
5. replaces workers whose instance failed (offline, exited) or was destroyed by the user.

``POST /route/`` answers a hot running worker's first published port, taking turns; the
requests it routes are not counted as load (the admin route's load is the model's).

``min_cold_load``, ``cold_mult``, ``max_queue_time`` and ``target_queue_time`` are kept and
shown but not part of the model, nor are a group's own knobs (its endpoint's drive it); an
endpoint ``suspended`` is left as it is, one ``stopped`` keeps its workers cold. A rolling
update (``update_workers``) marks the group's workers made of an older template or launch
arguments; the engine recruits fresh ones in their place and destroys the old hot ones once
the fresh hot ones run.
"""

from __future__ import annotations

import math
import shlex
from collections import deque
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pulumi_vast.api.errors import QueryError
from pulumi_vast.api.query import parse_query
from pulumi_vast.api.serverless import (
    DEFAULT_ENDPOINT_NAME,
    DEFAULT_INACTIVITY_TIMEOUT,
    DEFAULT_MAX_QUEUE_TIME,
    DEFAULT_TARGET_QUEUE_TIME,
    DEFAULT_TEST_WORKERS,
    MAX_LAUNCH_ARGS_LENGTH,
    MAX_LOAD,
    MAX_WORKERS,
    EndpointRequest,
)
from pulumi_vast.sim.bodies import CreateInstanceBody, parse_body
from pulumi_vast.sim.errors import BadRequest, NoSuchAsk, NotFound, SimError
from pulumi_vast.sim.models.base import Changes
from pulumi_vast.sim.models.instances import InstancesBackend
from pulumi_vast.sim.records import LOOPBACK, PENDING, Account, Phase, _iso, new_key
from pulumi_vast.sim.records.serverless import Endpoint, Worker, WorkerGroup

__all__ = [
    "DEFAULT_GPU_RAM",
    "DEFAULT_WORKER_PERF",
    "FIRST_ENDPOINT_ID",
    "FIRST_WORKER_GROUP_ID",
    "EndpointBody",
    "LoadBody",
    "ServerlessBackend",
    "WorkerGroupBody",
]

FIRST_ENDPOINT_ID = 7_001
FIRST_WORKER_GROUP_ID = 9_001
DEFAULT_WORKER_PERF = 10.0
DEFAULT_GPU_RAM = 24.0
"""openapi's default ``gpu_ram`` of a group: shown, not a filter (the official CLI: an
"estimated GPU RAM req (independent of search string)")."""
ENDPOINT_KEY_PREFIX = "vastsim-endpoint-"
_LOG_LINES = 200
_LAUNCH_FLAGS = {
    "--image": "image",
    "--disk": "disk",
    "--env": "env",
    "--onstart-cmd": "onstart",
    "--onstart_cmd": "onstart",
    "--args": "args_str",
    "--label": "label",
}
_KEEP_RANK = {Phase.RUNNING: 0, Phase.LOADING: 1, Phase.STOPPED: 3}
"""Which workers the engine keeps (and makes hot) first: running, loading, being
created, stopped."""


class EndpointBody(EndpointRequest):
    """An endpoint create or update as the official client sends it (with ``client_id``,
    ``endptjob_id``, ``autoscaler_instance`` beside the knobs)."""

    model_config = ConfigDict(extra="allow", frozen=True)


class WorkerGroupBody(BaseModel):
    """A worker group create or update: openapi's fields, the official CLI's (``/autojobs/``)
    and the SDK's."""

    model_config = ConfigDict(extra="allow")

    endpoint_id: int | None = Field(default=None, gt=0)
    endpoint_name: str | None = Field(default=None, min_length=1, max_length=256)
    template_hash: str | None = Field(default=None, min_length=1, max_length=64)
    template_id: int | None = Field(default=None, gt=0)
    search_params: str | dict[str, Any] | None = None
    launch_args: str | None = Field(default=None, max_length=MAX_LAUNCH_ARGS_LENGTH)
    gpu_ram: float | None = Field(default=None, ge=0, le=1e4)
    test_workers: int | None = Field(default=None, ge=0, le=MAX_WORKERS)
    min_load: float | None = Field(default=None, ge=0, le=MAX_LOAD, allow_inf_nan=False)
    target_util: float | None = Field(default=None, gt=0, le=1)
    cold_mult: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    min_cold_load: float | None = Field(default=None, ge=0, le=MAX_LOAD, allow_inf_nan=False)
    max_workers: int | None = Field(default=None, ge=0, le=MAX_WORKERS)

    @field_validator("launch_args")
    @classmethod
    def _launch_args(cls, value: str | None) -> str | None:
        if value:
            launch_fields(value)
        return value or None


class LoadBody(BaseModel):
    """The admin route's offered load."""

    model_config = ConfigDict(extra="forbid")

    load: float = Field(ge=0, le=MAX_LOAD, allow_inf_nan=False)
    """Perf units (requests) per second offered to the endpoint."""
    worker_perf: float | None = Field(default=None, gt=0, le=MAX_LOAD, allow_inf_nan=False)
    """What one running worker serves (unchanged when absent)."""


def launch_fields(text: str) -> dict[str, Any]:
    """A group's launch arguments as the fields of an instance create, or ValueError."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"launch_args: {exc}") from None
    fields: dict[str, Any] = {}
    while words:
        flag = words.pop(0)
        name = _LAUNCH_FLAGS.get(flag)
        if name is None or not words:
            valid = ", ".join(sorted(_LAUNCH_FLAGS))
            what = "needs a value" if name is not None else "is not a launch argument"
            raise ValueError(f"launch_args: {flag!r} {what}; valid: {valid}")
        fields[name] = words.pop(0)
    if "disk" in fields:
        try:
            fields["disk"] = float(fields["disk"])
        except ValueError:
            raise ValueError("launch_args: --disk takes GB, a number") from None
    return fields


def _filters(search_params: str | dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    if isinstance(search_params, dict):
        return "", search_params
    text = search_params or ""
    try:
        return text, parse_query(text).filters
    except QueryError as exc:
        raise BadRequest(f"Invalid args: search_params: {exc}") from None


class ServerlessBackend(InstancesBackend):
    # mypy types each mixin's TABLES by its literal (tuple[str] above us); base reads them all.
    TABLES = ("endpoints", "worker_groups", "workers")  # type: ignore[assignment]
    COUNTERS: ClassVar[dict[str, int]] = {
        "endpoint": FIRST_ENDPOINT_ID,
        "worker_group": FIRST_WORKER_GROUP_ID,
    }

    endpoints: dict[int, Endpoint]
    worker_groups: dict[int, WorkerGroup]
    workers: dict[int, Worker]
    """By instance id."""

    def _load(self) -> None:
        super()._load()
        self.endpoints = {
            r["id"]: Endpoint.from_record(r, self.keyring) for r in self.store.load("endpoints")
        }
        self.worker_groups = {
            r["id"]: WorkerGroup.from_record(r, self.keyring)
            for r in self.store.load("worker_groups")
        }
        self.workers = {r["instance_id"]: Worker.from_record(r) for r in self.store.load("workers")}
        self._engine_log: dict[int, deque[str]] = {}
        self._routed = 0
        """Requests routed so far (their ``reqnum``; in memory)."""

    def _forget(self) -> None:
        super()._forget()
        self.endpoints.clear()
        self.worker_groups.clear()
        self.workers.clear()
        self._engine_log.clear()

    def _save_endpoint(self, endpoint: Endpoint) -> None:
        self.store.put("endpoints", endpoint.id, endpoint.to_record(self.keyring))

    def _save_group(self, group: WorkerGroup) -> None:
        self.store.put("worker_groups", group.id, group.to_record(self.keyring))

    def _fingerprint(self, group: WorkerGroup) -> str:
        return self.digest(group.make_up())

    def _save_worker(self, worker: Worker) -> None:
        self.store.put("workers", worker.instance_id, worker.to_record())

    def _forget_worker(self, worker: Worker) -> None:
        self.workers.pop(worker.instance_id, None)
        self.store.delete("workers", worker.instance_id)

    def _log(self, endpoint: Endpoint, text: str) -> None:
        """A line of the endpoint's log (in memory; a repeat of the last line is not)."""
        lines = self._engine_log.setdefault(endpoint.id, deque(maxlen=_LOG_LINES))
        if not lines or lines[-1].split(" ", 1)[1] != text:
            lines.append(f"{_iso(self.now())} {text}")

    # ---- endpoints ----------------------------------------------------------------------

    def own_endpoints(self, account: Account) -> list[Endpoint]:
        return sorted(
            (e for e in self.endpoints.values() if e.account == account.digest),
            key=lambda e: e.id,
        )

    def own_endpoint(self, account: Account, endpoint_id: int, missing: str) -> Endpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or endpoint.account != account.digest:
            raise BadRequest(missing)
        return endpoint

    def _name_free(self, account: Account, name: str, but: int | None = None) -> None:
        for other in self.own_endpoints(account):
            if other.name == name and other.id != but:
                raise BadRequest(
                    f"Invalid args: an endpoint named {name!r} exists (id {other.id}); "
                    "endpoint names are unique per account"
                )

    def create_endpoint(self, account: Account, body: Mapping[str, Any]) -> Endpoint:
        request = parse_body(EndpointBody, dict(body))
        name = request.endpoint_name or DEFAULT_ENDPOINT_NAME
        self._name_free(account, name)
        endpoint = Endpoint(
            id=self._take_id("endpoint"),
            account=account.digest,
            account_id=account.id,
            name=name,
            min_load=_given(request.min_load, 0.0),
            min_cold_load=_given(request.min_cold_load, 0.0),
            target_util=_given(request.target_util, 0.9),
            cold_mult=_given(request.cold_mult, 2.5),
            cold_workers=_given(request.cold_workers, 5),
            max_workers=_given(request.max_workers, 20),
            max_queue_time=_given(request.max_queue_time, DEFAULT_MAX_QUEUE_TIME),
            target_queue_time=_given(request.target_queue_time, DEFAULT_TARGET_QUEUE_TIME),
            inactivity_timeout=_given(request.inactivity_timeout, DEFAULT_INACTIVITY_TIMEOUT),
            created_at=self.now(),
            api_key=new_key(ENDPOINT_KEY_PREFIX),
            state=request.endpoint_state or "active",
        )
        self.endpoints[endpoint.id] = endpoint
        self._save_endpoint(endpoint)
        self._log(endpoint, f"endpoint {endpoint.id} {name!r} created")
        return endpoint

    def update_endpoint(
        self, account: Account, endpoint_id: int, body: Mapping[str, Any]
    ) -> Endpoint:
        endpoint = self.own_endpoint(account, endpoint_id, "Endpointgroup not found for user")
        request = parse_body(EndpointBody, dict(body))
        changes = request.model_dump(include=set(Endpoint.KNOBS), exclude_none=True)
        if request.endpoint_name is not None:
            self._name_free(account, request.endpoint_name, but=endpoint.id)
        for name, value in changes.items():
            setattr(endpoint, name, value)
        if request.endpoint_name is not None:
            endpoint.name = request.endpoint_name
        if request.endpoint_state is not None:
            endpoint.state = request.endpoint_state
        self._save_endpoint(endpoint)
        self._log(endpoint, f"endpoint updated: {sorted(changes)}")
        return endpoint

    def delete_endpoint(self, account: Account, endpoint_id: int) -> list[int]:
        """Delete it and its groups, destroying their workers: the workers destroyed."""
        endpoint = self.own_endpoint(account, endpoint_id, "Routegroup not found for user")
        destroyed = []
        for worker in self._endpoint_workers(endpoint.id):
            if self.owned(account, worker.instance_id) is not None:
                self.destroy(account, worker.instance_id)
                destroyed.append(worker.instance_id)
            self._forget_worker(worker)
        for group in self._endpoint_groups(endpoint.id):
            del self.worker_groups[group.id]
            self.store.delete("worker_groups", group.id)
        del self.endpoints[endpoint.id]
        self.store.delete("endpoints", endpoint.id)
        self._engine_log.pop(endpoint.id, None)
        return destroyed

    def endpoint_json(self, endpoint: Endpoint) -> dict[str, Any]:
        """As ``GET /api/v0/endptjobs/`` lists it."""
        return {
            "id": endpoint.id,
            "endpoint_name": endpoint.name,
            "endpoint_state": endpoint.state,
            **{name: getattr(endpoint, name) for name in Endpoint.KNOBS},
            "api_key": endpoint.api_key,
            "user_id": endpoint.account_id,
            "created_at": _iso(endpoint.created_at),
            "auto_delete_in_seconds": None,
            "auto_delete_due_24h": False,
        }

    def engine_log(self, endpoint: Endpoint) -> list[str]:
        return list(self._engine_log.get(endpoint.id, ()))

    # ---- worker groups ------------------------------------------------------------------

    def _endpoint_groups(self, endpoint_id: int) -> list[WorkerGroup]:
        return sorted(
            (g for g in self.worker_groups.values() if g.endpoint_id == endpoint_id),
            key=lambda g: g.id,
        )

    def _endpoint_workers(self, endpoint_id: int) -> list[Worker]:
        return sorted(
            (w for w in self.workers.values() if w.endpoint_id == endpoint_id),
            key=lambda w: w.instance_id,
        )

    def own_groups(self, account: Account) -> list[WorkerGroup]:
        return sorted(
            (g for g in self.worker_groups.values() if g.account == account.digest),
            key=lambda g: g.id,
        )

    def own_group(self, account: Account, group_id: int) -> WorkerGroup | None:
        group = self.worker_groups.get(group_id)
        return group if group is not None and group.account == account.digest else None

    def _group_endpoint(self, account: Account, body: WorkerGroupBody) -> Endpoint:
        wrong = "Please assign your workergroup to a valid endpoint identifier"
        if body.endpoint_id is not None:
            return self.own_endpoint(account, body.endpoint_id, wrong)
        for endpoint in self.own_endpoints(account):
            if endpoint.name == body.endpoint_name:
                return endpoint
        raise BadRequest(wrong)

    def _group_template(self, account: Account, body: WorkerGroupBody) -> tuple[str, int]:
        if body.template_hash is not None:
            template, _ = self.resolve_template(account, body.template_hash)
            return body.template_hash, template.id
        if body.template_id is not None:
            for template in self.visible_templates(account):
                if template.id == body.template_id:
                    return template.hash_id, template.id
            raise BadRequest(f"Invalid args: no template with id {body.template_id}")
        raise BadRequest("Invalid args: a workergroup needs its template_hash or template_id")

    def create_worker_group(self, account: Account, fields: Mapping[str, Any]) -> WorkerGroup:
        body = parse_body(WorkerGroupBody, dict(fields))
        endpoint = self._group_endpoint(account, body)
        template_hash, template_id = self._group_template(account, body)
        text, filters = _filters(body.search_params)
        group = WorkerGroup(
            id=self._take_id("worker_group"),
            account=account.digest,
            account_id=account.id,
            endpoint_id=endpoint.id,
            template_hash=template_hash,
            template_id=template_id,
            search_params=text,
            filters=filters,
            launch_args=body.launch_args,
            gpu_ram=body.gpu_ram,
            test_workers=_given(body.test_workers, DEFAULT_TEST_WORKERS),
            min_load=body.min_load,
            target_util=body.target_util,
            cold_mult=body.cold_mult,
            min_cold_load=body.min_cold_load,
            max_workers=body.max_workers,
            created_at=self.now(),
        )
        self.worker_groups[group.id] = group
        self._save_group(group)
        self._log(endpoint, f"workergroup {group.id} created from template {template_hash}")
        return group

    def update_worker_group(
        self, account: Account, group_id: int, fields: Mapping[str, Any]
    ) -> WorkerGroup:
        group = self.own_group(account, group_id)
        if group is None:
            raise BadRequest("Workgroup not found for user")
        body = parse_body(WorkerGroupBody, dict(fields))
        if body.endpoint_id is not None or body.endpoint_name is not None:
            group.endpoint_id = self._group_endpoint(account, body).id
            for worker in self.workers.values():
                if worker.group_id == group.id and worker.endpoint_id != group.endpoint_id:
                    worker.endpoint_id = group.endpoint_id
                    self._save_worker(worker)
        if body.template_hash is not None or body.template_id is not None:
            group.template_hash, group.template_id = self._group_template(account, body)
        if body.search_params is not None and body.search_params != "":
            group.search_params, group.filters = _filters(body.search_params)
        for name in ("launch_args", "gpu_ram", "test_workers", "min_load", "target_util"):
            value = getattr(body, name)
            if value is not None:
                setattr(group, name, value)
        for name in ("cold_mult", "min_cold_load", "max_workers"):
            value = getattr(body, name)
            if value is not None:
                setattr(group, name, value)
        self._save_group(group)
        endpoint = self.endpoints[group.endpoint_id]
        self._log(endpoint, f"workergroup {group.id} updated")
        return group

    def delete_worker_group(self, account: Account, group_id: int) -> list[int]:
        """Delete the group; its workers keep running as plain instances: their ids."""
        group = self.own_group(account, group_id)
        if group is None:
            raise NotFound(
                "No workergroup by that id is available.", error="no_such_workergroup", id=group_id
            )
        left = [w for w in self.workers.values() if w.group_id == group.id]
        for worker in left:
            self._forget_worker(worker)
        del self.worker_groups[group.id]
        self.store.delete("worker_groups", group.id)
        endpoint = self.endpoints.get(group.endpoint_id)
        if endpoint is not None:
            self._log(endpoint, f"workergroup {group.id} deleted; {len(left)} workers left running")
        return sorted(w.instance_id for w in left)

    def group_json(self, group: WorkerGroup) -> dict[str, Any]:
        """As ``GET /api/v0/workergroups/`` lists it (its endpoint's knobs where it sets
        none of its own)."""
        endpoint = self.endpoints[group.endpoint_id]
        return {
            "id": group.id,
            "endpoint_id": endpoint.id,
            "endpoint_name": endpoint.name,
            "template_hash": group.template_hash,
            "template_id": group.template_id,
            "search_params": group.search_params,
            "search_query": group.filters,
            "launch_args": group.launch_args or "",
            "gpu_ram": _given(group.gpu_ram, DEFAULT_GPU_RAM),
            "test_workers": group.test_workers,
            "min_load": _given(group.min_load, endpoint.min_load),
            "target_util": _given(group.target_util, endpoint.target_util),
            "cold_mult": _given(group.cold_mult, endpoint.cold_mult),
            "min_cold_load": _given(group.min_cold_load, endpoint.min_cold_load),
            "max_workers": _given(group.max_workers, endpoint.max_workers),
            "api_key": endpoint.api_key,
            "user_id": group.account_id,
            "created_at": _iso(group.created_at),
        }

    # ---- workers ------------------------------------------------------------------------

    def endpoint_workers_json(self, endpoint: Endpoint) -> list[dict[str, Any]]:
        """What ``get endpt-workers`` shows: each worker, its status and load."""
        rows = []
        workers = self._endpoint_workers(endpoint.id)
        serving = [w for w in workers if w.hot and self._phase(w) is Phase.RUNNING]
        share = endpoint.load / len(serving) if serving else 0.0
        for worker in workers:
            instance = self.instances[worker.instance_id]
            offer = self.market.offers.get(instance.offer_id)
            measured = instance.first_running_at is not None
            load = share if worker in serving else 0.0
            rows.append(
                {
                    "id": instance.id,
                    "workergroup_id": worker.group_id,
                    "endpoint_id": endpoint.id,
                    "status": _status(instance.phase, load),
                    "gpu_name": offer.machine.gpu.name if offer is not None else None,
                    "num_gpus": instance.num_gpus,
                    "cur_load": load,
                    "new_load": load,
                    "cur_load_rolling_avg": load,
                    "cur_perf": min(load, endpoint.worker_perf),
                    "perf": endpoint.worker_perf if measured else 0.0,
                    "measured_perf": endpoint.worker_perf if measured else 0.0,
                    "dlperf": offer.machine.gpu.dlperf * instance.num_gpus if offer else 0.0,
                    "reliability": offer.machine.reliability if offer is not None else 0.0,
                    "reqs_working": math.ceil(load),
                    "disk_usage": 0.0,
                    "loaded_at": instance.first_running_at or 0.0,
                    "started_at": instance.created_at,
                    "dph_total": instance.dph_total,
                    "needs_update": worker.stale,
                }
            )
        return rows

    def route(self, account: Account, name: str) -> dict[str, Any]:
        """``POST /route/``: a serving worker's address for one request, taking turns
        (Vast's own picks by load); ``status`` instead while none serves."""
        endpoint = next((e for e in self.own_endpoints(account) if e.name == name), None)
        if endpoint is None:
            raise NotFound(f"No endpoint named {name!r} for user", error="no_such_endpoint")
        serving = [
            self.instances[w.instance_id]
            for w in self._endpoint_workers(endpoint.id)
            if w.hot and not w.stale and self._phase(w) is Phase.RUNNING
        ]
        if not serving:
            return {"endpoint": name, "status": "no worker is ready yet: the engine is scaling"}
        self._routed += 1
        instance = serving[self._routed % len(serving)]
        published = sorted(
            (int(port.split("/")[0]), host)
            for port, host in instance.ports.items()
            if port not in ("ssh", "22/tcp")
        )
        port = published[0][1] if published else instance.ports["ssh"]
        return {
            "endpoint": name,
            "url": f"http://{LOOPBACK}:{port}",
            "worker_id": instance.id,
            "reqnum": self._routed,
            "signature": self.digest(f"{endpoint.api_key}:{self._routed}"),
        }

    def update_workers(self, account: Account, group_id: int, *, cancel: bool) -> int:
        """Mark (or, with `cancel`, unmark) the group's workers made of older settings:
        how many."""
        group = self.own_group(account, group_id)
        if group is None:
            raise BadRequest(f"No workergroup {group_id} for user", error="no_such_workergroup")
        workers = [w for w in self.workers.values() if w.group_id == group.id]
        marked = 0
        for worker in workers:
            stale = not cancel and worker.fingerprint != self._fingerprint(group)
            if worker.stale != stale:
                worker.stale = stale
                self._save_worker(worker)
            marked += stale
        endpoint = self.endpoints[group.endpoint_id]
        what = "cancelled" if cancel else f"started for {marked} workers"
        self._log(endpoint, f"workergroup {group.id} rolling update {what}")
        return marked

    def set_load(self, endpoint_id: int, load: float, worker_perf: float | None) -> Endpoint:
        """The admin route: the load offered to the endpoint (and a worker's capacity)."""
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            raise NotFound(f"no endpoint {endpoint_id}")
        endpoint.load = load
        if worker_perf is not None:
            endpoint.worker_perf = worker_perf
        self._save_endpoint(endpoint)
        self._log(endpoint, f"offered load set to {load:g}/s")
        return endpoint

    def engine_json(self, endpoint_id: int) -> dict[str, Any]:
        """The engine's view of an endpoint (admin): load, targets, workers."""
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            raise NotFound(f"no endpoint {endpoint_id}")
        hot, cold = self._targets(endpoint)
        return {
            "id": endpoint.id,
            "name": endpoint.name,
            "state": endpoint.state,
            "load": endpoint.load,
            "worker_perf": endpoint.worker_perf,
            "hot_target": hot,
            "cold_target": cold,
            "held_since": endpoint.held_since,
            "workers": self.endpoint_workers_json(endpoint),
            "log": self.engine_log(endpoint),
        }

    # ---- the engine ---------------------------------------------------------------------

    def _tick(self, now: float) -> Changes:
        changed = super()._tick(now)
        for endpoint in list(self.endpoints.values()):
            self._scale(endpoint, now)
        return changed

    def _phase(self, worker: Worker) -> Phase:
        return self.instances[worker.instance_id].phase

    def _targets(self, endpoint: Endpoint) -> tuple[int, int]:
        hot = 0 if endpoint.state == "stopped" else endpoint.hot_target
        return hot, min(endpoint.cold_workers, max(0, endpoint.max_workers - hot))

    def _retarget(self, endpoint: Endpoint, now: float) -> None:
        demand = max(endpoint.load, endpoint.min_load)
        capacity = endpoint.worker_perf * endpoint.target_util
        need = min(endpoint.max_workers, math.ceil(demand / capacity)) if demand > 0 else 0
        before = (endpoint.hot_target, endpoint.held_since)
        if need >= endpoint.hot_target:
            if need > endpoint.hot_target:
                self._log(endpoint, f"load {demand:g}/s: scaling up to {need} hot workers")
            endpoint.hot_target, endpoint.held_since = need, None
        elif endpoint.held_since is None:
            endpoint.held_since = now
        elif now - endpoint.held_since >= endpoint.inactivity_timeout:
            self._log(endpoint, f"load {demand:g}/s: scaling down to {need} hot workers")
            endpoint.hot_target, endpoint.held_since = need, None
        if (endpoint.hot_target, endpoint.held_since) != before:
            self._save_endpoint(endpoint)

    def _scale(self, endpoint: Endpoint, now: float) -> None:
        account = self.accounts[endpoint.account]
        self._drop_failed(endpoint, account)
        if endpoint.state == "suspended":
            return
        self._retarget(endpoint, now)
        groups = self._endpoint_groups(endpoint.id)
        if not groups:
            return
        for group in groups:
            self._count_tested(group)
        hot_target, cold_target = self._targets(endpoint)
        testing = sum(max(0, min(g.test_workers, endpoint.max_workers) - g.tested) for g in groups)
        total = min(endpoint.max_workers, max(hot_target + cold_target, testing))
        workers = self._endpoint_workers(endpoint.id)
        fresh = sorted(
            (w for w in workers if not w.stale),
            key=lambda w: (_KEEP_RANK.get(self._phase(w), 2), w.instance_id),
        )
        kept, extra = fresh[:total], fresh[total:]
        if not testing:
            for worker in extra:
                self._release(endpoint, account, worker, "released (not needed)")
        for index, worker in enumerate(kept):
            self._assign(account, worker, hot=index < hot_target or testing > 0)
        hot_now = min(len(kept), hot_target)
        for _ in range(total - len(kept)):
            hot = testing > 0 or hot_now < hot_target
            if not self._recruit(endpoint, account, groups, hot=hot):
                break
            hot_now += hot
        self._retire_stale(endpoint, account, [w for w in workers if w.stale], hot_target)

    def _drop_failed(self, endpoint: Endpoint, account: Account) -> None:
        for worker in self._endpoint_workers(endpoint.id):
            instance = self.instances.get(worker.instance_id)
            if instance is None or not instance.alive:
                self._forget_worker(worker)
                self._log(endpoint, f"worker {worker.instance_id} is gone")
            elif instance.phase in (Phase.OFFLINE, Phase.EXITED):
                self._release(endpoint, account, worker, f"replaced ({instance.phase})")

    def _count_tested(self, group: WorkerGroup) -> None:
        ran = sum(
            1
            for w in self.workers.values()
            if w.group_id == group.id and self.instances[w.instance_id].first_running_at
        )
        if ran > group.tested:
            group.tested = ran
            self._save_group(group)

    def _assign(self, account: Account, worker: Worker, *, hot: bool) -> None:
        """Make the worker hot (started) or cold (stopped once it has loaded)."""
        instance = self.instances[worker.instance_id]
        if worker.hot != hot:
            worker.hot = hot
            self._save_worker(worker)
        if hot and instance.phase is Phase.STOPPED:
            self.set_state(account, instance.id, "running")
        elif not hot and instance.phase is Phase.RUNNING:
            self.set_state(account, instance.id, "stopped")

    def _release(self, endpoint: Endpoint, account: Account, worker: Worker, why: str) -> None:
        if self.owned(account, worker.instance_id) is not None:
            self.destroy(account, worker.instance_id)
        self._forget_worker(worker)
        self._log(endpoint, f"worker {worker.instance_id} {why}")

    def _recruit(
        self, endpoint: Endpoint, account: Account, groups: list[WorkerGroup], *, hot: bool
    ) -> bool:
        """Rent one worker for the group with the fewest; False when none could be."""
        counts = {g.id: 0 for g in groups}
        for worker in self._endpoint_workers(endpoint.id):
            if worker.group_id in counts:
                counts[worker.group_id] += 1
        group = min(groups, key=lambda g: (counts[g.id], g.id))
        offers = self.search_offers(
            account, {**group.filters, "order": [["dph_total", "asc"]], "limit": 16}
        )
        fields = {
            "template_hash_id": group.template_hash,
            "label": f"{endpoint.name}/workergroup-{group.id}",
            **launch_fields(group.launch_args or ""),
        }
        request = CreateInstanceBody.model_validate(fields)
        for offer in offers:
            try:
                instance = self.create_instance(account, int(offer["id"]), request)
            except NoSuchAsk:
                continue  # taken meanwhile: the next one
            except SimError as exc:
                self._log(endpoint, f"workergroup {group.id}: cannot recruit: {exc.msg}")
                return False
            worker = Worker(
                instance_id=instance.id,
                group_id=group.id,
                endpoint_id=endpoint.id,
                fingerprint=self._fingerprint(group),
                recruited_at=self.now(),
                hot=hot,
            )
            self.workers[instance.id] = worker
            self._save_worker(worker)
            self._log(endpoint, f"worker {instance.id} recruited ({'hot' if hot else 'cold'})")
            return True
        self._log(endpoint, f"workergroup {group.id}: no offer matches {group.search_params!r}")
        return False

    def _retire_stale(
        self, endpoint: Endpoint, account: Account, stale: list[Worker], hot_target: int
    ) -> None:
        """Destroy the workers a rolling update replaces: cold ones at once, hot ones once
        as many fresh hot workers run as the load needs."""
        fresh_running = sum(
            1
            for w in self._endpoint_workers(endpoint.id)
            if not w.stale and w.hot and self._phase(w) is Phase.RUNNING
        )
        for worker in stale:
            serving = worker.hot and self._phase(worker) is Phase.RUNNING
            if not serving or fresh_running >= hot_target:
                self._release(endpoint, account, worker, "replaced by the rolling update")


def _given(value: Any, default: Any) -> Any:
    return default if value is None else value


def _status(phase: Phase, load: float) -> str:
    if phase in PENDING or phase is Phase.SCHEDULING:
        return "loading" if phase is Phase.LOADING else "creating"
    if phase is Phase.RUNNING:
        return "running" if load > 0 else "idle"
    if phase is Phase.STOPPED:
        return "stopped"
    return "unavail"
