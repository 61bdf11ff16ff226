"""The provider base: secrets are marked on every result, for every resource, by the base.

`TokenProvider` below is written the careless way (raw ``{**props, **outs}``, as `SshKey` is),
and still nothing secret comes back in clear. The slow tests run each real provider of
the package against the simulator the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import pytest
from pulumi.dynamic import ConfigureRequest, CreateResult, ReadResult, UpdateResult
from pulumi.dynamic.config import Config
from pulumi.runtime import rpc
from pydantic import Field

import pulumi_vast.resources as resources
from pulumi_vast.api import EndpointRequest, TemplateRequest
from pulumi_vast.resources._fields import SECRET, UPDATE, FieldTable, Input, ResourceArgs
from pulumi_vast.resources._provider import SecretInError, VastProvider
from pulumi_vast.stack import generate_key_pair

API_KEY = "vast-key-0123456789"


def secret(value: Any) -> Any:
    return rpc.wrap_rpc_secret(value)


def secrets_of(values: Mapping[str, Any] | None) -> set[str]:
    return {name for name, value in (values or {}).items() if rpc.is_rpc_secret(value)}


class TokenArgs(ResourceArgs):
    name: Annotated[Input[str], UPDATE, Field(description="what it is called")]
    value: Annotated[Input[str], SECRET, Field(description="the token")]


class TokenProvider(VastProvider):
    """Like an account env var: a name and a secret value, kept in a dict."""

    table = FieldTable(TokenArgs)
    store: dict[str, dict[str, Any]]

    def create(self, props: dict[str, Any]) -> CreateResult:
        self.store = {"1": dict(props)}
        return CreateResult("1", {**props, "token_id": 1})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = self.store[id_]
        outs = {**props, "name": live["name"], "value": live["value"], "token_id": 1}
        return ReadResult(id_, outs, inputs={"name": outs["name"], "value": outs["value"]})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self.store[id_] = dict(news)
        return UpdateResult({**news, "token_id": 1})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props["name"] == "explode":
            raise RuntimeError(f"cannot delete {props['value']} with {API_KEY}")
        self.store.pop(id_)


@pytest.fixture
def provider() -> TokenProvider:
    provider = TokenProvider()
    provider.configure(ConfigureRequest(Config({"vast:apiKey": API_KEY}, "test")))
    return provider


def test_declared_secrets_come_back_secret_on_every_path(provider: TokenProvider) -> None:
    # the SDK's host sends every value plain (it tells the engine it accepts no secrets)
    news = {"name": "hf", "value": "hf_abc"}
    checked = provider.check({}, news)
    created = provider.create(dict(news))
    read = provider.read(created.id, {**news, "token_id": 1})
    updated = provider.update(created.id, {**news, "token_id": 1}, {**news, "name": "h"})

    assert secrets_of(checked.inputs) == {"value"}
    assert secrets_of(created.outs) == {"value"}
    assert secrets_of(read.outs) == {"value"} and secrets_of(read.inputs) == {"value"}
    assert secrets_of(updated.outs) == {"value"}
    assert rpc.unwrap_rpc_secret((updated.outs or {})["value"]) == "hf_abc"


def test_what_arrived_secret_stays_secret_though_the_provider_returns_it_plain(
    provider: TokenProvider,
) -> None:
    # a secret-accepting host sends secrets marked; `read` takes the name from "live" data
    checked = provider.check({}, {"name": secret("hf"), "value": "hf_abc"})
    created = provider.create({"name": secret("hf"), "value": "hf_abc"})
    read = provider.read(created.id, {"name": secret("hf"), "value": secret("hf_abc")})
    updated = provider.update(created.id, {}, {"name": secret("h"), "value": "hf_abc"})

    for values in (checked.inputs, created.outs, read.outs, read.inputs, updated.outs):
        assert secrets_of(values) == {"name", "value"}


def test_an_error_never_quotes_a_secret(provider: TokenProvider) -> None:
    with pytest.raises(SecretInError) as raised:
        provider.delete("1", {"name": "explode", "value": "hf_abc"})

    assert str(raised.value) == "cannot delete <redacted> with <redacted>"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_an_error_without_secrets_is_raised_as_it_is(provider: TokenProvider) -> None:
    provider.create({"name": "hf", "value": "hf_abc"})
    with pytest.raises(KeyError, match="'2'"):
        provider.read("2", {"name": "hf", "value": "hf_abc"})


# ------------------------------------------------------------------------------ every resource


def package_providers() -> list[type[VastProvider]]:
    return [
        cls
        for name in resources.__all__
        if isinstance(cls := getattr(resources, name), type) and issubclass(cls, VastProvider)
    ]


Results = Iterator[tuple[str, Mapping[str, Any] | None, set[str]]]
Lifecycle = Callable[[VastProvider, Path], Results]
"""Drives one provider through check, create, read (and update), handing it each time
what the engine would send; yields, per result, (what it is, its values, the names that
must be secret in it), and deletes at the end."""

HF_TOKEN = "hf_not_for_state_0123"


def sent(values: Mapping[str, Any] | None, *, marked: Iterable[str] = ()) -> dict[str, Any]:
    """``values`` as a host sends them: plain, but for the ``marked`` names (which a
    secret-accepting host would send as secrets)."""
    plain = {name: _plain(value) for name, value in (values or {}).items()}
    return {name: secret(v) if name in marked else v for name, v in plain.items()}


def _plain(value: Any) -> Any:
    return _plain(rpc.unwrap_rpc_secret(value)) if rpc.is_rpc_secret(value) else value


def instance_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    # env is declared secret; the label arrives secret and Vast hands it back in clear
    news = {
        "query": "gpu_ram>=24 num_gpus=1",
        "image": "pytorch/pytorch",
        "env": {"HF_TOKEN": HF_TOKEN},
        "label": "private-label",
    }
    secrets = {"env", "label"}
    checked = provider.check({}, sent(news, marked={"label"}))
    yield "check inputs", checked.inputs, secrets
    created = provider.create(sent(checked.inputs, marked={"label"}))
    yield "create outputs", created.outs, secrets
    read = provider.read(created.id, sent(created.outs, marked={"label"}))
    yield "read outputs", read.outs, secrets
    yield "read inputs", read.inputs, secrets
    relabelled = sent({**checked.inputs, "label": "private-label-2"}, marked={"label"})
    updated = provider.update(created.id, sent(read.outs), relabelled)
    yield "update outputs", updated.outs, secrets
    provider.delete(created.id, sent(updated.outs))


def ssh_key_lifecycle(provider: VastProvider, tmp: Path) -> Results:
    # no declared secret: a public key the program marked secret must stay secret
    generate_key_pair(tmp / "id_ed25519.pub")
    news = {"public_key": (tmp / "id_ed25519.pub").read_text().strip()}
    checked = provider.check({}, sent(news, marked={"public_key"}))
    yield "check inputs", checked.inputs, {"public_key"}
    created = provider.create(sent(checked.inputs, marked={"public_key"}))
    yield "create outputs", created.outs, {"public_key"}
    read = provider.read(created.id, sent(created.outs, marked={"public_key"}))
    yield "read outputs", read.outs, {"public_key"}
    yield "read inputs", read.inputs, {"public_key"}
    provider.delete(created.id, sent(created.outs))


def stack_tag_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    # no inputs; its one output is a random id, nothing secret unless it arrived so
    checked = provider.check({}, {})
    yield "check inputs", {**checked.inputs, "none": 0}, set()
    created = provider.create(checked.inputs)
    yield "create outputs", created.outs, set()
    read = provider.read(created.id, sent(created.outs))
    yield "read outputs", read.outs, set()
    provider.delete(created.id, sent(created.outs))


def template_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    # env and the registry login are declared secret
    news = {
        "name": "secret-template",
        "image": "pytorch/pytorch",
        "env": {"HF_TOKEN": HF_TOKEN},
        "docker_login": {"username": "me", "password": HF_TOKEN},
    }
    secrets = {"env", "docker_login"}
    checked = provider.check({}, sent(news))
    yield "check inputs", checked.inputs, secrets
    created = provider.create(sent(checked.inputs))
    yield "create outputs", created.outs, secrets
    read = provider.read(created.id, sent(created.outs))
    yield "read outputs", read.outs, secrets
    yield "read inputs", read.inputs, secrets
    updated = provider.update(created.id, sent(read.outs), sent({**checked.inputs, "disk_gb": 20}))
    yield "update outputs", updated.outs, secrets
    provider.delete(created.id, sent(updated.outs))


def env_var_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    checked = provider.check({}, sent({"name": "HF_TOKEN", "value": HF_TOKEN}))
    yield "check inputs", checked.inputs, {"value"}
    created = provider.create(sent(checked.inputs))
    yield "create outputs", created.outs, {"value"}
    read = provider.read(created.id, sent(created.outs))
    yield "read outputs", read.outs, {"value"}
    yield "read inputs", read.inputs, {"value"}
    news = sent({"name": "HF_TOKEN", "value": HF_TOKEN + "_2"})
    updated = provider.update(created.id, sent(read.outs), news)
    yield "update outputs", updated.outs, {"value"}
    provider.delete(created.id, sent(updated.outs))


def volume_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    # nothing declared secret: a name the program marked secret must stay secret
    news = {
        "query": "disk_space>=10",
        "size_gb": 10,
        "name": "private-name",
        "on_destroy": "delete",
    }
    checked = provider.check({}, sent(news, marked={"name"}))
    yield "check inputs", checked.inputs, {"name"}
    created = provider.create(sent(checked.inputs, marked={"name"}))
    yield "create outputs", created.outs, {"name"}
    read = provider.read(created.id, sent(created.outs, marked={"name"}))
    yield "read outputs", read.outs, {"name"}
    yield "read inputs", read.inputs, {"name"}
    provider.delete(created.id, sent(created.outs))


def endpoint_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    # nothing declared secret: a name the program marked secret must stay secret
    news = {"name": "private-endpoint", "cold_workers": 0, "max_workers": 1}
    checked = provider.check({}, sent(news, marked={"name"}))
    yield "check inputs", checked.inputs, {"name"}
    created = provider.create(sent(checked.inputs, marked={"name"}))
    yield "create outputs", created.outs, {"name"}
    read = provider.read(created.id, sent(created.outs, marked={"name"}))
    yield "read outputs", read.outs, {"name"}
    yield "read inputs", read.inputs, {"name"}
    knob = sent({**checked.inputs, "max_workers": 2}, marked={"name"})
    updated = provider.update(created.id, sent(read.outs), knob)
    yield "update outputs", updated.outs, {"name"}
    provider.delete(created.id, sent(updated.outs))


def worker_group_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    # nothing declared secret: launch arguments the program marked secret must stay secret
    client = provider.client
    endpoint = client.serverless.create_endpoint(
        EndpointRequest(endpoint_name="secret-group", cold_workers=0, max_workers=1)
    )
    template = client.templates.create(TemplateRequest(name="secret-group", image="vllm/vllm"))
    news = {
        "endpoint": endpoint,
        "template": template.hash_id,
        "query": "gpu_ram>=24",
        "launch_args": "--disk 20",
        "test_workers": 0,
    }
    checked = provider.check({}, sent(news, marked={"launch_args"}))
    yield "check inputs", checked.inputs, {"launch_args"}
    created = provider.create(sent(checked.inputs, marked={"launch_args"}))
    yield "create outputs", created.outs, {"launch_args"}
    read = provider.read(created.id, sent(created.outs, marked={"launch_args"}))
    yield "read outputs", read.outs, {"launch_args"}
    yield "read inputs", read.inputs, {"launch_args"}
    knob = sent({**checked.inputs, "target_util": 0.5}, marked={"launch_args"})
    updated = provider.update(created.id, sent(read.outs), knob)
    yield "update outputs", updated.outs, {"launch_args"}
    provider.delete(created.id, sent(updated.outs))
    client.serverless.delete_endpoint(endpoint)
    client.templates.delete(template.id)


def overlay_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    # nothing declared secret: a name the program marked secret must stay secret
    checked = provider.check({}, sent({"name": "private-lan", "cluster_id": 200}, marked={"name"}))
    yield "check inputs", checked.inputs, {"name"}
    created = provider.create(sent(checked.inputs, marked={"name"}))
    yield "create outputs", created.outs, {"name"}
    read = provider.read(created.id, sent(created.outs, marked={"name"}))
    yield "read outputs", read.outs, {"name"}
    yield "read inputs", read.inputs, {"name"}
    provider.delete(created.id, sent(created.outs))


def cluster_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    # nothing declared secret: a subnet the program marked secret must stay secret
    offers = provider.client.offers.search({"cluster_id": {"eq": None}}, defaults=False)
    manager, member = sorted({int(o.machine_id or 0) for o in offers})[:2]
    news = {"subnet": "10.8.0.0/24", "manager_id": manager, "machine_ids": [member]}
    checked = provider.check({}, sent(news, marked={"subnet"}))
    yield "check inputs", checked.inputs, {"subnet"}
    created = provider.create(sent(checked.inputs, marked={"subnet"}))
    yield "create outputs", created.outs, {"subnet"}
    read = provider.read(created.id, sent(created.outs, marked={"subnet"}))
    yield "read outputs", read.outs, {"subnet"}
    yield "read inputs", read.inputs, {"subnet"}
    fewer = sent({**checked.inputs, "machine_ids": []}, marked={"subnet"})
    updated = provider.update(created.id, sent(read.outs), fewer)
    yield "update outputs", updated.outs, {"subnet"}
    provider.delete(created.id, sent(updated.outs))


def training_gang_lifecycle(provider: VastProvider, _tmp: Path) -> Results:
    # env is declared secret
    key_file = provider.settings.ssh_private_key_file
    assert key_file is not None
    news = {
        "nodes": 1,
        "query": "gpu_ram>=24",
        "image": "pytorch/pytorch",
        "network_name": "secret-gang",
        "env": {"HF_TOKEN": HF_TOKEN},
        "ssh_keys": [key_file.with_name(key_file.name + ".pub").read_text().strip()],
    }
    checked = provider.check({}, sent(news))
    yield "check inputs", checked.inputs, {"env"}
    created = provider.create(sent(checked.inputs))
    yield "create outputs", created.outs, {"env"}
    read = provider.read(created.id, sent(created.outs))
    yield "read outputs", read.outs, {"env"}
    yield "read inputs", read.inputs, {"env"}
    updated = provider.update(
        created.id, sent(read.outs), sent({**checked.inputs, "master_port": 29600})
    )
    yield "update outputs", updated.outs, {"env"}
    provider.delete(created.id, sent(updated.outs))


LIFECYCLES: dict[type[VastProvider], Lifecycle] = {
    resources.ClusterProvider: cluster_lifecycle,
    resources.EnvVarProvider: env_var_lifecycle,
    resources.InstanceProvider: instance_lifecycle,
    resources.NetworkVolumeProvider: volume_lifecycle,
    resources.OverlayNetworkProvider: overlay_lifecycle,
    resources.ServerlessEndpointProvider: endpoint_lifecycle,
    resources.SshKeyProvider: ssh_key_lifecycle,
    resources.StackTagProvider: stack_tag_lifecycle,
    resources.TemplateProvider: template_lifecycle,
    resources.TrainingGangProvider: training_gang_lifecycle,
    resources.VolumeProvider: volume_lifecycle,
    resources.WorkerGroupProvider: worker_group_lifecycle,
}


def test_every_provider_of_the_package_has_a_secrets_lifecycle_here() -> None:
    assert set(package_providers()) == set(LIFECYCLES)


@pytest.mark.slow
@pytest.mark.parametrize("provider_class", LIFECYCLES, ids=lambda cls: cls.__name__)
def test_every_provider_keeps_secrets_secret_on_every_path(
    provider_class: type[VastProvider], configure: Callable[..., Any], tmp_path: Path
) -> None:
    provider = configure(provider_class)

    for what, values, must_be_secret in LIFECYCLES[provider_class](provider, tmp_path):
        assert values, what
        assert must_be_secret <= secrets_of(values), what
        clear = {name: v for name, v in values.items() if name not in secrets_of(values)}
        assert HF_TOKEN not in repr(clear), what
