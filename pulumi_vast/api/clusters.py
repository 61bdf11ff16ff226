"""Physical clusters and overlay networks (not in openapi; the official client's
`vastai.api.clusters`, whose calls these send exactly).

A *physical cluster* is a set of machines of one host on one LAN; offers on them carry its
``cluster_id`` (search with ``cluster_id=N``, or ``cluster_id!=None``). A host registers
its own:

- list: ``GET /api/v0/clusters/`` -> ``{"clusters": {"<id>": {"subnet", "nodes":
  [{"machine_id", "is_cluster_manager", "local_ip"}]}}}``;
- create: ``POST /api/v0/cluster/`` ``{"subnet", "manager_id"}``; the answer is only a
  ``msg``, so `ClustersClient.create` finds the new cluster by its manager (a machine is
  in one cluster at most). A lost answer raises `ResponseLost` and is never repeated:
  look with `ClustersClient.managed_by` before creating again;
- join: ``PUT /api/v0/cluster/`` ``{"cluster_id", "machine_ids"}``;
- remove a machine: ``DELETE /api/v0/cluster/remove_machine/`` ``{"cluster_id",
  "machine_id", "new_manager_id"?}`` (the manager only with a new one);
- delete: ``DELETE /api/v0/cluster/`` ``{"cluster_id"}``.

An *overlay network* is a private LAN for the account's instances on one physical cluster
(multi-node training: NCCL over `eth0`):

- list: ``GET /api/v0/overlay/`` -> a list of ``{"overlay_id", "name", "internal_subnet",
  "cluster_id", "instances"}``;
- create: ``POST /api/v0/overlay/`` ``{"cluster_id", "name"}``; found afterwards by its
  name (an account's overlay names are its own), also after a lost answer
  (`OverlaysClient.find`);
- join: ``PUT /api/v0/overlay/`` ``{"name", "instance_id"}``; an instance also joins at
  create with ``CreateInstanceRequest(network=NAME)`` (``-n NAME`` in its env). Either
  way it must be on a machine of the overlay's cluster;
- delete: ``DELETE /api/v0/overlay/`` ``{"overlay_id"}`` (or ``{"overlay_name"}``). Vast
  destroys the overlay's instances with it.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from pulumi_vast.api._base import SubClient, VastModel
from pulumi_vast.api.errors import NotFound
from pulumi_vast.api.instances import OVERLAY_NAME

__all__ = ["Cluster", "ClusterNode", "ClustersClient", "Overlay", "OverlaysClient"]

_CLUSTERS = "/api/v0/clusters/"
_CLUSTER = "/api/v0/cluster/"
_REMOVE_MACHINE = "/api/v0/cluster/remove_machine/"
_OVERLAY = "/api/v0/overlay/"


class ClusterNode(VastModel):
    machine_id: int
    is_cluster_manager: bool = False
    local_ip: str | None = None
    """The machine's address on the cluster's LAN."""


class Cluster(VastModel):
    """A physical cluster the account registered as a host."""

    id: int
    subnet: str
    nodes: tuple[ClusterNode, ...] = ()

    @property
    def manager_id(self) -> int | None:
        return next((n.machine_id for n in self.nodes if n.is_cluster_manager), None)

    @property
    def machine_ids(self) -> tuple[int, ...]:
        return tuple(node.machine_id for node in self.nodes)


class Overlay(VastModel):
    """An overlay network of the account, on one physical cluster."""

    id: int = Field(alias="overlay_id")
    name: str
    cluster_id: int
    subnet: str | None = Field(default=None, alias="internal_subnet")
    instance_ids: tuple[int, ...] = Field(default=(), alias="instances")


class ClustersClient(SubClient):
    def list(self) -> builtins.list[Cluster]:
        data = self._transport.request("GET", _CLUSTERS)
        rows = data.get("clusters") if isinstance(data, dict) else None
        if rows is None:
            return []
        if not isinstance(rows, dict):
            raise self._unexpected("GET", _CLUSTERS, "a body whose 'clusters' is no object")
        clusters = [
            self._parse(Cluster, {**_object(row), "id": key}, "GET", _CLUSTERS)
            for key, row in rows.items()
        ]
        return sorted(clusters, key=lambda c: c.id)

    def get(self, cluster_id: int) -> Cluster | None:
        return next((c for c in self.list() if c.id == cluster_id), None)

    def managed_by(self, machine_id: int) -> Cluster | None:
        """The account's cluster that machine manages, if any."""
        return next((c for c in self.list() if c.manager_id == machine_id), None)

    def create(self, subnet: str, manager_id: int) -> Cluster:
        """Register a cluster on ``subnet`` (``10.0.0.0/24``) managed by one of the account's
        machines, and return it as listed."""
        body = {"subnet": subnet, "manager_id": manager_id}
        self._transport.request("POST", _CLUSTER, json=body, idempotent=False)
        cluster = self.managed_by(manager_id)
        if cluster is None:
            raise self._unexpected(
                "POST", _CLUSTER, f"success, but no cluster managed by machine {manager_id}"
            )
        return cluster

    def join(self, cluster_id: int, machine_ids: Sequence[int]) -> None:
        body = {"cluster_id": cluster_id, "machine_ids": list(machine_ids)}
        self._transport.request("PUT", _CLUSTER, json=body)

    def remove_machine(
        self, cluster_id: int, machine_id: int, *, new_manager_id: int | None = None
    ) -> None:
        """Take a machine out; removing the manager needs ``new_manager_id``, a member."""
        body: dict[str, Any] = {"cluster_id": cluster_id, "machine_id": machine_id}
        if new_manager_id is not None:
            body["new_manager_id"] = new_manager_id
        self._transport.request("DELETE", _REMOVE_MACHINE, json=body)

    def delete(self, cluster_id: int) -> bool:
        """Delete the cluster; False when it was already gone."""
        try:
            self._transport.request("DELETE", _CLUSTER, json={"cluster_id": cluster_id})
        except NotFound:
            return False
        return True


class OverlaysClient(SubClient):
    def list(self) -> builtins.list[Overlay]:
        data = self._transport.request("GET", _OVERLAY)
        if not isinstance(data, builtins.list):
            raise self._unexpected("GET", _OVERLAY, "a body that is not a list of overlays")
        return [self._parse(Overlay, _object(row), "GET", _OVERLAY) for row in data]

    def get(self, overlay_id: int) -> Overlay | None:
        return next((o for o in self.list() if o.id == overlay_id), None)

    def find(self, name: str) -> Overlay | None:
        """The account's overlay of that name, if any."""
        return next((o for o in self.list() if o.name == name), None)

    def create(self, cluster_id: int, name: str) -> Overlay:
        """Make an overlay on a physical cluster, and return it as listed."""
        _check_name(name)
        body = {"cluster_id": cluster_id, "name": name}
        self._transport.request("POST", _OVERLAY, json=body, idempotent=False)
        overlay = self.find(name)
        if overlay is None:
            raise self._unexpected("POST", _OVERLAY, f"success, but no overlay named {name!r}")
        return overlay

    def join(self, name: str, instance_id: int) -> None:
        """Add a running instance (on a machine of the overlay's cluster) to the overlay."""
        _check_name(name)
        self._transport.request("PUT", _OVERLAY, json={"name": name, "instance_id": instance_id})

    def delete(self, overlay: int | str) -> bool:
        """Delete an overlay by id or name, which destroys its instances; False when it was
        already gone."""
        body: dict[str, Any] = (
            {"overlay_id": overlay} if isinstance(overlay, int) else {"overlay_name": overlay}
        )
        try:
            self._transport.request("DELETE", _OVERLAY, json=body)
        except NotFound:
            return False
        return True


def _check_name(name: str) -> None:
    if not OVERLAY_NAME.match(name):
        raise ValueError(
            f"{name!r} is not an overlay name: 1 to 64 lower-case letters, digits and -"
        )


def _object(row: Any) -> dict[str, Any]:
    return row if isinstance(row, dict) else {}
