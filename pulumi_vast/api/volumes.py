"""Volumes: disk space rented on one machine from a volume offer, kept apart from any
instance, and mounted into instances on that machine (`VolumeAttachment`).

Routes, and where openapi and the official client (vastai 1.9.1) disagree:

- search: ``POST /api/v0/volumes/search/`` with a search body in the words of
  `VOLUME_OFFERS` (defaults ``verified=true external=false disk_space>=1``, priced for
  1 GB), answering ``{"offers": [...]}``.
- rent: ``PUT /api/v0/volumes/`` with ``{"id": offer id, "size": GB, "name": ...}``
  (openapi lists no ``name``; the official client sends it, and it is what lets a caller
  find the volume again). openapi's answer is ``{"success": true, "volume_name":
  "V.20118481"}``: the id is read from that name, the form Vast's copy command uses for a
  volume (``V.<id>``). An answer without one is resolved by looking the name up.
- list: ``GET /api/v0/volumes?owner=me&type=local_volume`` as the official ``show
  volumes`` sends it (openapi: no arguments), answering ``{"volumes": [...]}``; the name
  given at rent comes back as ``label``.
- delete: the official client sends the id as a query argument (``DELETE
  /api/v0/volumes/?id=N``), openapi as a JSON body ``{"id": N}``; we send both, the same
  id, so either reading finds it. A volume still mounted by an instance (running or
  stopped) cannot be deleted: destroy the instance first.

Renting is not idempotent: a lost answer raises `ResponseLost` and is never repeated.
Give each rent a name of your own (a tag) and look for it with `VolumesClient.find`
before renting again.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from pulumi_vast.api._base import VastModel
from pulumi_vast.api._searching import OfferSearching, SearchQuery
from pulumi_vast.api.errors import NotFound
from pulumi_vast.api.instances import DEFAULT_VOLUME_SIZE_GB
from pulumi_vast.api.volume_offer_fields import VOLUME_OFFERS

__all__ = [
    "CreateVolumeRequest",
    "Volume",
    "VolumeOffer",
    "VolumesClient",
]


_VOLUME_NAME = re.compile(r"^V\.(\d+)$")
_NAME = re.compile(r"^\S(.*\S)?$")

_RELIABILITY = AliasChoices("reliability", "reliability2")


class VolumeOffer(VastModel):
    """Space for rent on one machine (``VolumeOffer`` in openapi); a network volume offer is
    the same object with the ``nw_disk_*`` bandwidths. Prices: ``storage_cost`` in
    $/GB/month; ``storage_total_cost`` in $/hour for the ``allocated_storage`` searched."""

    id: int
    ask_contract_id: int | None = None
    bundle_id: int | None = None
    machine_id: int | None = None
    host_id: int | None = None
    cluster_id: int | None = None
    disk_space: float | None = None
    """GB for rent (what one or more volumes of this offer may add up to)."""
    disk_name: str | None = None
    disk_bw: float | None = None
    storage_cost: float | None = None
    storage_total_cost: float | None = None
    cpu_arch: str | None = None
    cpu_name: str | None = None
    cpu_ghz: float | None = None
    mobo_name: str | None = None
    gpu_arch: str | None = None
    cuda_max_good: float | None = None
    driver_version: str | None = None
    inet_up: float | None = None
    inet_down: float | None = None
    nw_disk_min_bw: float | None = None
    nw_disk_avg_bw: float | None = None
    nw_disk_max_bw: float | None = None
    reliability: float | None = Field(default=None, validation_alias=_RELIABILITY)
    duration: float | None = None
    """Seconds the offer stays available."""
    start_date: float | None = None
    end_date: float | None = None
    geolocation: str | None = None
    static_ip: bool | None = None
    verification: str | None = None
    external: bool | None = None
    vms_enabled: bool | None = None


class Volume(VastModel):
    """A rented volume as the listing returns it (``Volume`` in openapi). ``disk_space`` is
    its size in GB; ``storage_total_cost`` its price in $/hour as Vast states it (openapi
    says "total cost for storage", offers state the same field per hour); `instance_ids`
    the instances it is mounted in."""

    id: int
    name: str | None = Field(default=None, validation_alias=AliasChoices("label", "name"))
    """The name given when it was rented (the listing calls it ``label``)."""
    status: str | None = None
    disk_space: float | None = None
    machine_id: int | None = None
    host_id: int | None = None
    cluster_id: int | None = None
    storage_cost: float | None = None
    storage_total_cost: float | None = None
    instances: tuple[Any, ...] = ()
    """What the listing says mounts it: openapi's "list of objects"; see `instance_ids`."""
    disk_name: str | None = None
    start_date: float | None = None
    geolocation: str | None = None
    public_ipaddr: str | None = None
    inet_up: float | None = None
    inet_down: float | None = None
    reliability: float | None = Field(default=None, validation_alias=_RELIABILITY)
    verification: str | None = None
    driver_version: str | None = None
    cuda_max_good: float | None = None

    @field_validator("instances", mode="before")
    @classmethod
    def _no_instances(cls, value: Any) -> Any:
        return () if value is None else value

    @property
    def instance_ids(self) -> tuple[int, ...]:
        """The ids of the instances it is mounted in (an entry may be an id or an object
        with ``id``; openapi does not say which)."""
        ids = (row.get("id") if isinstance(row, Mapping) else row for row in self.instances)
        return tuple(i for i in ids if isinstance(i, int) and not isinstance(i, bool))

    @property
    def size_gb(self) -> float | None:
        return self.disk_space

    @property
    def is_mounted(self) -> bool:
        """Mounted in an instance: it cannot be deleted until that instance is destroyed."""
        return bool(self.instances)


class CreateVolumeRequest(BaseModel):
    """A volume to rent from a (local or network) volume offer; ``to_payload()`` is the body
    the official ``create volume`` sends. ``name`` is yours: make it unique to find the
    volume after a lost answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offer_id: int = Field(gt=0)
    size: int = Field(default=DEFAULT_VOLUME_SIZE_GB, gt=0, description="GB, fixed at rent")
    name: str | None = Field(default=None, pattern=_NAME.pattern)

    def to_payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"size": self.size, "id": self.offer_id}
        if self.name:
            body["name"] = self.name
        return body


class VolumesClient(OfferSearching):
    """Local volumes; `pulumi_vast.api.network_volumes` has the same calls for network
    volumes, at their routes."""

    _SEARCH_ROUTE: ClassVar[str] = "/api/v0/volumes/search/"
    _CREATE_ROUTE: ClassVar[str] = "/api/v0/volumes/"
    _DELETE_ROUTE: ClassVar[str] = "/api/v0/volumes/"
    _LIST_ROUTE: ClassVar[str] = "/api/v0/volumes"
    """No trailing slash: as the official client sends it."""
    _LIST_TYPE: ClassVar[str] = "local_volume"

    def search(
        self,
        query: SearchQuery = None,
        *,
        order: str | Sequence[Sequence[str]] | None = None,
        limit: int | None = None,
        storage_gb: float = VOLUME_OFFERS.default_storage_gb,
        defaults: bool = True,
    ) -> builtins.list[VolumeOffer]:
        """Volume offers matching ``query``: a `Query` built with `VF`, the CLI syntax in the
        volume words (``"disk_space>=100 inet_up>500"``), or API JSON filters sent as given.
        Unless ``defaults`` is False, the official defaults apply where the query does not
        set those fields. ``storage_gb`` is the size ``storage_total_cost`` is priced for."""
        return self._search(
            self._SEARCH_ROUTE,
            VolumeOffer,
            VOLUME_OFFERS,
            query,
            order=order,
            limit=limit,
            storage_gb=storage_gb,
            defaults=defaults,
        )

    def create(self, request: CreateVolumeRequest) -> int:
        """Rent a volume; returns its id.

        Never repeated once it may have reached Vast: a lost answer raises `ResponseLost`,
        after which the volume may exist; `find` it by its name before renting again.
        """
        route = self._CREATE_ROUTE
        data = self._transport.request("PUT", route, json=request.to_payload(), idempotent=False)
        volume_id = _rented_id(data)
        if volume_id is not None:
            return volume_id
        found = self.find(request.name) if request.name else []
        if len(found) == 1:
            return found[0].id
        where = f"; {len(found)} volumes are named {request.name!r}" if found else ""
        raise self._unexpected(
            "PUT",
            route,
            f"no volume_name to tell the rented volume by{where}: it may exist and bill, "
            "so look for it (volumes.list) before renting again",
        )

    def list(self) -> builtins.list[Volume]:
        """The account's volumes of this kind."""
        route = self._LIST_ROUTE
        data = self._transport.request("GET", route, query={"owner": "me", "type": self._LIST_TYPE})
        rows = data.get("volumes") if isinstance(data, dict) else None
        if not isinstance(rows, builtins.list):
            raise self._unexpected("GET", route, "a body without a 'volumes' list")
        return [self._parse(Volume, row, "GET", route) for row in rows]

    def get(self, volume_id: int) -> Volume | None:
        return next((volume for volume in self.list() if volume.id == volume_id), None)

    def find(self, name: str) -> builtins.list[Volume]:
        """The volumes rented under ``name``."""
        return [volume for volume in self.list() if volume.name == name]

    def delete(self, volume_id: int) -> bool:
        """Delete for good; False when it was already gone. A volume still mounted by an
        instance is refused (`APIError`): destroy the instance first."""
        try:
            self._transport.request(
                "DELETE", self._DELETE_ROUTE, query={"id": volume_id}, json={"id": volume_id}
            )
        except NotFound:
            return False
        return True


def _rented_id(body: Any) -> int | None:
    name = body.get("volume_name") if isinstance(body, Mapping) else None
    match = _VOLUME_NAME.match(name) if isinstance(name, str) else None
    return int(match.group(1)) if match else None
