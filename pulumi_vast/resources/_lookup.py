"""Lookups for programs: what the market offers right now, best first, with its cost.

`get_offers` is what `pulumi-vast offers` prints, for a program to choose from (e.g. an
`offer_id`). It runs in the program, not in the provider: the SDK's dynamic provider
answers invokes UNIMPLEMENTED, so a Pulumi "function" of a dynamic package cannot exist.
The program therefore talks to Vast itself, with the stack's `vast:` settings, exactly
as the provider would (`vast:apiUrl: local` starts the simulator); the API client loads
when a lookup is made, never when a program imports the package.
"""

from __future__ import annotations

from typing import Annotated, Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from pulumi_vast.api import Offer, Query, VastError, parse_order, parse_query
from pulumi_vast.api.units import gib
from pulumi_vast.market import describe_offer, estimate
from pulumi_vast.market.task import RELIABLE, Requirements
from pulumi_vast.resources._problems import InvalidField, InvalidInputs, validation_failures
from pulumi_vast.resources._settings import NAMESPACE, InvalidSettings, ProviderSettings
from pulumi_vast.resources._task import Task
from pulumi_vast.resources.instance import DEFAULT_DISK_GB, OfferQuery, Order, Positive

__all__ = ["LookupFailed", "RankedOffer", "get_offers", "program_settings", "ranked_offers"]


class RankedOffer(BaseModel):
    """One offer a query matches, with what renting it would cost."""

    model_config = ConfigDict(frozen=True)

    offer_id: int = Field(description="Rent exactly this one with `Instance(offer_id=...)`.")
    gpu_name: str = Field(description="GPU model, e.g. `RTX 4090`.")
    num_gpus: int = Field(description="Number of GPUs.")
    gpu_ram_gib: float = Field(description="VRAM per GPU in GiB.")
    per_hour: float = Field(description="$/hour with the disk asked for.")
    estimated_cost: float = Field(description="$ for the hours asked for.")
    hours: float = Field(description="The hours `estimated_cost` is for.")
    reliability: float | None = Field(None, description="The machine's reliability, 0 to 1.")
    dlperf: float | None = Field(None, description="Vast's deep-learning performance score.")
    cuda: float | None = Field(None, description="Highest CUDA version the machine runs.")
    geolocation: str | None = Field(None, description="Where the machine is.")
    description: str = Field(description="One line to judge it by, as previews print it.")
    offer: Offer = Field(description="Everything Vast says about the offer.")

    budget_pick: bool = Field(
        False, description=f"Reliability under {RELIABLE}: about a 3 % chance of interruption."
    )

    @classmethod
    def of(
        cls, offer: Offer, *, disk_gb: float, hours: float, task: Requirements | None = None
    ) -> RankedOffer:
        row = offer.as_row()
        if task is not None:  # the task's hours on this offer
            hours = task.hours_on(row)
        cost = estimate(row, disk_gb=disk_gb, hours=hours)
        return cls(
            offer_id=offer.id,
            gpu_name=offer.gpu_name or "",
            num_gpus=offer.num_gpus or 0,
            gpu_ram_gib=round(gib(offer.gpu_ram or 0), 1),
            per_hour=cost.per_hour,
            estimated_cost=cost.total,
            hours=hours,
            reliability=offer.reliability,
            dlperf=offer.dlperf,
            cuda=offer.cuda_max_good,
            geolocation=offer.geolocation,
            description=describe_offer(row),
            offer=offer,
            budget_pick=float(offer.reliability or 0) < RELIABLE,
        )


def ranked_offers(
    settings: ProviderSettings,
    query: str | Query | None,
    *,
    order: str = "dph+",
    limit: int = 10,
    disk_gb: float = DEFAULT_DISK_GB,
    hours: float = 24.0,
    bid: bool = False,
    task: Requirements | None = None,
) -> list[RankedOffer]:
    """The best ``limit`` offers matching ``query`` with room for ``disk_gb``, ranked by
    ``order`` (for a ``task``: by estimated total cost, searched across GPU tiers, with the
    task's disk), searched as an instance's create searches them. Raises `QueryError` for
    a bad query or order, `VastError` for what Vast answers."""
    # Here, not at import: the search brings the API client, which a program must not load
    # until it looks something up.
    from pulumi_vast.resources._connection import connection_for
    from pulumi_vast.resources._offers import OfferSearch

    parsed = parse_query(query) if isinstance(query, str) else query
    if task is not None:
        parsed = task.query().and_(*(parsed.conditions if parsed else ()))
        disk_gb = task.disk_gb
    search = OfferSearch(
        query=parsed,
        offer_id=None,
        order=tuple(parse_order(order)),
        disk_gb=disk_gb,
        bid=bid,
        task=task,
    )
    offers = connection_for(settings).offers.ranked(search, max_age=0)
    return [
        RankedOffer.of(offer, disk_gb=disk_gb, hours=hours, task=task) for offer in offers[:limit]
    ]


class LookupFailed(pulumi.RunError):
    """A lookup Vast could not answer; printed without a traceback."""


class _OffersLookup(BaseModel):
    """The arguments of `get_offers`, checked as an instance's inputs are."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    query: OfferQuery | None
    order: Order = "dph+"
    limit: Annotated[int, Field(ge=1, strict=True)] = 10
    hours: Positive = 24.0
    disk_gb: Positive = DEFAULT_DISK_GB
    bid: StrictBool = False
    task: Task | None = None

    @model_validator(mode="after")
    def _something_to_search(self) -> _OffersLookup:
        if self.query is None and self.task is None:
            raise InvalidField("query", "give a query, or a task (vast.Task(...))")
        return self


def get_offers(
    query: str | Query | None = None,
    order: str = "dph+",
    limit: int = 10,
    hours: float = 24.0,
    *,
    disk_gb: float = DEFAULT_DISK_GB,
    bid: bool = False,
    task: Task | None = None,
) -> list[RankedOffer]:
    """The offers ``query`` matches right now, best first by ``order``, with their cost
    for ``hours`` (the disk included): what `pulumi-vast offers` lists. With a ``task``
    (the query optional), the offers meeting its needs, cheapest in total first, each
    with the task's hours there and its disk.

    It runs in the program, with the stack's settings (`vast:apiUrl`, `vast:apiKey`;
    `local` starts the simulator): Pulumi's dynamic provider cannot serve invokes. It makes
    one search per call, in preview too, and returns plain values (an empty list when
    nothing matches). Arguments are checked as an `Instance`'s inputs are; a mistake, bad
    settings or an error from Vast end the program with one line saying which.

    ## Example Usage

    ```python
    import pulumi
    import pulumi_vast as vast

    best = vast.get_offers("gpu_ram>=24 num_gpus=1 reliability>0.95", limit=3)[0]
    gpu = vast.Instance(
        "trainer",
        offer_id=best.offer_id,
        image="pytorch/pytorch",
        # The market moves, and the offer rented leaves it: keep the instance once rented.
        opts=pulumi.ResourceOptions(ignore_changes=["offer_id"]),
    )
    ```
    """
    owner = "get_offers()"
    try:
        args = _OffersLookup(
            query=query,
            order=order,
            limit=limit,
            hours=hours,
            disk_gb=disk_gb,
            bid=bid,
            task=task,
        )
    except ValidationError as exc:
        raise InvalidInputs(owner, validation_failures(exc, _OffersLookup)) from None
    settings = program_settings(owner)
    try:
        return ranked_offers(
            settings,
            args.query,
            order=args.order,
            limit=args.limit,
            disk_gb=args.disk_gb,
            hours=args.hours,
            bid=args.bid,
            task=args.task.requirements() if args.task is not None else None,
        )
    except VastError as exc:
        raise LookupFailed(f"{owner}: the offer search failed: {exc}") from None


def program_settings(owner: str) -> ProviderSettings:
    """The provider settings of the running program's stack (its `vast:` config, then the
    environment), as the provider will read them; bad ones raise `InvalidInputs`."""
    config: dict[str, Any] = {**get_config_env(), **CONFIG.get()}
    namespaced = {k: v for k, v in config.items() if k.startswith(f"{NAMESPACE}:")}
    try:
        settings = ProviderSettings.from_config(namespaced)
        settings.require_api_key()
    except InvalidSettings as exc:
        failures = [("", f"{path} {reason}") for path, reason in exc.failures]
        raise InvalidInputs(owner, failures) from None
    return settings
