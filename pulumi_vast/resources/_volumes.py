"""What a `Volume` and a `NetworkVolume` share: space rented from volume offers, kept apart
from any instance, mounted into instances (`VolumeMount`), and kept on destroy unless told.

A volume is rented like an instance (`_offers`: searches shared, offers claimed, the next
offer when one is taken meanwhile, a lost answer looked up by the name the volume was rented
under, never rented twice), but has no boot to wait for. Its size and offer are fixed at
rent: a change replaces it. `pulumi destroy` keeps it unless ``on_destroy="delete"``, and
says what it kept and what it costs: a kept volume still bills.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import pulumi
from pydantic import AfterValidator, Field, PlainValidator, model_validator

from pulumi_vast.api import (
    VOLUME_OFFERS,
    APIError,
    Condition,
    CreateVolumeRequest,
    Query,
    QueryError,
    ResponseLost,
    Volume,
    VolumeOffer,
    parse_order,
    parse_query,
)
from pulumi_vast.api.filters import matches
from pulumi_vast.api.volumes import VolumesClient
from pulumi_vast.market.estimate import HOURS_PER_MONTH
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._errors import RentalFailed
from pulumi_vast.resources._fields import (
    COMPUTED,
    REPLACE,
    STATE,
    FieldTable,
    Input,
    ResourceArgs,
    known,
    whole_float_as_int,
)
from pulumi_vast.resources._offers import OfferKind, OfferSearch
from pulumi_vast.resources._owner import OWNER_INPUT
from pulumi_vast.resources._problems import InvalidField, describe
from pulumi_vast.resources._provider import Failure, VastProvider
from pulumi_vast.resources._resource import VastResource, default_label
from pulumi_vast.resources._text import ShownName

__all__ = ["VolumeArgs", "VolumeKind", "VolumeMount", "VolumeProviderBase", "VolumeResource"]

QUERY_EXAMPLE = "disk_space>=100 reliability>0.98"
MAX_CANDIDATES = 10
"""Matching offers tried, best first, when offers are taken under us."""
SEARCH_MAX_AGE = 10.0
_OFFER_GONE = frozenset({"no_such_ask", "ask_not_available", "offer_unavailable"})


def _volume_query(value: Any) -> str:
    if isinstance(value, Query):
        if value.vocabulary is not VOLUME_OFFERS:
            raise ValueError(
                f"is a query of {value.vocabulary.name}; a volume is rented from volume offers: "
                "build it with VF (Query.where(VF.disk_space >= 100))"
            )
        query, text = value, value.render()
    elif isinstance(value, str):
        text = value
        try:
            query = parse_query(text, vocabulary=VOLUME_OFFERS)
        except QueryError as exc:
            raise ValueError(str(exc)) from None
    else:
        raise ValueError(
            f"expected a volume offer query, e.g. {QUERY_EXAMPLE!r}, got {describe(value)}"
        )
    if not any(isinstance(c, Condition) for c in query.conditions):
        raise ValueError(
            f"{text!r} has no conditions, so it matches every volume offer; add some, e.g. "
            f"{QUERY_EXAMPLE!r}"
        )
    return text


def _volume_order(text: str) -> str:
    try:
        ranked = parse_order(text, vocabulary=VOLUME_OFFERS)
    except QueryError as exc:
        raise ValueError(str(exc)) from None
    if not ranked:
        raise ValueError("is empty, which ranks nothing; use 'storage_cost+' (cheapest first)")
    return text


def _mount_path(text: str) -> str:
    if not _MOUNT_PATH.match(text):
        raise ValueError(
            f"{text!r} is not a mount path: an absolute path in the container other than /, "
            "without spaces, e.g. '/data'"
        )
    return text


def _volume_id(value: Any) -> int:
    value = whole_float_as_int(value)
    if type(value) is not int or value < 1:
        raise ValueError(
            f"expected a Volume or NetworkVolume (or a volume id, a whole number from 1), "
            f"got {describe(value)}"
        )
    return value


_MOUNT_PATH = re.compile(r"^/([^/\x00\s]+/?)+\Z")
VolumeQuery = Annotated[str | Query, PlainValidator(_volume_query)]
VolumeOrder = Annotated[str, AfterValidator(_volume_order)]
MountPath = Annotated[str, AfterValidator(_mount_path)]
VolumeId = Annotated[int, PlainValidator(_volume_id)]


class VolumeArgs(ResourceArgs):
    """Inputs of a `Volume` or `NetworkVolume`. Either `query` or `offer_id` picks the
    offer."""

    query: Annotated[
        Input[VolumeQuery] | None,
        REPLACE,
        Field(
            description="Volume offer query in the `vastai search volumes` syntax, e.g. "
            "`disk_space>=100 reliability>0.98`, or a `Query` built with `VF`. A later "
            "change replaces the volume only if it no longer satisfies the new query.",
            examples=[QUERY_EXAMPLE],
        ),
    ] = None
    offer_id: Annotated[
        Input[Annotated[int, Field(ge=1)]] | None,
        REPLACE | COMPUTED,
        Field(
            description="Rent exactly this volume offer (an output: the offer rented).",
            examples=[7654321],
        ),
    ] = None
    size_gb: Annotated[
        Input[Annotated[int, Field(ge=1, le=100_000)]],
        REPLACE,
        Field(description="Size in GB, fixed at rent (a change replaces it).", examples=[100]),
    ]
    name: Annotated[
        Input[ShownName] | None,
        REPLACE,
        Field(
            description="The volume's name on Vast; defaults to `project-stack-name`. Vast "
            "cannot rename a volume, so a change replaces it.",
            examples=["datasets"],
        ),
    ] = None
    order: Annotated[
        Input[VolumeOrder],
        STATE,
        Field(
            description="How matching offers rank, e.g. `storage_cost+` (cheapest first).",
            examples=["storage_cost+"],
        ),
    ] = "storage_cost+"
    on_destroy: Annotated[
        Input[Literal["keep", "delete"]],
        STATE,
        Field(
            description="What `pulumi destroy` (or a replacement) does with the volume: `keep` "
            "it, still billing, or `delete` it with its data."
        ),
    ] = "keep"

    @model_validator(mode="after")
    def _one_offer(self) -> VolumeArgs:
        if (self.query is None) == (self.offer_id is None):
            raise InvalidField(
                "query", f"set exactly one of `query` (e.g. {QUERY_EXAMPLE!r}) or `offer_id`"
            )
        return self


class VolumeMount(ResourceArgs):
    """A volume mounted into an instance: ``VolumeMount(volume=vol, path="/data")``, with
    ``vol`` a `Volume`, a `NetworkVolume` or a volume id.

    The instance lands on the volume's machine (a local volume) or cluster (a network
    volume); Vast mounts one volume per instance, at create.
    """

    volume: Annotated[
        Input[VolumeId],
        REPLACE,
        Field(description="The volume's id (a `Volume` or `NetworkVolume` gives its own)."),
    ]
    path: Annotated[
        Input[MountPath],
        REPLACE,
        Field(description="Where it is mounted in the container.", examples=["/data"]),
    ]
    network: Annotated[
        Input[bool],
        REPLACE,
        Field(description="Whether `volume` is a network volume (set for you from one)."),
    ] = False

    @model_validator(mode="before")
    @classmethod
    def _from_resource(cls, data: Any) -> Any:
        # `volume=vol` with a Volume or NetworkVolume: its id, and which kind it is.
        if isinstance(data, Mapping) and isinstance(data.get("volume"), VolumeResource):
            resource = data["volume"]
            return {**data, "volume": resource.volume_id, "network": resource.kind == "network"}
        return data


VolumeKind = Literal["local", "network"]
FROM_THE_OFFER = ("offer_id", "machine_id", "cluster_id", "monthly_cost")
"""The outputs of a volume that its offer tells before it is rented."""


class VolumeProviderBase(VastProvider):
    table = FieldTable(VolumeArgs)
    volume_kind: ClassVar[VolumeKind]
    api_fields = {"size": "size_gb", "name": "name", "id": "offer_id"}  # noqa: RUF012

    @property
    def offer_kind(self) -> OfferKind:
        return "volume" if self.volume_kind == "local" else "network_volume"

    @property
    def volumes(self) -> VolumesClient:
        client = self.client
        return client.volumes if self.volume_kind == "local" else client.network_volumes

    def search_for(self, args: Any) -> OfferSearch:
        query = known(args.query)
        return OfferSearch(
            query=parse_query(query, vocabulary=VOLUME_OFFERS) if isinstance(query, str) else query,
            offer_id=known(args.offer_id),
            order=tuple(parse_order(known(args.order), vocabulary=VOLUME_OFFERS)),
            disk_gb=float(known(args.size_gb)),
            kind=self.offer_kind,
        )

    def validate(self, args: Any, previous: Any | None, news: Mapping[str, Any]) -> list[Failure]:
        if previous is not None:
            return []
        search = self.search_for(args)
        offers = self.connection.offers.ranked(search, max_age=SEARCH_MAX_AGE)
        field = "offer_id" if search.offer_id else "query"
        wanted = f"offer {search.offer_id}" if search.offer_id else repr(known(args.query))
        key = self.preview_key(news, args)
        pick = self.connection.offers.preview_pick(offers, key, self.offer_kind)
        if pick is None:
            return [
                (
                    field,
                    f"no {self.kind} offer on the market matches {wanted} with room for "
                    f"{search.disk_gb:g} GB; loosen a condition or ask for less",
                )
            ]
        progress.note(f"will rent {describe_volume_offer(pick, search.disk_gb)}")
        # What the create will report, from the offer alone (no volume exists yet).
        expected = self._describe(Volume(id=0, disk_space=search.disk_gb), offer_snapshot(pick), "")
        self.connection.offers.expect(key, {name: expected[name] for name in FROM_THE_OFFER})
        return []

    def preview_key(self, news: Mapping[str, Any], args: Any) -> str:
        owner = news.get(OWNER_INPUT)
        return owner if isinstance(owner, str) and owner else f"{self.kind}:{known(args.name)}"

    def replaces_on_change(
        self, field: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> bool:
        offer = olds.get("offer")
        if field == "query" and isinstance(news.get("query"), str) and offer:
            wanted = parse_query(news["query"], vocabulary=VOLUME_OFFERS).filters
            return not matches({k: v for k, v in wanted.items() if k in offer}, offer)
        return super().replaces_on_change(field, olds, news)

    # ---- the object's life ------------------------------------------------------------

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        search = self.search_for(args)
        book = self.connection.offers
        candidates: list[VolumeOffer] = book.ranked(search, max_age=SEARCH_MAX_AGE)
        notes: list[str] = []
        for offer in candidates[:MAX_CANDIDATES]:
            if not book.claim(offer.id, self.offer_kind):
                continue
            volume_id = self._rent(offer, args, notes)
            if volume_id is None:
                continue
            volume = self.volumes.get(volume_id)
            if volume is None:
                raise RentalFailed(f"{self.kind} {volume_id} was rented but is not listed")
            notes.insert(0, f"offer {offer.id}, best of {len(candidates)} matching")
            return str(volume_id), self._describe(volume, offer_snapshot(offer), "; ".join(notes))
        raise RentalFailed(
            f"none of the {len(candidates)} {self.kind} offers matching "
            f"{known(args.query) or known(args.offer_id)!r} could be rented"
            + (": " + "; ".join(notes) if notes else "")
        )

    def _rent(self, offer: VolumeOffer, args: Any, notes: list[str]) -> int | None:
        """The new volume's id; None when the offer was taken meanwhile."""
        name = known(args.name)
        before = {volume.id for volume in self.volumes.find(name)}
        request = CreateVolumeRequest(offer_id=offer.id, size=int(known(args.size_gb)), name=name)
        progress.status(f"renting {describe_volume_offer(offer, float(known(args.size_gb)))}")
        try:
            return self.volumes.create(request)
        except ResponseLost as lost:
            # Never sent twice: the volume it may have made carries the name it was given.
            found = [v.id for v in self.volumes.find(name) if v.id not in before]
            if len(found) == 1:
                return found[0]
            raise RentalFailed(
                f"renting {self.kind} offer {offer.id}: Vast's answer was lost and "
                f"{len(found)} new volume(s) named {name!r} showed up; look for it "
                "(vastai show volumes) before trying again: nothing was rented twice"
            ) from lost
        except APIError as exc:
            if exc.status in (404, 410) or (exc.error or "") in _OFFER_GONE:
                notes.append(f"offer {offer.id} was taken before we could rent it")
                return None
            raise

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        volume = self.volumes.get(int(id_))
        if volume is None:
            return None
        return self._describe(volume, props.get("offer") or {}, props.get("selection", ""))

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        if props.get("on_destroy", "keep") == "keep":
            cost = props.get("monthly_cost")
            bill = f", ${cost:.2f}/month" if isinstance(cost, int | float) else ""
            progress.warn(
                f"kept {self.kind} {id_} ({props.get('size_gb')} GB{bill}): on_destroy is "
                "'keep', so it still exists and still bills. Delete it with "
                f"`vastai delete volume {id_}`, or set on_destroy: delete before destroying"
            )
            return
        self.volumes.delete(int(id_))

    def _describe(self, volume: Volume, offer: Mapping[str, Any], selection: str) -> dict[str, Any]:
        size = float(volume.disk_space or offer.get("disk_space") or 0)
        per_gb_month = volume.storage_cost or offer.get("storage_cost")
        monthly = (
            float(per_gb_month) * size
            if per_gb_month is not None
            else float(volume.storage_total_cost or 0) * HOURS_PER_MONTH
        )
        return {
            "volume_id": volume.id,
            "volume_name": volume.name or "",
            "offer_id": int(offer["id"]) if offer.get("id") else None,
            "machine_id": int(volume.machine_id or offer.get("machine_id") or 0),
            "cluster_id": volume.cluster_id or offer.get("cluster_id"),
            "status": volume.status or "",
            "monthly_cost": round(monthly, 6),
            "mounted_by": list(volume.instance_ids),
            "offer": dict(offer),
            "selection": selection,
        }


def offer_snapshot(offer: VolumeOffer) -> dict[str, Any]:
    """The offer's queryable fields: what a changed query is judged against later."""
    row = offer.as_row()
    return {name: row[name] for name in VOLUME_OFFERS.names() if row.get(name) is not None}


def describe_volume_offer(offer: VolumeOffer, size_gb: float) -> str:
    per_gb = offer.storage_cost
    cost = f", ${per_gb * size_gb:.2f}/month" if per_gb is not None else ""
    where = f"machine {offer.machine_id}" if offer.machine_id else f"offer {offer.id}"
    return f"{size_gb:g} GB on {where}{cost} (offer {offer.id})"


class VolumeResource(VastResource):
    """What a `Volume` and a `NetworkVolume` share on the program side."""

    args_class = VolumeArgs
    kind: ClassVar[VolumeKind]
    rents = True
    cost_output = ("monthly_cost", 1 / HOURS_PER_MONTH)

    @classmethod
    def defaults(cls, resource_name: str, args: ResourceArgs) -> ResourceArgs:
        if isinstance(args, VolumeArgs) and args.name is None:
            name = default_label(pulumi.get_project(), pulumi.get_stack(), resource_name)
            return args.model_copy(update={"name": name.replace("/", "-")})
        return args

    volume_id: pulumi.Output[int]
    """Vast's id of the volume."""
    volume_name: pulumi.Output[str]
    """Its name on Vast."""
    offer_id: pulumi.Output[int]
    """The volume offer rented."""
    machine_id: pulumi.Output[int]
    """The machine it lives on (an instance mounting a local volume lands there)."""
    cluster_id: pulumi.Output[int]
    """The physical cluster of its machine, if any (a network volume's instances land there)."""
    status: pulumi.Output[str]
    """Vast's status of the volume."""
    monthly_cost: pulumi.Output[float]
    """What it costs per month, in $, whether mounted or not."""
    mounted_by: pulumi.Output[list[int]]
    """The instances it is mounted in."""
    offer: pulumi.Output[dict[str, Any]]
    """The offer as it was when rented, against which query changes are judged."""
    selection: pulumi.Output[str]
    """How the offer was chosen."""
