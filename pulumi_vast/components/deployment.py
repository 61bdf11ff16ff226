"""A Deployment, as Vast's Deployment SDK configures one, mapped onto the objects Vast keeps.

The SDK's `Deployment` (``app.image(...)``, ``pip_install``, ``apt_get``, ``env``,
``run_script``, ``publish_port``, ``require(query)``, ``configure_autoscaling(...)``,
``ttl``) becomes three resources:

- a `Template` (``<name>-template``, named ``<name>`` on Vast): the image, its env and
  published ports, the storage as its disk, and one start-up script that installs the apt
  packages, then the pip packages, then runs the deployment's own script;
- a `ServerlessEndpoint` (``<name>-endpoint``, named ``<name>`` on Vast, which clients
  route by) with the autoscaling knobs;
- a `WorkerGroup` (``<name>-workers``) launching the template on the offers ``require``
  matches.

So a new image, package, env value, port or script is a new template content: the worker
group moves to its new hash and rolls its workers onto it (Vast's ``update workers``); a
knob changes the endpoint in place and no worker is touched.

``ttl`` is the SDK's "tear down after N seconds without clients": here the workers go (the
endpoint scales to zero after ``ttl`` seconds without load: ``cold_workers`` 0 and
``inactivity_timeout`` ttl), while the declared endpoint, template and group stay, costing
nothing, until the program drops them.
"""

from __future__ import annotations

import shlex
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, Field, model_validator

from pulumi_vast.api.templates import MAX_TEMPLATE_DISK_GB
from pulumi_vast.resources._autoscaling import (
    ColdMult,
    Load,
    QueueSeconds,
    TargetUtil,
    TimeoutSeconds,
    WorkerCount,
    inconsistent_knobs,
)
from pulumi_vast.resources._fields import SECRET, UPDATE, Input, ResourceArgs
from pulumi_vast.resources._problems import InvalidField, InvalidInputs
from pulumi_vast.resources.instance import EnvName, Image, OfferQuery, Port
from pulumi_vast.resources.serverless_endpoint import ServerlessEndpoint, ServerlessEndpointArgs
from pulumi_vast.resources.template import OptionValue, Template
from pulumi_vast.resources.worker_group import WorkerGroup

__all__ = ["AutoscalingArgs", "Deployment", "DeploymentArgs"]

DEFAULT_STORAGE_GB = 50.0
"""The Deployment SDK's default storage."""


def _package(text: str) -> str:
    if not text.strip() or any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(
            f"{text!r} is not a package: one word per package, e.g. 'transformers' or "
            "'torch==2.4.1' (list several as several items)"
        )
    if text.startswith("-"):
        raise ValueError(f"{text!r} is an option, not a package: list packages only")
    return text


Package = Annotated[str, AfterValidator(_package)]


class AutoscalingArgs(ResourceArgs):
    """The SDK's ``configure_autoscaling(...)``: the endpoint's knobs (unset: Vast's
    default; see `ServerlessEndpoint`)."""

    cold_workers: Annotated[
        Input[WorkerCount] | None,
        UPDATE,
        Field(description="Workers kept (idle or stopped) when there is no load."),
    ] = None
    max_workers: Annotated[
        Input[WorkerCount] | None, UPDATE, Field(description="The most workers.")
    ] = None
    min_load: Annotated[
        Input[Load] | None, UPDATE, Field(description="Load (perf units/s) always ready for.")
    ] = None
    min_cold_load: Annotated[
        Input[Load] | None, UPDATE, Field(description="Load ready for, counting cold workers.")
    ] = None
    target_util: Annotated[
        Input[TargetUtil] | None,
        UPDATE,
        Field(description="Fraction of the running workers' capacity to keep busy."),
    ] = None
    cold_mult: Annotated[
        Input[ColdMult] | None,
        UPDATE,
        Field(description="Cold capacity as a multiple of the hot capacity."),
    ] = None
    max_queue_time: Annotated[
        Input[QueueSeconds] | None,
        UPDATE,
        Field(description="Seconds a request may wait in a worker's queue."),
    ] = None
    target_queue_time: Annotated[
        Input[QueueSeconds] | None, UPDATE, Field(description="Seconds to clear the queue in.")
    ] = None
    inactivity_timeout: Annotated[
        Input[TimeoutSeconds] | None,
        UPDATE,
        Field(description="Seconds without load before scaling down."),
    ] = None

    @model_validator(mode="after")
    def _consistent(self) -> AutoscalingArgs:
        problem = inconsistent_knobs(
            self.cold_workers, self.max_workers, self.target_queue_time, self.max_queue_time
        )
        if problem is not None:
            raise problem
        return self

    def knobs(self) -> dict[str, Any]:
        return {name: value for name, value in self if value is not None}


class DeploymentArgs(ResourceArgs):
    """Inputs of a `Deployment`: the SDK's image configuration, autoscaling and ``ttl``."""

    image: Annotated[
        Input[Image],
        UPDATE,
        Field(
            description="Docker image, with its tag.",
            examples=["vllm/vllm-openai:v0.6.3"],
        ),
    ]
    storage_gb: Annotated[
        Input[Annotated[float, Field(gt=0, le=MAX_TEMPLATE_DISK_GB)]],
        UPDATE,
        Field(description="Disk per worker in GB.", examples=[50]),
    ] = DEFAULT_STORAGE_GB
    pip: Annotated[
        list[Package],
        UPDATE,
        Field(
            default_factory=list,
            description="pip packages installed at start-up.",
            examples=[["transformers"]],
        ),
    ]
    apt: Annotated[
        list[Package],
        UPDATE,
        Field(
            default_factory=list,
            description="apt packages installed at start-up.",
            examples=[["ffmpeg"]],
        ),
    ]
    env: Annotated[
        Input[dict[EnvName, Input[OptionValue]]] | None,
        UPDATE | SECRET,
        Field(description="Environment variables of the workers (secret in state)."),
    ] = None
    run: Annotated[
        str | None,
        UPDATE,
        Field(description="Shell script run at start-up, after the packages are installed."),
    ] = None
    ports: Annotated[
        list[Port],
        UPDATE,
        Field(default_factory=list, description="Ports each worker publishes.", examples=[[8000]]),
    ]
    require: Annotated[
        Input[OfferQuery],
        UPDATE,
        Field(
            description="The hardware, as an offer query (`Instance.query`'s language).",
            examples=["gpu_ram>=24 num_gpus=1"],
        ),
    ]
    autoscaling: Annotated[
        AutoscalingArgs | None,
        UPDATE,
        Field(
            description="The endpoint's knobs (see `ServerlessEndpoint`); a change rolls nothing."
        ),
    ] = None
    test_workers: Annotated[
        Input[WorkerCount],
        UPDATE,
        Field(description="Workers launched at first to measure them."),
    ] = 1
    ttl: Annotated[
        Input[TimeoutSeconds] | None,
        UPDATE,
        Field(
            description="Seconds without load after which no worker is left (cold_workers 0, "
            "inactivity_timeout ttl).",
            examples=[3600],
        ),
    ] = None

    @model_validator(mode="after")
    def _ttl(self) -> DeploymentArgs:
        scaling = self.autoscaling
        if self.ttl is None or scaling is None:
            return self
        if scaling.inactivity_timeout is not None:
            raise InvalidField(
                "ttl",
                "and autoscaling.inactivity_timeout both set when workers go: ttl sets it "
                "(to ttl, with cold_workers 0); keep one",
            )
        if scaling.cold_workers not in (None, 0):
            raise InvalidField(
                "ttl",
                f"tears the workers down, yet autoscaling.cold_workers keeps "
                f"{scaling.cold_workers} of them: drop one",
            )
        return self

    def knobs(self) -> dict[str, Any]:
        knobs = self.autoscaling.knobs() if self.autoscaling is not None else {}
        if self.ttl is not None:
            knobs.update(cold_workers=0, inactivity_timeout=self.ttl)
        return knobs


def onstart_script(apt: list[str], pip: list[str], run: str | None) -> str | None:
    """The workers' start-up script: apt packages, pip packages, then the user's script."""
    lines = []
    if apt:
        packages = " ".join(shlex.quote(p) for p in apt)
        lines.append(f"apt-get update && apt-get install -y --no-install-recommends {packages}")
    if pip:
        lines.append("pip install " + " ".join(shlex.quote(p) for p in pip))
    if run:
        lines.append(run)
    return "set -e\n" + "\n".join(lines) + "\n" if lines else None


class Deployment(pulumi.ComponentResource):
    """A Deployment as Vast's Deployment SDK configures one (image, packages, env, start-up
    script, ports, ``require``, autoscaling, ``ttl``): a `Template`, a `ServerlessEndpoint`
    and a `WorkerGroup`. A new image or package rolls the workers; a knob changes in place.

    A change to ``image``, ``storage_gb``, ``pip``, ``apt``, ``env``, ``run`` or ``ports``
    is new template content: the worker group moves to it and rolls its workers onto it. A
    change to ``autoscaling``, ``ttl``, ``require`` or ``test_workers`` changes the endpoint
    or the group in place, and no worker restarts. Nothing is ever replaced. Its outputs:
    ``endpoint_id``, ``endpoint_name``, ``route_url``, ``template_hash``, ``worker_count``
    and ``workers`` (each ``{"id", "status", "dph_total"}``).

    ## Example Usage

    ```python
    import pulumi
    import pulumi_vast as vast

    app = vast.Deployment(
        "qwen",
        image="vllm/vllm-openai:v0.6.3",
        pip=["transformers"],
        env={"MODEL_NAME": "Qwen/Qwen3-0.6B"},
        ports=[8000],
        require="gpu_ram>=24 num_gpus=1",
        autoscaling=vast.AutoscalingArgs(cold_workers=1, max_workers=4),
    )
    pulumi.export("route", app.route_url)
    ```
    """

    config_key = "deployments"
    args_class = DeploymentArgs
    config_example = """
pulumi-vast:deployments:
  - name: qwen
    image: vllm/vllm-openai:v0.6.3
    pip: [transformers]
    env: {MODEL_NAME: Qwen/Qwen3-0.6B}
    ports: [8000]
    require: gpu_ram>=24 num_gpus=1
    autoscaling: {cold_workers: 1, max_workers: 4}
"""

    def __init__(
        self,
        resource_name: str,
        args: DeploymentArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        owner = f'Deployment("{resource_name}")'
        if args is None:
            try:
                args = DeploymentArgs(**kwargs)
            except InvalidInputs as exc:
                raise exc.under(owner) from None
        elif kwargs or not isinstance(args, DeploymentArgs):
            raise InvalidInputs(owner, [("", "pass either DeploymentArgs(...) or keywords")])
        super().__init__("vast:index:Deployment", resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.template = Template(
            f"{resource_name}-template",
            name=resource_name,
            image=args.image,
            env=args.env,
            ports=list(args.ports) or None,
            onstart=onstart_script(args.apt, args.pip, args.run),
            disk_gb=args.storage_gb,
            opts=child,
        )
        self.endpoint = ServerlessEndpoint(
            f"{resource_name}-endpoint",
            ServerlessEndpointArgs(name=resource_name, **args.knobs()),
            opts=child,
        )
        self.worker_group = WorkerGroup(
            f"{resource_name}-workers",
            endpoint=self.endpoint,
            template=self.template,
            query=args.require,
            test_workers=args.test_workers,
            opts=child,
        )
        self.endpoint_id: pulumi.Output[int] = self.endpoint.endpoint_id
        self.endpoint_name: pulumi.Output[str] = self.endpoint.name  # type: ignore[attr-defined]
        self.route_url: pulumi.Output[str] = self.endpoint.route_url
        self.template_hash: pulumi.Output[str] = self.template.hash_id
        self.worker_count: pulumi.Output[int] = self.worker_group.worker_count
        self.workers: pulumi.Output[list[dict[str, Any]]] = self.worker_group.workers
        self.register_outputs(
            {
                "endpoint_id": self.endpoint_id,
                "route_url": self.route_url,
                "template_hash": self.template_hash,
                "worker_count": self.worker_count,
            }
        )
