"""A template: a saved launch configuration that instances are created from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

import pulumi
from pydantic import AfterValidator, Field, SecretStr

from pulumi_vast.api import MAX_ONSTART_LENGTH, ResponseLost, TemplateRequest
from pulumi_vast.api import Template as LiveTemplate
from pulumi_vast.api.docker_options import writable
from pulumi_vast.api.templates import MAX_TEMPLATE_DISK_GB, MAX_TEMPLATE_TEXT_LENGTH
from pulumi_vast.resources._fields import (
    SECRET,
    UPDATE,
    FieldTable,
    Input,
    ResourceArgs,
    known,
)
from pulumi_vast.resources._provider import VastProvider
from pulumi_vast.resources._resource import VastResource
from pulumi_vast.resources._text import ShownName
from pulumi_vast.resources.instance import EnvName, Image, OfferQuery, Port

_DOCKER_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
MAX_LOGIN_LENGTH = 1024
"""Of a registry login's user and host (the simulator's; openapi gives none)."""
MAX_PASSWORD_LENGTH = 4096


def _docker_tag(text: str) -> str:
    if not _DOCKER_TAG.match(text):
        raise ValueError(
            "is not a Docker tag: up to 128 letters, digits, '_', '.' and '-', not starting "
            "with '.' or '-', e.g. '2.4.1-cuda12.1-cudnn9-devel'"
        )
    return text


def _option_value(text: str) -> str:
    if not writable(text):
        raise ValueError(
            "has a quote or a line break, which a template's Docker options cannot carry; "
            "pass it as an account env var (EnvVar) or in the onstart script"
        )
    return text


def _registry(text: str) -> str:
    if any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(f"{text!r} is not a registry host (one word), e.g. 'ghcr.io'")
    return text


DockerTag = Annotated[str, Field(min_length=1), AfterValidator(_docker_tag)]
OptionValue = Annotated[str, AfterValidator(_option_value)]
Registry = Annotated[
    str, Field(min_length=1, max_length=MAX_LOGIN_LENGTH), AfterValidator(_registry)
]

__all__ = ["DockerLoginArgs", "Template", "TemplateArgs", "TemplateProvider"]


class DockerLoginArgs(ResourceArgs):
    """How Vast logs in to a private registry to pull the template's image."""

    username: Annotated[
        Input[Annotated[str, Field(min_length=1, max_length=MAX_LOGIN_LENGTH)]],
        UPDATE,
        Field(description="Registry user."),
    ]
    password: Annotated[
        Input[Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]],
        UPDATE,
        Field(description="Its password or token."),
    ]
    registry: Annotated[
        Input[Registry] | None,
        UPDATE,
        Field(
            description="The registry's host, e.g. `ghcr.io` (default: Docker Hub).",
            examples=["ghcr.io"],
        ),
    ] = None


class TemplateArgs(ResourceArgs):
    """Inputs of a `Template`. Every input changes the template in place (Vast gives it a new
    `hash_id`; instances created from the old one keep running as they are)."""

    name: Annotated[
        Input[ShownName] | None,
        UPDATE,
        Field(
            description="The template's name on Vast; defaults to the resource's name.",
            examples=["pytorch-trainer"],
        ),
    ] = None
    image: Annotated[
        Input[Image],
        UPDATE,
        Field(
            description="Docker image (without its tag, or with it).", examples=["pytorch/pytorch"]
        ),
    ]
    tag: Annotated[
        Input[DockerTag] | None,
        UPDATE,
        Field(description="The image's tag.", examples=["2.4.1-cuda12.1-cudnn9-devel"]),
    ] = None
    env: Annotated[
        Input[dict[EnvName, Input[OptionValue]]] | None,
        UPDATE | SECRET,
        Field(description="Environment variables for its instances (kept secret in state)."),
    ] = None
    ports: Annotated[
        Input[list[Input[Port]]] | None,
        UPDATE,
        Field(description="Container ports its instances expose, e.g. `8080`.", examples=[[8080]]),
    ] = None
    onstart: Annotated[
        Input[Annotated[str, Field(max_length=MAX_ONSTART_LENGTH)]] | None,
        UPDATE,
        Field(description="Shell script its instances run when they start."),
    ] = None
    runtype: Annotated[
        Input[Literal["ssh", "jupyter", "args"]],
        UPDATE,
        Field(description="Launch mode: `ssh`, `jupyter` or `args`."),
    ] = "ssh"
    disk_gb: Annotated[
        Input[Annotated[float, Field(gt=0, le=MAX_TEMPLATE_DISK_GB)]] | None,
        UPDATE,
        Field(description="Disk in GB its instances should get.", examples=[50]),
    ] = None
    readme: Annotated[
        Input[Annotated[str, Field(max_length=MAX_TEMPLATE_TEXT_LENGTH)]] | None,
        UPDATE,
        Field(description="Markdown shown with the template."),
    ] = None
    private: Annotated[Input[bool], UPDATE, Field(description="Visible to this account only.")] = (
        True
    )
    docker_login: Annotated[
        Input[DockerLoginArgs] | None,
        UPDATE | SECRET,
        Field(description="Registry login for a private image (kept secret in state)."),
    ] = None
    search_params: Annotated[
        Input[OfferQuery] | None,
        UPDATE,
        Field(
            description="The offers to launch it on, in the query language of `Instance.query`.",
            examples=["gpu_ram>=24 num_gpus=1"],
        ),
    ] = None

    def request(self) -> TemplateRequest:
        """What Vast is sent for these (resolved) inputs."""
        login = known(self.docker_login)
        return TemplateRequest(
            name=known(self.name) or "",
            image=known(self.image),
            tag=known(self.tag),
            env={k: known(v) for k, v in (known(self.env) or {}).items()},
            ports=tuple(str(known(p)) for p in known(self.ports) or []),
            onstart=known(self.onstart),
            runtype=known(self.runtype),
            disk_gb=known(self.disk_gb),
            readme=known(self.readme),
            private=known(self.private),
            search=known(self.search_params),
            docker_login_repo=known(login.registry) if login else None,
            docker_login_user=known(login.username) if login else None,
            docker_login_pass=SecretStr(known(login.password)) if login else None,
        )


class TemplateProvider(VastProvider):
    table = FieldTable(TemplateArgs)
    kind = "template"
    changed_in_place = frozenset({"hash_id"})
    api_fields = MappingProxyType(
        {
            "name": "name",
            "image": "image",
            "tag": "tag",
            "env": "env",
            "onstart": "onstart",
            "runtype": "runtype",
            "recommended_disk_space": "disk_gb",
            "readme": "readme",
            "docker_login_user": "docker_login",
            "docker_login_pass": "docker_login",
            "extra_filters": "search_params",
        }
    )

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        request = args.request()
        templates = self.client.templates
        before = {t.id for t in templates.list() if t.name == request.name}
        try:
            made = templates.create(request)
        except ResponseLost:
            # It may have been made: found by its name among the ones that were not there.
            found = [t for t in templates.list() if t.name == request.name and t.id not in before]
            if len(found) != 1:
                raise
            made = found[0]
        return str(made.id), _outputs(made)

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        live = next((t for t in self.client.templates.list() if t.id == int(id_)), None)
        if live is None:
            return None
        outs: dict[str, Any] = {**_outputs(live), "name": live.name or props.get("name")}
        if live.image:
            outs["image"] = live.image
        return outs

    def _update(
        self, id_: str, olds: Mapping[str, Any], args: Any, changed: frozenset[str]
    ) -> Mapping[str, Any]:
        updated = self.client.templates.update(int(id_), str(olds["hash_id"]), args.request())
        return _outputs(updated)

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        self.client.templates.delete(int(id_))


def _outputs(template: LiveTemplate) -> dict[str, Any]:
    return {"template_id": template.id, "hash_id": template.hash_id}


class Template(VastResource, module="vast", name="Template"):
    """A template on the Vast account: image, env, ports, start-up script, disk and offer
    search saved under a name; instances are created from it with `Instance(template=...)`,
    their own inputs overriding the template's.

    ## Example Usage

    ```python
    import pulumi_vast as vast

    trainer = vast.Template(
        "trainer",
        name="trainer",
        image="pytorch/pytorch",
        tag="2.4.1-cuda12.1-cudnn9-devel",
        env={"HF_HOME": "/workspace/hf"},
        disk_gb=50,
    )
    gpu = vast.Instance("gpu", query="gpu_ram>=24", template=trainer)
    ```

    ## Import

    Declare it with its inputs and ``opts=pulumi.ResourceOptions(import_="123")`` (its
    `template_id`), run ``pulumi up`` once, then drop the option.
    """

    provider_class = TemplateProvider
    config_key = "templates"
    config_example = """
pulumi-vast:templates:
  - name: trainer
    image: pytorch/pytorch
    tag: 2.4.1-cuda12.1-cudnn9-devel
    disk_gb: 50
pulumi-vast:instances:
  - name: gpu
    query: gpu_ram>=24
    template: trainer       # a name from templates, or a hash id
"""
    args_class = TemplateArgs

    @classmethod
    def defaults(cls, resource_name: str, args: ResourceArgs) -> ResourceArgs:
        if isinstance(args, TemplateArgs) and args.name is None:
            return args.model_copy(update={"name": resource_name})
        return args

    template_id: pulumi.Output[int]
    """Vast's id of the template (it stays the same across updates)."""
    hash_id: pulumi.Output[str]
    """The hash of its content, which instances are created from (a new one per update)."""
