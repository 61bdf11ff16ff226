"""A worker group: the workers of a serverless endpoint, launched from a template on the
offers a query matches, recruited and released by Vast's Serverless Engine.

Its workers are instances that bill. Vast leaves them running when their group is deleted,
so deleting a worker group destroys them too, and returns once none of them is left; each
carries its stack's tag (through the group's launch arguments), so that `pulumi destroy`'s
sweep finds any that an interrupted run left behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

import pulumi
from pulumi.dynamic import CheckResult
from pydantic import Field, PlainValidator, model_validator

from pulumi_vast.api import ResponseLost, parse_order, parse_query
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._autoscaling import ColdMult, Load, TargetUtil, WorkerCount
from pulumi_vast.resources._fields import (
    REPLACE,
    UPDATE,
    FieldTable,
    Input,
    ResourceArgs,
    resources_as_ids,
    whole_float_as_int,
)
from pulumi_vast.resources._offers import OfferSearch
from pulumi_vast.resources._owner import Owner
from pulumi_vast.resources._problems import describe
from pulumi_vast.resources._provider import Failure, VastProvider, check_failure
from pulumi_vast.resources._resource import ConfigRef, VastResource
from pulumi_vast.resources._serverless import (
    LaunchArgs,
    destroy_workers,
    group_outputs,
    group_request,
)
from pulumi_vast.resources.instance import _HASH_ID, QUERY_EXAMPLE, OfferQuery, TemplateHash

__all__ = ["WorkerGroup", "WorkerGroupArgs", "WorkerGroupProvider"]

MIN_WORKER_DISK_GB = 1.0
"""Room a matching offer must have at least (the template says how much a worker takes)."""
SEARCH_MAX_AGE = 10.0
ROLLING = frozenset({"template", "launch_args"})
"""What workers are made of: a change rolls them onto it (Vast's `update workers`)."""


def _endpoint_id(value: Any) -> int:
    value = whole_float_as_int(value)
    if type(value) is not int or value < 1:
        raise ValueError(
            f"expected a ServerlessEndpoint (or an endpoint id, a whole number from 1), "
            f"got {describe(value)}"
        )
    return value


EndpointId = Annotated[int, PlainValidator(_endpoint_id)]


class WorkerGroupArgs(ResourceArgs):
    """Inputs of a `WorkerGroup`. A new template or new launch arguments roll its workers
    onto them (Vast's `update workers`); the other inputs change in place, without touching
    running workers."""

    endpoint: Annotated[
        Input[EndpointId],
        REPLACE,
        Field(description="Its endpoint: a `ServerlessEndpoint` (or an endpoint id)."),
    ]
    template: Annotated[
        Input[TemplateHash],
        UPDATE,
        Field(
            description="What its workers run: a `Template` (its `hash_id`) or a hash id. A "
            "change rolls the workers onto the new one.",
            examples=["4e17788f74f075dd9aab7d0d4427968f"],
        ),
    ]
    query: Annotated[
        Input[OfferQuery] | None,
        UPDATE,
        Field(
            description="The offers its workers are rented from, in the query language of "
            "`Instance.query` (default: the template's search).",
            examples=[QUERY_EXAMPLE],
        ),
    ] = None
    launch_args: Annotated[
        Input[LaunchArgs] | None,
        UPDATE,
        Field(
            description="Extra `vastai create instance` arguments for its workers; a change "
            "rolls the workers.",
            examples=["--disk 64"],
        ),
    ] = None
    test_workers: Annotated[
        Input[WorkerCount],
        UPDATE,
        Field(description="Workers launched at first to measure performance.", examples=[1]),
    ] = 3
    gpu_ram: Annotated[
        Input[Annotated[float, Field(gt=0)]] | None,
        UPDATE,
        Field(description="GPU RAM (GB) a worker is expected to need.", examples=[24]),
    ] = None
    min_load: Annotated[
        Input[Load] | None,
        UPDATE,
        Field(description="This group's own `min_load` (unset: the endpoint's).", examples=[0]),
    ] = None
    target_util: Annotated[
        Input[TargetUtil] | None,
        UPDATE,
        Field(
            description="This group's own `target_util` (unset: the endpoint's).", examples=[0.9]
        ),
    ] = None
    cold_mult: Annotated[
        Input[ColdMult] | None,
        UPDATE,
        Field(description="This group's own `cold_mult` (unset: the endpoint's).", examples=[2]),
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _resources(cls, data: Any) -> Any:
        # A ServerlessEndpoint or a Template passed as itself: the id or hash it stands for.
        return resources_as_ids(data, {"endpoint": "endpoint_id", "template": "hash_id"})


class WorkerGroupProvider(VastProvider):
    table = FieldTable(WorkerGroupArgs)
    kind = "worker group"
    changed_in_place = frozenset({"worker_count", "workers", "dph_total"})
    # Two groups at once would bill twice; and the old one's deletion destroys every worker
    # carrying the resource's tag, which the new one's workers would carry too.
    delete_before_replace = True
    api_fields = MappingProxyType(
        {
            "endpoint_id": "endpoint",
            "template_hash": "template",
            "search_params": "query",
            "launch_args": "launch_args",
            "test_workers": "test_workers",
            "gpu_ram": "gpu_ram",
            "min_load": "min_load",
            "target_util": "target_util",
            "cold_mult": "cold_mult",
        }
    )

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Also looks up a new template or query, each as soon as it is known (the group's
        endpoint may not be, in the preview that creates it): workers would never come of a
        template that does not exist or a query no offer matches. Nothing is asked when
        neither changed, so a preview without changes makes no call."""
        result = super().check(olds, news)
        if result.failures:
            return result
        inputs = result.inputs or {}
        problems: list[Failure] = []
        template = inputs.get("template")
        if isinstance(template, str) and template != olds.get("template"):
            problems += self._template_problems(template)
        query = inputs.get("query")
        if isinstance(query, str) and query != olds.get("query"):
            problems += self._query_problems(query)
        result.failures = [check_failure(problem) for problem in problems]
        return result

    def _template_problems(self, hash_id: str) -> list[Failure]:
        with self.refusals("look up the template of", field="template"):
            found = self.client.templates.get(hash_id)
        if found is not None:
            return []
        return [
            (
                "template",
                f"no template has the hash id {hash_id!r}; pass a Template of this stack, or "
                "the hash_id of one that exists",
            )
        ]

    def _query_problems(self, query: str) -> list[Failure]:
        search = OfferSearch(
            query=parse_query(query),
            offer_id=None,
            order=tuple(parse_order("dph+")),
            disk_gb=MIN_WORKER_DISK_GB,
        )
        if self.connection.offers.ranked(search, max_age=SEARCH_MAX_AGE):
            return []
        return [
            (
                "query",
                f"no offer matches {query!r} now, so the engine could recruit no worker; loosen "
                "it (`pulumi-vast offers QUERY` lists what matches)",
            )
        ]

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        serverless = self.client.serverless
        request = group_request(args, Owner.from_props(props))
        before = {g.id for g in serverless.list_worker_groups()}
        try:
            made = serverless.create_worker_group(request)
        except ResponseLost:
            # It may have been made: the one group of its endpoint and template that is new.
            key = (request.endpoint_id, request.template_hash)
            found = [
                g.id
                for g in serverless.list_worker_groups()
                if g.id not in before and (g.endpoint_id, g.template_hash) == key
            ]
            if len(found) != 1:
                raise
            made = found[0]
        return str(made), group_outputs(self.client, made)

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        live = self.client.serverless.get_worker_group(int(id_))
        if live is None:
            return None
        inputs = {"endpoint": live.endpoint_id, "template": live.template_hash}
        return {**group_outputs(self.client, live.id), **inputs}

    def _update(
        self, id_: str, olds: Mapping[str, Any], args: Any, changed: frozenset[str]
    ) -> Mapping[str, Any]:
        group_id = int(id_)
        self.client.serverless.update_worker_group(
            group_id, group_request(args, Owner.from_props(olds))
        )
        if changed & ROLLING:
            progress.status(f"rolling the workers of worker group {group_id} onto the change")
            self.client.serverless.update_workers(group_id)
        return group_outputs(self.client, group_id)

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        destroy_workers(self.client, int(id_), Owner.from_props(props))

    def import_hints(self, outs: Mapping[str, Any]) -> dict[str, Any]:
        return {"template": outs.get("template")}

    def changes_in_place(self, changed: frozenset[str]) -> frozenset[str]:
        # Only what workers are made of touches them; a knob changes how they will scale.
        return self.changed_in_place if changed & ROLLING else frozenset()


class WorkerGroup(VastResource, module="vast", name="WorkerGroup"):
    """The workers of a `ServerlessEndpoint`: instances launched from a template on offers
    a query matches, recruited and released by Vast's Serverless Engine with the load.
    A new template (or new launch arguments) rolls the workers onto it; a knob changes in
    place and no worker restarts; `pulumi destroy` destroys the workers too
    (Vast would leave them running) and returns once none bills.

    ## Example Usage

    ```python
    import pulumi
    import pulumi_vast as vast

    llm = vast.ServerlessEndpoint("llm", cold_workers=1, max_workers=4)
    vllm = vast.Template("vllm", image="vllm/vllm-openai", tag="v0.6.3", ports=[8000])
    workers = vast.WorkerGroup(
        "llm-workers",
        endpoint=llm,
        template=vllm,
        query="gpu_ram>=24 num_gpus=1 reliability>0.95",
        test_workers=1,
    )
    pulumi.export("workers", workers.worker_count)
    ```

    ## Import

    Declare it with its inputs and ``opts=pulumi.ResourceOptions(import_="123")`` (its
    `worker_group_id`), run ``pulumi up`` once, then drop the option.
    """

    provider_class = WorkerGroupProvider
    args_class = WorkerGroupArgs
    rents = True
    cost_output = ("dph_total", 1.0)
    config_key = "workerGroups"
    config_example = """
pulumi-vast:endpoints:
  - name: llm
    cold_workers: 1
    max_workers: 4
pulumi-vast:templates:
  - name: vllm
    image: vllm/vllm-openai
    tag: v0.6.3
    ports: [8000]
pulumi-vast:workerGroups:
  - name: llm-workers
    endpoint: llm           # a name from endpoints, or an endpoint id
    template: vllm          # a name from templates, or a hash id
    query: gpu_ram>=24 num_gpus=1 reliability>0.95
    test_workers: 1
"""
    config_refs = (
        ConfigRef(
            "endpoint",
            ("endpoints",),
            literal=lambda value: isinstance(value, int) and not isinstance(value, bool),
            what="an endpoint id",
        ),
        ConfigRef(
            "template",
            ("templates",),
            literal=lambda value: isinstance(value, str) and _HASH_ID.match(value) is not None,
            what="a template's hash id",
        ),
    )

    worker_group_id: pulumi.Output[int]
    """Vast's id of the worker group."""
    worker_count: pulumi.Output[int]
    """How many workers it has (as of the last `up` or `refresh`)."""
    workers: pulumi.Output[list[dict[str, Any]]]
    """Its workers, each ``{"id", "status", "dph_total"}`` (as of the last `up` or
    `refresh`)."""
    dph_total: pulumi.Output[float]
    """What its workers bill together in $/hour (as of the last `up` or `refresh`),
    counted in the stack's `vast_cost`."""
