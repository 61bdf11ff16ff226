"""Every resource under the SDK's stock provider host, `python -m pulumi.dynamic`, which is
what users of Pulumi's own CLI run: the lifecycle of each kind, lost create answers, a
second Ctrl-C and a killed CLI, each ending with the ledger proving that nothing bills.

The stock host serves 4 calls at once, has no partial failure and knows nothing of
stopping; what pulumi-vast still guarantees there is `pulumi_vast._stopping.guard_unhosted`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_vast.api import VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin
from pulumi_vast.stack import generate_key_pair
from tests.e2e.conftest import VastStack, instance, write_config
from tests.e2e.test_backends_and_interrupts import ctrl_c_while_renting
from tests.e2e.test_leaks import (
    eventually,
    kill_the_cli_while_three_boot,
    the_next_up_rents_three_anew,
    three,
)
from tests.e2e.test_lifecycle import billing, instances_in_state, set_path, steps
from tests.e2e.test_objects import TEMPLATE, VOLUME, gpu

pytestmark = pytest.mark.slow

NO_SSH = {"timeout": 120}
"""Readiness without logging in: the test replaces the account's key under the instances."""
CREATES = (
    "create_ssh_key",
    "create_env_var",
    "create_template",
    "create_volume",
    "create_network_volume",
    "create_instance",
)
STOCK_HOST_ARGV = ["-u", "-m", "pulumi.dynamic"]


def every_kind(make: VastStack, env: dict[str, str], *, on_destroy: str) -> PulumiWorkspace:
    """A stack with one of each resource: an SSH key, an env var, a template, a volume, a
    network volume (both `on_destroy` as given), an instance made from the template mounting
    the volume, another plain."""
    stack = make([gpu(ready=NO_SSH), instance("plain", ready=NO_SSH)], env=env)
    write_config(
        stack,
        templates=[TEMPLATE],
        volumes=[{**VOLUME, "on_destroy": on_destroy}],
        networkVolumes=[{**VOLUME, "name": "shared", "size_gb": 100, "on_destroy": on_destroy}],
    )
    set_path(stack, "pulumi-vast:envVars[0].name", "HF_TOKEN")
    set_path(stack, "pulumi-vast:envVars[0].value", "hf_first", secret=True)
    return stack


def names(stack: PulumiWorkspace) -> set[str]:
    return {r["urn"].split("::")[-1] for r in stack.resources()}


def nothing_left(sim_admin: SimAdmin, key: str, client: VastClient) -> None:
    totals = sim_admin.ledger(key)["totals"]
    assert (totals["alive"], totals["volumes_alive"], totals["billing"]) == (0, 0, 0)
    assert client.ssh_keys.list() == []
    assert client.env_vars.list() == []
    assert client.templates.list() == []


def env_value(client: VastClient, name: str) -> str:
    found = client.env_vars.get(name)
    assert found is not None
    return found.value.get_secret_value()


def test_every_resource_through_its_lifecycle(
    vast_stack: VastStack,
    stock_host_env: dict[str, str],
    sim_admin: SimAdmin,
    sim_url: str,
    vast_account: str,
    tmp_path: Path,
) -> None:
    client = VastClient(sim_url, vast_account)
    stack = every_kind(vast_stack, stock_host_env, on_destroy="keep")

    stack.up()
    [key] = client.ssh_keys.list()
    [template] = client.templates.list()
    [volume] = client.volumes.list()
    [shared] = client.network_volumes.list()
    assert env_value(client, "HF_TOKEN") == "hf_first"
    by_name = {r["urn"].split("::")[-1]: int(r["id"]) for r in instances_in_state(stack)}
    assert sorted(by_name.values()) == sorted(r["id"] for r in billing(sim_admin, vast_account))
    made_from = client.instances.get(by_name["gpu"])
    assert made_from is not None and made_from.template_hash_id == template.hash_id
    assert by_name["gpu"] in client.volumes.get(volume.id).instance_ids  # type: ignore[union-attr]
    stack.preview("--expect-no-changes")

    # in place; the template's new hash replaces the instance made from it
    set_path(stack, "pulumi-vast:envVars[0].value", "hf_second", secret=True)
    set_path(stack, "pulumi-vast:templates[0].readme", "now with a readme")
    set_path(stack, "pulumi-vast:instances[1].label", "renamed")
    set_path(stack, "pulumi-vast:volumes[0].on_destroy", "delete")
    set_path(stack, "pulumi-vast:networkVolumes[0].on_destroy", "delete")
    planned = steps(stack)
    updated = {"HF_TOKEN", "trainer", "plain", "data", "shared"}
    assert {name: planned[name] for name in updated} == dict.fromkeys(updated, "update")
    assert planned["gpu"] == "replace"
    stack.up()
    assert env_value(client, "HF_TOKEN") == "hf_second"
    [renewed] = client.templates.list()
    assert renewed.id == template.id and renewed.hash_id != template.hash_id
    plain = client.instances.get(by_name["plain"])
    assert plain is not None and plain.label == "renamed"
    assert [v.id for v in client.volumes.list()] == [volume.id]
    assert [v.id for v in client.network_volumes.list()] == [shared.id]

    # replaced: the key, both volumes (and the instance mounting one), the plain instance
    generate_key_pair(tmp_path / "new-key" / "id_ed25519.pub")
    write_config(
        stack,
        sshKeys=[{"name": "dev", "publicKeyFile": str(tmp_path / "new-key" / "id_ed25519.pub")}],
    )
    set_path(stack, "pulumi-vast:volumes[0].size_gb", "60")
    set_path(stack, "pulumi-vast:networkVolumes[0].size_gb", "120")
    set_path(stack, "pulumi-vast:instances[1].image", "nvidia/cuda:12.4.1")
    planned = steps(stack)
    replaced = {"dev", "data", "shared", "gpu", "plain"}
    assert {name: planned[name] for name in replaced} == dict.fromkeys(replaced, "replace")
    stack.up()
    [new_key] = client.ssh_keys.list()
    [new_volume] = client.volumes.list()
    [new_shared] = client.network_volumes.list()
    assert (new_key.id, new_volume.id, new_shared.id) != (key.id, volume.id, shared.id)
    assert new_volume.disk_space == 60
    now = {r["urn"].split("::")[-1]: int(r["id"]) for r in instances_in_state(stack)}
    assert not set(now.values()) & set(by_name.values())
    assert sorted(now.values()) == sorted(r["id"] for r in billing(sim_admin, vast_account))
    assert sim_admin.ledger(vast_account)["totals"]["volumes_alive"] == 2, "the old ones deleted"

    # changed elsewhere: refresh follows
    client.env_vars.update("HF_TOKEN", "changed_elsewhere")
    client.templates.delete(renewed.id)
    client.instances.destroy(now["plain"])
    client.network_volumes.delete(new_shared.id)
    stack.refresh()
    assert not names(stack) & {"trainer", "plain", "shared"}, "gone elsewhere, gone from state"
    assert steps(stack)["HF_TOKEN"] == "update", "the value drifted: up puts it back"

    stack.destroy()
    assert stack.resources() == []
    nothing_left(sim_admin, vast_account, client)


def test_lost_create_answers_rent_nothing_twice(
    vast_stack: VastStack,
    stock_host_env: dict[str, str],
    sim_admin: SimAdmin,
    sim_url: str,
    vast_account: str,
) -> None:
    client = VastClient(sim_url, vast_account)
    stack = every_kind(vast_stack, stock_host_env, on_destroy="delete")
    sim_admin.set_faults(vast_account, lost={route: {"count": 1} for route in CREATES})

    stack.up()

    assert sim_admin.faults(vast_account)["lost"] == {}, "every kind's answer was lost once"
    ledger = sim_admin.ledger(vast_account)
    assert (ledger["totals"]["instances"], ledger["totals"]["volumes"]) == (2, 2), "none twice"
    state = sorted(int(r["id"]) for r in instances_in_state(stack))
    assert state == sorted(r["id"] for r in billing(sim_admin, vast_account))
    assert len(client.ssh_keys.list()) == len(client.templates.list()) == 1
    assert env_value(client, "HF_TOKEN") == "hf_first"
    stack.preview("--expect-no-changes")
    stack.destroy()
    nothing_left(sim_admin, vast_account, client)


def test_a_second_ctrl_c_gives_back_the_instance_being_created(
    vast_stack: VastStack, stock_host_env: dict[str, str], sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 60)
    stack = vast_stack([instance(ready={"timeout": 120})], env=stock_host_env)

    rented, status, _ = ctrl_c_while_renting(stack, sim_admin, vast_account, times=2)

    assert status != 0
    assert instances_in_state(stack) == []
    assert billing(sim_admin, vast_account) == [], f"instance {rented} was given back"


def test_a_killed_cli_leaves_a_stock_host_that_gives_back_its_creates_and_exits(
    vast_stack: VastStack, stock_host_env: dict[str, str], sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack(three(), env=stock_host_env)

    first, orphans = kill_the_cli_while_three_boot(stack, sim_admin, vast_account)

    hosts = [pid for pid, argv in orphans.items() if argv[1:4] == STOCK_HOST_ARGV]
    assert hosts, "the SDK's stock host served the providers"
    eventually(lambda: billing(sim_admin, vast_account) == [], "the stock host gave them back")
    eventually(lambda: not any(map(_running, hosts)), "the orphaned stock host exited")
    the_next_up_rents_three_anew(stack, sim_admin, vast_account, first)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's new parent may not reap it)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
