"""A serverless endpoint: the route clients call, and the knobs its Serverless Engine
scales the endpoint's workers by."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

import pulumi
from pydantic import Field, model_validator

from pulumi_vast.api import ResponseLost
from pulumi_vast.api.serverless import EndpointRecord
from pulumi_vast.resources._autoscaling import (
    ColdMult,
    Load,
    QueueSeconds,
    TargetUtil,
    TimeoutSeconds,
    WorkerCount,
    inconsistent_knobs,
)
from pulumi_vast.resources._errors import ResourceError
from pulumi_vast.resources._fields import COMPUTED, UPDATE, FieldTable, Input, ResourceArgs
from pulumi_vast.resources._provider import VastProvider
from pulumi_vast.resources._resource import VastResource
from pulumi_vast.resources._serverless import endpoint_outputs, endpoint_request
from pulumi_vast.resources._text import ShownName

__all__ = ["ServerlessEndpoint", "ServerlessEndpointArgs", "ServerlessEndpointProvider"]


class ServerlessEndpointArgs(ResourceArgs):
    """Inputs of a `ServerlessEndpoint`. Every input changes it in place."""

    name: Annotated[
        Input[ShownName] | None,
        UPDATE,
        Field(
            description="The endpoint's name, which clients route by; defaults to the "
            "resource's name.",
            examples=["vllm-qwen"],
        ),
    ] = None
    min_load: Annotated[
        Input[Load],
        UPDATE,
        Field(description="Load (perf units/s) the endpoint is always ready for.", examples=[10]),
    ] = 0.0
    min_cold_load: Annotated[
        Input[Load],
        UPDATE,
        Field(
            description="Load (perf units/s) it is ready for counting cold (stopped) workers.",
            examples=[0],
        ),
    ] = 0.0
    target_util: Annotated[
        Input[TargetUtil],
        UPDATE,
        Field(
            description="Fraction of the running workers' capacity to keep busy (above 0, at "
            "most 1).",
            examples=[0.9],
        ),
    ] = 0.9
    cold_mult: Annotated[
        Input[ColdMult],
        UPDATE,
        Field(
            description="Cold capacity to keep, as a multiple of the hot capacity.",
            examples=[2.5],
        ),
    ] = 2.5
    cold_workers: Annotated[
        Input[WorkerCount],
        UPDATE,
        Field(description="Workers kept (idle or stopped) when there is no load.", examples=[1]),
    ] = 5
    max_workers: Annotated[
        Input[WorkerCount],
        UPDATE,
        Field(description="The most workers the endpoint may have.", examples=[20]),
    ] = 20
    max_queue_time: Annotated[
        Input[QueueSeconds],
        UPDATE,
        Field(description="Seconds a request may wait in a worker's queue.", examples=[30]),
    ] = 30.0
    target_queue_time: Annotated[
        Input[QueueSeconds],
        UPDATE,
        Field(
            description="Seconds to clear the queue in, at most `max_queue_time`.", examples=[10]
        ),
    ] = 10.0
    inactivity_timeout: Annotated[
        Input[TimeoutSeconds] | None,
        UPDATE | COMPUTED,
        Field(
            description="Seconds without requests before workers beyond `cold_workers` are "
            "released (unset: Vast's default).",
            examples=[300],
        ),
    ] = None

    @model_validator(mode="after")
    def _consistent(self) -> ServerlessEndpointArgs:
        problem = inconsistent_knobs(
            self.cold_workers, self.max_workers, self.target_queue_time, self.max_queue_time
        )
        if problem is not None:
            raise problem
        return self


class ServerlessEndpointProvider(VastProvider):
    table = FieldTable(ServerlessEndpointArgs)
    kind = "endpoint"
    changed_in_place = frozenset({"endpoint_state", "worker_count", "workers"})
    api_fields = MappingProxyType(
        {
            "endpoint_name": "name",
            "min_load": "min_load",
            "min_cold_load": "min_cold_load",
            "target_util": "target_util",
            "cold_mult": "cold_mult",
            "cold_workers": "cold_workers",
            "max_workers": "max_workers",
            "max_queue_time": "max_queue_time",
            "target_queue_time": "target_queue_time",
            "inactivity_timeout": "inactivity_timeout",
        }
    )

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        serverless = self.client.serverless
        request = endpoint_request(args)
        try:
            made = serverless.create_endpoint(request)
        except ResponseLost:
            # It may have been made: found by its name (unique in the account).
            found = serverless.find_endpoint(str(request.endpoint_name))
            if found is None:
                raise
            made = found.id
        return str(made), self._outputs(self._live(made))

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        live = self.client.serverless.get_endpoint(int(id_))
        if live is None:
            return None
        return {**self._outputs(live), **_inputs_of(live)}

    def _update(
        self, id_: str, olds: Mapping[str, Any], args: Any, changed: frozenset[str]
    ) -> Mapping[str, Any]:
        self.client.serverless.update_endpoint(int(id_), endpoint_request(args))
        return self._outputs(self._live(int(id_)))

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        self.client.serverless.delete_endpoint(int(id_))

    def _live(self, endpoint_id: int) -> EndpointRecord:
        live: EndpointRecord | None = self.client.serverless.get_endpoint(endpoint_id)
        if live is None:
            raise ResourceError(f"endpoint {endpoint_id} is not in the account's listing")
        return live

    def _outputs(self, live: EndpointRecord) -> dict[str, Any]:
        return endpoint_outputs(self.client, live)


def _inputs_of(live: Any) -> dict[str, Any]:
    """The inputs as Vast has them (a change made elsewhere shows at refresh)."""
    return {
        "name": live.endpoint_name,
        "min_load": live.min_load,
        "min_cold_load": live.min_cold_load,
        "target_util": live.target_util,
        "cold_mult": live.cold_mult,
        "cold_workers": live.cold_workers,
        "max_workers": live.max_workers,
        "max_queue_time": live.max_queue_time,
        "target_queue_time": live.target_queue_time,
        "inactivity_timeout": live.inactivity_timeout,
    }


class ServerlessEndpoint(VastResource, module="vast", name="ServerlessEndpoint"):
    """A serverless endpoint: the name clients route requests by, and how Vast's Serverless
    Engine scales its workers (from its `WorkerGroup`s) with the load. Every knob changes in
    place; the workers are the worker groups'.

    ## Example Usage

    ```python
    import pulumi
    import pulumi_vast as vast

    llm = vast.ServerlessEndpoint("llm", cold_workers=1, max_workers=4, target_util=0.8)
    pulumi.export("route", llm.route_url)
    ```

    ## Import

    Declare it with its inputs and ``opts=pulumi.ResourceOptions(import_="123")`` (its
    `endpoint_id`), run ``pulumi up`` once, then drop the option.
    """

    provider_class = ServerlessEndpointProvider
    args_class = ServerlessEndpointArgs
    config_key = "endpoints"
    config_example = """
pulumi-vast:endpoints:
  - name: llm
    cold_workers: 1
    max_workers: 4
    target_util: 0.8
    inactivity_timeout: 300
"""

    @classmethod
    def defaults(cls, resource_name: str, args: ResourceArgs) -> ResourceArgs:
        if isinstance(args, ServerlessEndpointArgs) and args.name is None:
            return args.model_copy(update={"name": resource_name})
        return args

    endpoint_id: pulumi.Output[int]
    """Vast's id of the endpoint (a `WorkerGroup` names it by this)."""
    endpoint_state: pulumi.Output[str]
    """Vast's state of the endpoint: `active`, `suspended` or `stopped`."""
    route_url: pulumi.Output[str]
    """Where clients ask for a worker: POST ``{"endpoint": name, "api_key": key, "cost":
    load}`` here, and send the request to the worker's URL it answers."""
    worker_count: pulumi.Output[int]
    """How many workers the endpoint has (as of the last `up` or `refresh`)."""
    workers: pulumi.Output[list[dict[str, Any]]]
    """Its workers, each ``{"id", "status", "worker_group_id"}`` (as of the last `up` or
    `refresh`)."""
