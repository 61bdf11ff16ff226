"""Serverless: endpoints (their autoscaling knobs), worker groups (what their workers run
and on which offers) and the workers the Serverless Engine recruits for them.

Routes, and where openapi and the official client (vastai 1.9.1) disagree:

- endpoints: ``/api/v0/endptjobs/``: ``POST`` answers ``{"success", "result": id}``,
  ``GET`` ``{"success", "results": [...]}``, ``PUT|DELETE .../{id}/``. An unknown id is a
  400 (openapi: "Endpointgroup not found for user"), which `update_endpoint` and
  `delete_endpoint` read as `NotFound`. Deleting an endpoint deletes its worker groups and
  destroys their workers (openapi: "Associated workergroups will also be deleted", and
  the answer lists ``deleted_workers``).
- worker groups: openapi's ``/api/v0/workergroups/`` (the official SDK's serverless client
  uses it too; the CLI still sends the older ``/api/v0/autojobs/``, which the service
  keeps). ``POST`` answers ``{"success", "id"}``. Deleting a worker group does **not**
  destroy its workers (the official CLI: "deleting a workergroup doesn't automatically
  destroy all the instances"): they keep running and billing as plain instances, so
  `delete_worker_group` answers the workers it left for the caller to destroy.
- the autoscaler's routes live on another host (``https://run.vast.ai`` for the real
  service, the API URL itself for any other, as the official client does):
  ``POST /get_endpoint_workers/`` ``{"id"}`` lists an endpoint's workers with their
  status, ``POST /update_workers/`` ``{"workergroup_id"}`` rolls a group's workers to
  its current template and launch arguments, and ``POST /route/`` ``{"endpoint": name,
  "cost"}`` is where a client of the endpoint asks for a worker's ``url`` (`route_url`).

The knobs' ranges (`ENDPOINT_LIMITS`...) are the ones the simulator enforces: openapi
documents only "target_util: fraction, max 1.0"; the rest are the simulator's, chosen wide
enough for any real endpoint. A resource validates against these same numbers.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pulumi_vast.api._base import SubClient, VastModel
from pulumi_vast.api.defaults import DEFAULT_API_URL
from pulumi_vast.api.errors import BadRequest, NotFound
from pulumi_vast.api.query import Query, parse_query

if TYPE_CHECKING:
    from pulumi_vast.api.transport import Transport

__all__ = [
    "AUTOSCALER_URL",
    "DEFAULT_ENDPOINT_NAME",
    "DEFAULT_INACTIVITY_TIMEOUT",
    "DEFAULT_MAX_QUEUE_TIME",
    "DEFAULT_TARGET_QUEUE_TIME",
    "DEFAULT_TEST_WORKERS",
    "ENDPOINT_STATES",
    "MAX_ENDPOINT_NAME_LENGTH",
    "MAX_LAUNCH_ARGS_LENGTH",
    "MAX_LOAD",
    "MAX_QUEUE_SECONDS",
    "MAX_TIMEOUT_SECONDS",
    "MAX_WORKERS",
    "WORKER_STATUSES",
    "EndpointKnobs",
    "EndpointRecord",
    "EndpointRequest",
    "ServerlessClient",
    "Worker",
    "WorkerGroupRecord",
    "WorkerGroupRequest",
]

AUTOSCALER_URL = "https://run.vast.ai"
"""Where the real service's autoscaler routes live (another URL serves them itself)."""
_ENDPOINTS = "/api/v0/endptjobs/"
_ENDPOINT = "/api/v0/endptjobs/{id}/"
_GROUPS = "/api/v0/workergroups/"
_GROUP = "/api/v0/workergroups/{id}/"
_WORKERS = "/get_endpoint_workers/"
_UPDATE_WORKERS = "/update_workers/"
_ROUTE = "/route/"

MAX_WORKERS = 256
MAX_LOAD = 1e9
"""Perf units per second (tokens/s for an LLM): far above any endpoint's."""
MAX_QUEUE_SECONDS = 3600.0
MAX_TIMEOUT_SECONDS = 30 * 86400.0
MAX_ENDPOINT_NAME_LENGTH = 256
MAX_LAUNCH_ARGS_LENGTH = 4096
DEFAULT_ENDPOINT_NAME = "default-endpoint"
"""openapi's default name of an endpoint created without one."""
DEFAULT_MAX_QUEUE_TIME = 30.0
DEFAULT_TARGET_QUEUE_TIME = 10.0
"""The official CLI's stated defaults ("default 30.0", "default 10.0")."""
DEFAULT_INACTIVITY_TIMEOUT = 300.0
"""Seconds of lower load before the engine scales down (the simulator's default; Vast's
docs show 300 in their example)."""
DEFAULT_TEST_WORKERS = 3
ENDPOINT_STATES = ("active", "suspended", "stopped")
WORKER_STATUSES = ("creating", "loading", "idle", "running", "stopped", "unavail")
"""A worker's ``status``: its instance is being created / loading / runs without load /
serves load / is stopped (a cold worker) / its host failed."""

EndpointState = Literal["active", "suspended", "stopped"]


class EndpointKnobs(BaseModel):
    """An endpoint's autoscaling knobs with the API's ranges; None: the service's default
    (on create) or unchanged (on update)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_load: float | None = Field(default=None, ge=0, le=MAX_LOAD, allow_inf_nan=False)
    """Floor of the load the endpoint is sized for, in perf units/s."""
    min_cold_load: float | None = Field(default=None, ge=0, le=MAX_LOAD, allow_inf_nan=False)
    target_util: float | None = Field(default=None, gt=0, le=1)
    """The fraction of its workers' capacity the load should use (openapi: max 1.0)."""
    cold_mult: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    cold_workers: int | None = Field(default=None, ge=0, le=MAX_WORKERS)
    max_workers: int | None = Field(default=None, ge=0, le=MAX_WORKERS)
    max_queue_time: float | None = Field(default=None, gt=0, le=MAX_QUEUE_SECONDS)
    target_queue_time: float | None = Field(default=None, gt=0, le=MAX_QUEUE_SECONDS)
    inactivity_timeout: float | None = Field(default=None, ge=0, le=MAX_TIMEOUT_SECONDS)

    @model_validator(mode="after")
    def _consistent(self) -> EndpointKnobs:
        if (
            self.cold_workers is not None
            and self.max_workers is not None
            and self.cold_workers > self.max_workers
        ):
            raise ValueError(
                f"cold_workers ({self.cold_workers}) must not exceed max_workers "
                f"({self.max_workers})"
            )
        if (
            self.target_queue_time is not None
            and self.max_queue_time is not None
            and self.target_queue_time > self.max_queue_time
        ):
            raise ValueError(
                f"target_queue_time ({self.target_queue_time:g}) must not exceed "
                f"max_queue_time ({self.max_queue_time:g})"
            )
        return self


class EndpointRequest(EndpointKnobs):
    """An endpoint to create, or the fields of one to change (None: unchanged)."""

    endpoint_name: str | None = Field(
        default=None, min_length=1, max_length=MAX_ENDPOINT_NAME_LENGTH
    )
    endpoint_state: EndpointState | None = None

    def to_payload(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class EndpointRecord(VastModel):
    """An endpoint as ``GET /api/v0/endptjobs/`` lists it (its ``api_key`` is dropped)."""

    id: int
    endpoint_name: str
    endpoint_state: str | None = None
    min_load: float | None = None
    min_cold_load: float | None = None
    target_util: float | None = None
    cold_mult: float | None = None
    cold_workers: int | None = None
    max_workers: int | None = None
    max_queue_time: float | None = None
    target_queue_time: float | None = None
    inactivity_timeout: float | None = None
    user_id: int | None = None
    created_at: Any = None


class WorkerGroupRequest(BaseModel):
    """A worker group to create, or the fields of one to change (None: unchanged).

    ``search`` is a GPU offer query (the `Query` language, or its text) for the offers its
    workers rent; the official client adds ``verified=true rentable=true rented=false``
    unless told not to (as it spells it), which ``search_defaults`` mirrors."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    endpoint_id: int | None = Field(default=None, gt=0)
    endpoint_name: str | None = Field(
        default=None, min_length=1, max_length=MAX_ENDPOINT_NAME_LENGTH
    )
    template_hash: str | None = Field(default=None, min_length=1, max_length=64)
    template_id: int | None = Field(default=None, gt=0)
    search: Query | None = None
    search_defaults: bool = True
    launch_args: str | None = Field(default=None, max_length=MAX_LAUNCH_ARGS_LENGTH)
    gpu_ram: float | None = Field(default=None, ge=0, le=1e4)
    """GB of GPU RAM a worker needs (beside the query)."""
    test_workers: int | None = Field(default=None, ge=0, le=MAX_WORKERS)
    min_load: float | None = Field(default=None, ge=0, le=MAX_LOAD, allow_inf_nan=False)
    target_util: float | None = Field(default=None, gt=0, le=1)
    cold_mult: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    min_cold_load: float | None = Field(default=None, ge=0, le=MAX_LOAD, allow_inf_nan=False)
    max_workers: int | None = Field(default=None, ge=0, le=MAX_WORKERS)

    @field_validator("search", mode="before")
    @classmethod
    def _search(cls, value: Any) -> Any:
        return parse_query(value) if isinstance(value, str) else value

    def search_params(self) -> str | None:
        """The query as the official client sends it (its text, defaults appended)."""
        if self.search is None and not self.search_defaults:
            return None
        text = self.search.render() if self.search is not None else ""
        if self.search_defaults:
            text = f"{text} verified=True rentable=True rented=False".strip()
        return text

    def to_payload(self) -> dict[str, Any]:
        body = self.model_dump(exclude_none=True, exclude={"search", "search_defaults"})
        params = self.search_params()
        if params is not None:
            body["search_params"] = params
        return body


class WorkerGroupRecord(VastModel):
    """A worker group as ``GET /api/v0/workergroups/`` lists it."""

    id: int
    endpoint_id: int | None = None
    endpoint_name: str | None = None
    template_hash: str | None = None
    template_id: int | None = None
    search_query: Any = None
    """The offer filters, as JSON (``{"gpu_ram": {"gte": 24000.0}}``)."""
    launch_args: str | None = None
    gpu_ram: float | None = None
    test_workers: int | None = None
    min_load: float | None = None
    target_util: float | None = None
    cold_mult: float | None = None
    user_id: int | None = None
    created_at: Any = None


class Worker(VastModel):
    """One of an endpoint's workers: an instance the engine recruited."""

    id: int
    """The instance's id."""
    status: str
    workergroup_id: int | None = None
    gpu_name: str | None = None
    cur_load: float = 0.0
    measured_perf: float = 0.0
    needs_update: bool = False
    """Still on an older template or launch arguments of its group (see `update_workers`)."""


class ServerlessClient(SubClient):
    """``client.serverless``: endpoints, worker groups and their workers."""

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        api_url = transport.api_url
        self._autoscaler = AUTOSCALER_URL if api_url == DEFAULT_API_URL else api_url

    # ---- endpoints ----------------------------------------------------------------------

    def list_endpoints(self) -> builtins.list[EndpointRecord]:
        data = self._transport.request("GET", _ENDPOINTS)
        return [self._parse(EndpointRecord, row, "GET", _ENDPOINTS) for row in _results(data)]

    def get_endpoint(self, endpoint_id: int) -> EndpointRecord | None:
        return next((e for e in self.list_endpoints() if e.id == endpoint_id), None)

    def find_endpoint(self, name: str) -> EndpointRecord | None:
        """The account's endpoint of that name (names are unique per account)."""
        return next((e for e in self.list_endpoints() if e.endpoint_name == name), None)

    def create_endpoint(self, request: EndpointRequest) -> int:
        """The new endpoint's id. Not repeated once it may have reached Vast: after a lost
        answer, `find_endpoint` by its name."""
        data = self._transport.request(
            "POST", _ENDPOINTS, json=request.to_payload(), idempotent=False
        )
        if not isinstance(data, dict) or not isinstance(data.get("result"), int):
            raise self._unexpected("POST", _ENDPOINTS, "a body without the new id in 'result'")
        return int(data["result"])

    def update_endpoint(self, endpoint_id: int, request: EndpointRequest) -> None:
        """Change the fields given; `NotFound` when the account has no such endpoint."""
        self._missing_as_not_found(
            "PUT", _ENDPOINT, endpoint_id, {"endptjob_id": endpoint_id, **request.to_payload()}
        )

    def delete_endpoint(self, endpoint_id: int) -> builtins.list[int] | None:
        """Delete it, its worker groups and their workers: the workers destroyed, or None
        when the endpoint was already gone."""
        try:
            data = self._missing_as_not_found(
                "DELETE", _ENDPOINT, endpoint_id, {"endptjob_id": endpoint_id}
            )
        except NotFound:
            return None
        return [int(i) for i in data.get("deleted_workers", [])] if isinstance(data, dict) else []

    # ---- worker groups --------------------------------------------------------------------

    def list_worker_groups(self) -> builtins.list[WorkerGroupRecord]:
        data = self._transport.request("GET", _GROUPS)
        return [self._parse(WorkerGroupRecord, row, "GET", _GROUPS) for row in _results(data)]

    def get_worker_group(self, group_id: int) -> WorkerGroupRecord | None:
        return next((g for g in self.list_worker_groups() if g.id == group_id), None)

    def create_worker_group(self, request: WorkerGroupRequest) -> int:
        """The new group's id (the engine starts recruiting at once). Not repeated once it
        may have reached Vast."""
        if request.endpoint_id is None and request.endpoint_name is None:
            raise ValueError("a worker group needs its endpoint_id or endpoint_name")
        if request.template_hash is None and request.template_id is None:
            raise ValueError("a worker group needs its template_hash or template_id")
        data = self._transport.request("POST", _GROUPS, json=request.to_payload(), idempotent=False)
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise self._unexpected("POST", _GROUPS, "a body without the new id in 'id'")
        return int(data["id"])

    def update_worker_group(self, group_id: int, request: WorkerGroupRequest) -> None:
        """Change the fields given (new workers use them; `update_workers` rolls the
        others); `NotFound` when the account has no such group."""
        self._missing_as_not_found("PUT", _GROUP, group_id, request.to_payload())

    def delete_worker_group(self, group_id: int) -> builtins.list[int] | None:
        """Delete the group: the ids of the workers it leaves running (Vast does not destroy
        them: the caller should), or None when the group was already gone."""
        workers = [w.id for w in self._group_workers(group_id)]
        try:
            self._transport.request(
                "DELETE", _GROUP, path_params={"id": group_id}, json={"autojob_id": group_id}
            )
        except NotFound:
            return None
        return workers

    # ---- workers --------------------------------------------------------------------------

    def workers(self, endpoint_id: int) -> builtins.list[Worker]:
        """The endpoint's workers now, with their status."""
        data = self._transport.request(
            "POST", _WORKERS, json={"id": endpoint_id}, idempotent=True, base_url=self._autoscaler
        )
        rows = data.get("workers") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise self._unexpected("POST", _WORKERS, "neither a list of workers nor 'workers'")
        return [self._parse(Worker, row, "POST", _WORKERS) for row in rows]

    def update_workers(self, group_id: int, *, cancel: bool = False) -> int:
        """Roll the group's workers to its current template and launch arguments (or cancel
        a roll): how many workers it replaces."""
        body: dict[str, Any] = {"workergroup_id": group_id}
        if cancel:
            body["cancel_update"] = True
        data = self._transport.request(
            "POST", _UPDATE_WORKERS, json=body, idempotent=True, base_url=self._autoscaler
        )
        if not isinstance(data, dict) or not data.get("success"):
            message = data.get("error_msg") if isinstance(data, dict) else None
            raise BadRequest(
                f"update_workers for worker group {group_id} failed: {message or data!r}",
                method="POST",
                path=_UPDATE_WORKERS,
                status=200,
            )
        return int(data.get("workers_to_update", 0))

    @property
    def route_url(self) -> str:
        """Where clients of an endpoint ask for a worker (``POST {"endpoint", "cost"}``)."""
        return self._autoscaler + _ROUTE

    def route(self, endpoint_name: str, *, cost: float = 1.0) -> dict[str, Any]:
        """A worker for one request of ``cost`` perf units: ``{"url", ...}``, or
        ``{"status"}`` while none is ready."""
        data = self._transport.request(
            "POST",
            _ROUTE,
            json={"endpoint": endpoint_name, "cost": cost},
            idempotent=True,
            base_url=self._autoscaler,
        )
        if not isinstance(data, dict):
            raise self._unexpected("POST", _ROUTE, "a body that is not an object")
        return data

    # ---- plumbing -------------------------------------------------------------------------

    def _group_workers(self, group_id: int) -> builtins.list[Worker]:
        group = self.get_worker_group(group_id)
        if group is None or group.endpoint_id is None:
            return []
        return [w for w in self.workers(group.endpoint_id) if w.workergroup_id == group_id]

    def _missing_as_not_found(
        self, method: str, route: str, object_id: int, body: dict[str, Any]
    ) -> Any:
        """Vast answers an unknown endpoint or group with a 400 ("... not found for user")."""
        try:
            return self._transport.request(method, route, path_params={"id": object_id}, json=body)
        except BadRequest as exc:
            if "not found" in str(exc).lower():
                raise NotFound(
                    str(exc), method=method, path=route.format(id=object_id), status=400
                ) from exc
            raise


def _results(data: Any) -> builtins.list[Any]:
    rows = data.get("results") if isinstance(data, dict) else None
    return rows if isinstance(rows, list) else []
