"""Templates, account env vars and volumes end to end, declared in stack config: the real
CLI against the simulator, each walked through create, a no-change preview that makes no
API call, an update in place, a replacement, refresh after changes made elsewhere, destroy,
and the ledger after."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulumi_vast.api import VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin
from tests.e2e.conftest import VastStack, instance, write_config
from tests.e2e.test_lifecycle import billing, set_path, steps

pytestmark = pytest.mark.slow

TEMPLATE = {"name": "trainer", "image": "vastai/base-image", "disk_gb": 30, "env": {"FROM": "t"}}
VOLUME = {"name": "data", "query": "disk_space>=50", "size_gb": 50, "on_destroy": "delete"}


def gpu(**fields: Any) -> dict[str, Any]:
    """An instance made from the template (its image and disk), mounting the volume."""
    entry = instance(
        "gpu", template="trainer", volumes=[{"volume": "data", "path": "/data"}], **fields
    )
    return {k: v for k, v in entry.items() if k not in ("image", "disk_gb")}


def declare(stack: PulumiWorkspace, **sections: Any) -> None:
    write_config(stack, **sections)


def volumes_alive(sim_admin: SimAdmin, key: str) -> list[dict[str, Any]]:
    return [v for v in sim_admin.ledger(key).get("volumes", []) if v.get("deleted_at") is None]


def calls(sim_admin: SimAdmin, key: str) -> dict[str, int]:
    return {route: c["total"] for route, c in sim_admin.request_counts(key).items()}


def test_template_env_var_and_volume_lifecycle(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    client = VastClient(sim_url, vast_account)
    stack = vast_stack([gpu()])
    declare(stack, templates=[TEMPLATE], volumes=[VOLUME])
    set_path(stack, "pulumi-vast:envVars[0].name", "HF_TOKEN")
    set_path(stack, "pulumi-vast:envVars[0].value", "hf_e2e_secret_value", secret=True)

    stack.up()
    [template] = client.templates.list()
    [volume] = client.volumes.list()
    [row] = billing(sim_admin, vast_account)
    live = client.instances.get(row["id"])
    assert live is not None and live.template_hash_id == template.hash_id
    assert live.disk_space == 30, "the template's disk"
    assert row["id"] in client.volumes.get(volume.id).instance_ids  # type: ignore[union-attr]
    found = client.env_vars.get("HF_TOKEN")
    assert found is not None and found.value.get_secret_value() == "hf_e2e_secret_value"
    assert "hf_e2e_secret_value" not in json.dumps(stack.export_state())

    sim_admin.reset_request_counts(vast_account)
    stack.preview("--expect-no-changes")
    assert calls(sim_admin, vast_account) == {}, "a no-change preview makes no API call"

    # in place: the env var's value; the template's readme (a new hash: the instance made
    # from the old content is replaced, as the preview says)
    set_path(stack, "pulumi-vast:envVars[0].value", "hf_e2e_second_value", secret=True)
    set_path(stack, "pulumi-vast:templates[0].readme", "now with a readme")
    planned = steps(stack)
    assert planned["HF_TOKEN"] == "update" and planned["trainer"] == "update"
    assert planned["gpu"] == "replace"
    stack.up()
    [updated] = client.templates.list()
    assert updated.id == template.id and updated.hash_id != template.hash_id
    value = client.env_vars.get("HF_TOKEN")
    assert value is not None and value.value.get_secret_value() == "hf_e2e_second_value"

    # a volume's size replaces it, and the instance mounting it
    set_path(stack, "pulumi-vast:volumes[0].size_gb", "60")
    planned = steps(stack)
    assert planned["data"] == "replace" and planned["gpu"] == "replace"
    stack.up()
    [resized] = client.volumes.list()
    assert resized.id != volume.id and resized.disk_space == 60

    # changed and deleted elsewhere: refresh notices
    client.env_vars.update("HF_TOKEN", "changed_elsewhere")
    client.templates.delete(updated.id)
    stack.refresh()
    names = {r["urn"].split("::")[-1] for r in stack.resources()}
    assert "trainer" not in names, "a template deleted elsewhere leaves the state"
    assert steps(stack)["HF_TOKEN"] == "update", "the value drifted: up puts it back"

    stack.destroy()
    assert billing(sim_admin, vast_account) == []
    assert volumes_alive(sim_admin, vast_account) == [], "on_destroy: delete"
    assert client.env_vars.get("HF_TOKEN") is None
    assert client.templates.list() == []


def test_a_kept_volume_survives_destroy_and_destroy_says_what_it_costs(
    vast_stack: VastStack, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    stack = vast_stack([])
    declare(stack, volumes=[{**VOLUME, "on_destroy": "keep"}])
    stack.up()
    [volume] = volumes_alive(sim_admin, vast_account)

    done = stack.destroy()

    assert f"kept volume {volume['id']}" in done.stdout and "/month" in done.stdout
    assert [v["id"] for v in volumes_alive(sim_admin, vast_account)] == [volume["id"]]
    VastClient(sim_url, vast_account).volumes.delete(volume["id"])


def test_a_bad_reference_fails_preview_naming_its_path(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance("gpu", template="trainr")])
    declare(stack, templates=[TEMPLATE])

    done = stack.preview(check=False)

    text = done.stdout + done.stderr
    assert done.returncode != 0
    assert "pulumi-vast:instances[0].template" in text and "did you mean 'trainer'" in text
    assert "Traceback" not in text
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 0


def test_refresh_calls_do_not_grow_with_the_instances(
    vast_stack: VastStack, sim_admin: SimAdmin, vast_account: str
) -> None:
    stack = vast_stack([instance("one", ready={"timeout": 60})])
    declare(stack, templates=[TEMPLATE], volumes=[VOLUME])
    set_path(stack, "pulumi-vast:envVars[0].name", "A_VAR")
    set_path(stack, "pulumi-vast:envVars[0].value", "v", secret=True)
    stack.up()
    sim_admin.reset_request_counts(vast_account)
    stack.refresh()
    few = calls(sim_admin, vast_account)

    write_config(stack, instances=[instance(f"n{i}", ready={"timeout": 60}) for i in range(4)])
    stack.up()
    sim_admin.reset_request_counts(vast_account)
    stack.refresh()
    many = calls(sim_admin, vast_account)

    assert many == few, "one listing serves every instance's read"
    stack.destroy()
    assert billing(sim_admin, vast_account) == []
