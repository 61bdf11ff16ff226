"""An overlay network on a physical cluster: the private LAN its instances share (eth0)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import pulumi
from pulumi.dynamic import DiffResult
from pydantic import Field

from pulumi_vast.api import ResponseLost
from pulumi_vast.api.clusters import Overlay
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._fields import REPLACE, FieldTable, Input, ResourceArgs, known
from pulumi_vast.resources._overlay import NetworkName, network_name_for
from pulumi_vast.resources._provider import VastProvider
from pulumi_vast.resources._resource import VastResource

__all__ = ["OverlayNetwork", "OverlayNetworkArgs", "OverlayNetworkProvider"]


class OverlayNetworkArgs(ResourceArgs):
    """Inputs of an `OverlayNetwork`."""

    name: Annotated[
        Input[NetworkName] | None,
        REPLACE,
        Field(
            description="Its name, which instances join it by (`Instance(network=...)`); "
            "defaults to the resource's name.",
            examples=["trainers"],
        ),
    ] = None
    cluster_id: Annotated[
        Input[Annotated[int, Field(ge=1)]],
        REPLACE,
        Field(
            description="The physical cluster it spans (an offer's `cluster_id`).",
            examples=[701],
        ),
    ]


class OverlayNetworkProvider(VastProvider):
    table = FieldTable(OverlayNetworkArgs)
    kind = "overlay network"
    changed_in_place = frozenset({"instances"})
    # A replacement reuses the name, and Vast destroys the old one's instances anyway.
    delete_before_replace = True
    api_fields = {"name": "name", "cluster_id": "cluster_id"}  # noqa: RUF012 - read only

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        name, cluster_id = str(known(args.name)), int(known(args.cluster_id))
        overlays = self.client.overlays
        try:
            made = overlays.create(cluster_id, name)
        except ResponseLost:
            found = overlays.find(name)  # made, unless the request never got there
            if found is None:
                raise
            made = found
        return str(made.id), _outputs(made)

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        live = self.client.overlays.get(int(id_))
        if live is None:
            return None
        return {**_outputs(live), "name": live.name, "cluster_id": live.cluster_id}

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        self.client.overlays.delete(int(id_))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        if result.replaces:
            live = self.client.overlays.get(int(id_))
            members = list(live.instance_ids) if live is not None else []
            taken = (
                "Vast destroys its instances with it: "
                + ", ".join(str(i) for i in members)
                + " (the instances of this stack on it are replaced after it)"
                if members
                else "no instance is on it"
            )
            progress.warn(f"replacing overlay network {olds.get('name')!r} ({id_}): {taken}")
        return result


def _outputs(overlay: Overlay) -> dict[str, Any]:
    return {
        "overlay_id": overlay.id,
        "subnet": overlay.subnet or "",
        "instances": [int(i) for i in overlay.instance_ids],
    }


class OverlayNetwork(VastResource, module="vast", name="OverlayNetwork"):
    """An overlay network on a physical cluster: instances created with
    ``network=overlay`` join it and see each other on their ``eth0``, as NCCL needs.

    Vast destroys an overlay's instances when the overlay is deleted. An `Instance` given
    the overlay itself (not only its name) depends on it, so `pulumi destroy` deletes the
    instances first, and a replacement of the overlay replaces them too (its preview names
    the instances it takes down).

    ## Example Usage

    ```python
    import pulumi_vast as vast

    overlay = vast.OverlayNetwork("lan", name="trainers", cluster_id=701)
    node = vast.Instance(
        "node-0", query="gpu_ram>=24", image="pytorch/pytorch", network=overlay
    )
    ```

    ## Import

    Declare it with its inputs and ``opts=pulumi.ResourceOptions(import_="3")`` (its
    `overlay_id`), run ``pulumi up`` once, then drop the option.
    """

    provider_class = OverlayNetworkProvider
    args_class = OverlayNetworkArgs
    config_key = "overlayNetworks"
    config_example = """
pulumi-vast:overlayNetworks:
  - name: trainers
    cluster_id: 701
"""

    @classmethod
    def defaults(cls, resource_name: str, args: ResourceArgs) -> ResourceArgs:
        if isinstance(args, OverlayNetworkArgs) and args.name is None:
            return args.model_copy(update={"name": network_name_for(resource_name)})
        return args

    overlay_id: pulumi.Output[int]
    """Vast's id of the overlay."""
    subnet: pulumi.Output[str]
    """Its internal subnet (the instances' eth0 addresses are in it)."""
    instances: pulumi.Output[list[int]]
    """The instances on it, as Vast lists them."""
