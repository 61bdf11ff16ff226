"""Template and EnvVar providers against the simulator: create, read, update, delete, drift."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pulumi.runtime import rpc

from pulumi_vast.api import VastClient
from pulumi_vast.resources import EnvVarProvider, InstanceProvider, TemplateProvider
from pulumi_vast.resources._errors import ResourceError
from pulumi_vast.sim.testing import SimAdmin

pytestmark = pytest.mark.slow


@pytest.fixture
def client(sim_url: str, vast_account: str) -> VastClient:
    return VastClient(sim_url, vast_account)


def checked(provider: Any, **news: Any) -> dict[str, Any]:
    result = provider.check({}, news)
    assert [(f.property, f.reason) for f in result.failures] == []
    return dict(result.inputs)


def test_a_template_is_created_updated_in_place_read_and_deleted(
    configure: Callable[..., Any], client: VastClient
) -> None:
    provider: TemplateProvider = configure(TemplateProvider)
    inputs = checked(provider, name="trainer", image="pytorch/pytorch", disk_gb=40, env={"A": "1"})

    created = provider.create(inputs)
    [live] = [t for t in client.templates.list() if t.id == int(created.id)]
    assert (live.name, live.image, live.hash_id) == (
        "trainer",
        "pytorch/pytorch",
        created.outs["hash_id"],
    )
    assert created.outs["template_id"] == int(created.id)

    news = checked(provider, name="trainer", image="pytorch/pytorch", disk_gb=60, env={"A": "1"})
    diff = provider.diff(created.id, created.outs, news)
    assert diff.changes and not diff.replaces, "every input changes in place"
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs["template_id"] == created.outs["template_id"], "same template"
    assert updated.outs["hash_id"] != created.outs["hash_id"], "new content, new hash"

    read = provider.read(created.id, updated.outs)
    assert read.id == created.id and read.outs["hash_id"] == updated.outs["hash_id"]

    provider.delete(created.id, updated.outs)
    assert [t for t in client.templates.list() if t.id == int(created.id)] == []
    assert provider.read(created.id, updated.outs).id == "", "gone: dropped from the state"


def test_an_instance_from_a_template_takes_its_image_and_disk_and_overrides_them(
    configure: Callable[..., Any], client: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    templates: TemplateProvider = configure(TemplateProvider)
    template = templates.create(
        checked(
            templates, name="t", image="vastai/base-image", disk_gb=30, env={"FROM": "template"}
        )
    )
    instances: InstanceProvider = configure(InstanceProvider)
    inputs = checked(
        instances,
        query="gpu_ram>=24 num_gpus=1",
        template=template.outs["hash_id"],
        env={"OWN": "instance"},
        label="from-template",
    )

    created = instances.create(inputs)

    live = client.instances.get(int(created.id))
    assert live is not None
    assert live.image_uuid == "vastai/base-image", "the template's image"
    assert live.disk_space == 30, "the template's disk, the instance giving none"
    assert live.template_hash_id == template.outs["hash_id"]
    instances.delete(created.id, created.outs)
    templates.delete(template.id, template.outs)
    assert sim_admin.ledger(vast_account)["totals"]["alive"] == 0


def test_an_env_var_value_changes_in_place_and_is_never_in_clear(
    configure: Callable[..., Any], client: VastClient
) -> None:
    provider: EnvVarProvider = configure(EnvVarProvider)
    inputs = checked(provider, name="HF_TOKEN", value="hf_first_secret")

    created = provider.create(inputs)
    assert created.id == "HF_TOKEN"
    found = client.env_vars.get("HF_TOKEN")
    assert found is not None and found.value.get_secret_value() == "hf_first_secret"

    news = checked(provider, name="HF_TOKEN", value="hf_second_secret")
    assert provider.diff(created.id, created.outs, news).replaces == []
    updated = provider.update(created.id, created.outs, news)
    assert rpc.is_rpc_secret(updated.outs["value"]), "marked secret for the state"
    found = client.env_vars.get("HF_TOKEN")
    assert found is not None and found.value.get_secret_value() == "hf_second_secret"

    client.env_vars.update("HF_TOKEN", "changed_elsewhere")
    read = provider.read(created.id, updated.outs)
    assert read.inputs is not None and "changed_elsewhere" in str(read.inputs["value"])

    assert provider.diff(
        created.id, {**updated.outs}, checked(provider, name="OTHER", value="x")
    ).replaces == ["name"]
    provider.delete(created.id, updated.outs)
    assert client.env_vars.get("HF_TOKEN") is None


def test_an_env_var_the_account_already_has_is_refused_with_how_to_adopt_it(
    configure: Callable[..., Any], client: VastClient
) -> None:
    client.env_vars.create("TAKEN", "x")
    provider: EnvVarProvider = configure(EnvVarProvider)
    with pytest.raises(
        ResourceError, match=r'name: .*already has an env var TAKEN.*import_="TAKEN"'
    ):
        provider.create(checked(provider, name="TAKEN", value="y"))
    client.env_vars.delete("TAKEN")


def test_an_env_var_name_must_be_in_capitals(configure: Callable[..., Any]) -> None:
    provider: EnvVarProvider = configure(EnvVarProvider)
    [failure] = provider.check({}, {"name": "hf_token", "value": "x"}).failures
    assert "write it as 'HF_TOKEN'" in failure.reason and "x" not in failure.reason.split("'")
