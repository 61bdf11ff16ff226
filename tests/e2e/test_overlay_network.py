"""An overlay network and an instance on it, declared in stack config: the instance lands
on the overlay's cluster and sees it as eth0; a replacement of the overlay names what it
takes down and replaces the instance after it; destroy deletes the instance first."""

from __future__ import annotations

import ipaddress
import re

import pytest

from pulumi_vast.api import VastClient
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance, write_config
from tests.e2e.test_lifecycle import billing, over_ssh, set_path, steps

pytestmark = pytest.mark.slow

OVERLAY_TYPE = "pulumi-python:dynamic/vast:OverlayNetwork"


def test_an_instance_on_an_overlay_network_from_stack_config(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    node = instance("node", query="gpu_ram>=24 num_gpus=1", network="lan")
    stack = vast_stack([node])
    write_config(stack, overlayNetworks=[{"name": "lan", "cluster_id": 200}])
    client = VastClient(sim_url, vast_account)

    stack.up()
    instance_id = stack.outputs()["node"]["instance_id"]
    [overlay] = client.overlays.list()
    assert (overlay.name, overlay.cluster_id, overlay.instance_ids) == ("lan", 200, (instance_id,))
    live = client.instances.get(instance_id)
    assert live is not None and live.cluster_id == 200
    shown = over_ssh(stack.outputs()["node"]["ssh"], "ip -4 addr show eth0")
    found = re.search(r"inet (\S+)/", shown)
    assert found is not None and overlay.subnet is not None
    assert ipaddress.ip_address(found.group(1)) in ipaddress.ip_network(overlay.subnet)
    [overlay_state] = [r for r in stack.resources() if r["type"] == OVERLAY_TYPE]
    [node_state] = [r for r in stack.resources() if r["urn"].endswith("::node")]
    assert overlay_state["urn"] in node_state.get("dependencies", []), "destroyed before it"

    # moving the overlay replaces it, says what Vast takes down with it, and the instance
    set_path(stack, "pulumi-vast:overlayNetworks[0].cluster_id", "202")
    preview = stack.preview()
    assert f"Vast destroys its instances with it: {instance_id}" in preview.stdout
    planned = steps(stack)
    assert planned["lan"] == "replace" and planned["node"] == "replace"
    stack.up()
    moved = stack.outputs()["node"]["instance_id"]
    [overlay] = client.overlays.list()
    assert (overlay.cluster_id, overlay.instance_ids) == (202, (moved,))
    assert [row["id"] for row in billing(sim_admin, vast_account)] == [moved]

    stack.destroy()
    assert billing(sim_admin, vast_account) == []
    assert client.overlays.list() == []
