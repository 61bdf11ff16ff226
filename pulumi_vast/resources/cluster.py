"""A physical cluster, host side: machines of the account on one LAN, registered with Vast."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, Field, model_validator

from pulumi_vast.api import ResponseLost
from pulumi_vast.api.clusters import Cluster as HostCluster
from pulumi_vast.resources._fields import REPLACE, UPDATE, FieldTable, Input, ResourceArgs, known
from pulumi_vast.resources._problems import InvalidField
from pulumi_vast.resources._provider import VastProvider
from pulumi_vast.resources._resource import VastResource

__all__ = ["Cluster", "ClusterArgs", "ClusterProvider"]


def _subnet(text: str) -> str:
    try:
        network = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an IPv4 subnet: write the machines' LAN as address/prefix, "
            "e.g. '10.0.0.0/24'"
        ) from None
    return str(network)


Subnet = Annotated[str, AfterValidator(_subnet)]
MachineId = Annotated[int, Field(ge=1)]


class ClusterArgs(ResourceArgs):
    """Inputs of a `Cluster`."""

    subnet: Annotated[
        Input[Subnet],
        REPLACE,
        Field(description="The machines' LAN, address/prefix.", examples=["10.0.0.0/24"]),
    ]
    manager_id: Annotated[
        Input[MachineId],
        REPLACE,
        Field(description="The machine that manages the cluster (one of yours).", examples=[42]),
    ]
    machine_ids: Annotated[
        Input[list[Input[MachineId]]],
        UPDATE,
        Field(
            default_factory=list,
            description="The other member machines; added and removed in place.",
            examples=[[43, 44]],
        ),
    ]

    @model_validator(mode="after")
    def _manager_apart(self) -> ClusterArgs:
        members = self.machine_ids
        if isinstance(members, list) and self.manager_id in members:
            raise InvalidField(
                "machine_ids",
                f"lists the manager ({self.manager_id}), which is a member already: drop it",
            )
        return self


class ClusterProvider(VastProvider):
    table = FieldTable(ClusterArgs)
    kind = "cluster"
    changed_in_place = frozenset({"nodes"})
    api_fields = {"subnet": "subnet", "manager_id": "manager_id", "machine_ids": "machine_ids"}  # noqa: RUF012

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        clusters = self.client.clusters
        manager_id = int(known(args.manager_id))
        try:
            made = clusters.create(str(known(args.subnet)), manager_id)
        except ResponseLost:
            found = clusters.managed_by(manager_id)  # made, unless it never got there
            if found is None:
                raise
            made = found
        members = [int(m) for m in known(args.machine_ids)]
        if members:
            try:
                clusters.join(made.id, members)
            except BaseException:
                clusters.delete(made.id)  # a failed create leaves nothing behind
                raise
        return str(made.id), self._outputs(made.id)

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        live = self._live(int(id_))
        if live is None:
            return None
        others = [m for m in live.machine_ids if m != live.manager_id]
        return {
            **_outputs(live),
            "subnet": live.subnet,
            "manager_id": live.manager_id,
            "machine_ids": others,
        }

    def _update(
        self, id_: str, olds: Mapping[str, Any], args: Any, changed: frozenset[str]
    ) -> Mapping[str, Any]:
        cluster_id = int(id_)
        before = {int(m) for m in olds.get("machine_ids") or []}
        after = [int(m) for m in known(args.machine_ids)]
        added = [m for m in after if m not in before]
        clusters = self.client.clusters
        if added:
            clusters.join(cluster_id, added)
        for machine_id in sorted(before - set(after)):
            clusters.remove_machine(cluster_id, machine_id)
        return self._outputs(cluster_id)

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        self.client.clusters.delete(int(id_))

    def _live(self, cluster_id: int) -> HostCluster | None:
        return self.client.clusters.get(cluster_id)

    def _outputs(self, cluster_id: int) -> dict[str, Any]:
        live = self._live(cluster_id)
        if live is None:
            raise RuntimeError(f"cluster {cluster_id} is not listed after it was written")
        return _outputs(live)


def _outputs(live: HostCluster) -> dict[str, Any]:
    return {"cluster_id": live.id, "nodes": [int(m) for m in live.machine_ids]}


class Cluster(VastResource, module="vast", name="Cluster"):
    """A physical cluster, host side: machines of this (host) account on one LAN,
    registered so that renters can place multi-node jobs on them (their offers carry the
    cluster's id). Members are added and removed in place; a new subnet or manager
    replaces it.

    ## Example Usage

    ```python
    import pulumi_vast as vast

    rack = vast.Cluster("rack-1", subnet="10.0.0.0/24", manager_id=42, machine_ids=[43, 44])
    ```

    ## Import

    Declare it with its inputs and ``opts=pulumi.ResourceOptions(import_="7")`` (its
    `cluster_id`), run ``pulumi up`` once, then drop the option.
    """

    provider_class = ClusterProvider
    args_class = ClusterArgs
    config_key = "clusters"
    config_example = """
pulumi-vast:clusters:
  - name: rack-1
    subnet: 10.0.0.0/24
    manager_id: 42
    machine_ids: [43, 44]
"""

    cluster_id: pulumi.Output[int]
    """Vast's id of the cluster (its machines' offers carry it)."""
    nodes: pulumi.Output[list[int]]
    """Every member machine, the manager included."""
