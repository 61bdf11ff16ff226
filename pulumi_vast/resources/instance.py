"""A GPU instance rented from the Vast marketplace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field, PositiveFloat, ValidationError, field_validator, model_validator

from pulumi_vast import remote
from pulumi_vast.api import CreateInstanceRequest, Query, QueryError, parse_order, parse_query
from pulumi_vast.api import Instance as LiveInstance
from pulumi_vast.api.filters import matches
from pulumi_vast.market import describe_offer, estimate
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._fields import (
    COMPUTED,
    REPLACE,
    SECRET,
    UPDATE,
    FieldTable,
    Input,
    InvalidField,
    ResourceArgs,
    known,
)
from pulumi_vast.resources._offers import OfferSearch
from pulumi_vast.resources._provider import Failure, VastProvider
from pulumi_vast.resources._rental import (
    SEARCH_MAX_AGE,
    Rental,
    instance_outputs,
    offer_snapshot,
    plan_request,
)
from pulumi_vast.resources._resource import VastResource
from pulumi_vast.resources._ssh_keys import PublicKey
from pulumi_vast.resources._waiting import (
    DEFAULT_READY_TIMEOUT,
    InstanceFailed,
    NotRunningInTime,
    Readiness,
    wait_until_ready,
)
from pulumi_vast.resources._watch import InstanceWatcher

__all__ = ["Instance", "InstanceArgs", "InstanceProvider", "ReadyArgs"]

REFRESH_MAX_AGE = 5.0
"""Seconds a listing may be reused by the reads of one `pulumi refresh`."""


class ReadyArgs(ResourceArgs):
    """What "ready" means for an instance: `pulumi up` returns only once it holds."""

    ssh: Annotated[
        Input[bool], UPDATE, Field(description="Wait until SSH accepts the key and runs a command.")
    ] = False
    probe: Annotated[
        Input[str] | None,
        UPDATE,
        Field(description="A command run over SSH that must exit 0 (implies `ssh`)."),
    ] = None
    timeout: Annotated[
        Input[PositiveFloat],
        UPDATE,
        Field(description="Seconds from rent to ready; past it the instance is destroyed."),
    ] = DEFAULT_READY_TIMEOUT


class InstanceArgs(ResourceArgs):
    """Inputs of an `Instance`. Either `query` or `offer_id` picks the machine."""

    query: Annotated[
        Input[str] | Query | None,
        REPLACE,
        Field(
            description="Offer query in the `vastai search offers` syntax, e.g. "
            "`gpu_ram>=24 reliability>0.95 dph<=0.5`, or a `Query` built with `F`. Evaluated "
            "at create; a later change replaces the instance only if it no longer satisfies "
            "the new query."
        ),
    ] = None
    offer_id: Annotated[
        Input[int] | None,
        REPLACE | COMPUTED,
        Field(
            description="Rent exactly this offer instead of a query (an output: the offer rented)."
        ),
    ] = None
    order: Annotated[
        Input[str],
        UPDATE,
        Field(description="How matching offers rank, e.g. `dph+` (cheapest) or `dlperf-`."),
    ] = "dph+"
    image: Annotated[Input[str], REPLACE, Field(description="Docker image to run.")]
    disk_gb: Annotated[
        Input[PositiveFloat],
        REPLACE,
        Field(description="Local disk in GB; fixed at create (it can grow by replacement only)."),
    ] = 10.0
    env: Annotated[
        Input[dict[str, Input[str]]] | None,
        REPLACE | SECRET,
        Field(description="Environment variables for the container (kept secret in state)."),
    ] = None
    ports: Annotated[
        Input[list[Input[str | int]]] | None,
        REPLACE,
        Field(description="Container ports to expose, e.g. `8080` or `8080/udp`."),
    ] = None
    onstart: Annotated[
        Input[str] | None, REPLACE, Field(description="Shell script run when the instance starts.")
    ] = None
    runtype: Annotated[
        Input[Literal["ssh", "jupyter", "args"]],
        REPLACE,
        Field(description="Launch mode: `ssh`, `jupyter` (both also give SSH) or `args`."),
    ] = "ssh"
    direct: Annotated[
        Input[bool],
        REPLACE,
        Field(description="Direct connections to the machine instead of Vast's proxy."),
    ] = False
    label: Annotated[
        Input[str] | None,
        UPDATE,
        Field(
            description="Label shown in the Vast console; defaults to `project/stack/name`, "
            "so an instance can be traced back to its stack."
        ),
    ] = None
    bid_price: Annotated[
        Input[PositiveFloat] | None,
        REPLACE,
        Field(description="Rent as interruptible at this bid in $/h per machine."),
    ] = None
    ssh_keys: Annotated[
        Input[list[Input[str]]],
        UPDATE,
        Field(
            default_factory=list,
            description="Public keys attached to this instance besides the account's keys.",
        ),
    ]
    running: Annotated[
        Input[bool], UPDATE, Field(description="Whether the instance runs (false: stopped).")
    ] = True
    ready: Annotated[
        Input[ReadyArgs] | None,
        UPDATE,
        Field(description="What must hold before `pulumi up` calls the instance created."),
    ] = None

    @field_validator("query", mode="before")
    @classmethod
    def _query_text(cls, value: Any) -> Any:
        # Kept as text: that is what the engine stores and the diff compares.
        return value.render() if isinstance(value, Query) else value

    @model_validator(mode="after")
    def _consistent(self) -> InstanceArgs:
        query, offer_id = self.query, self.offer_id
        if (query is None) == (offer_id is None):
            raise InvalidField(
                "query",
                "set exactly one of `query` (e.g. 'gpu_ram>=24 dph<=0.5') or `offer_id`",
            )
        if isinstance(query, str):
            try:
                parse_query(query)
            except QueryError as exc:
                raise InvalidField("query", str(exc)) from None
        if isinstance(self.order, str):
            try:
                parse_order(self.order)
            except QueryError as exc:
                raise InvalidField("order", str(exc)) from None
        self._valid_request()
        if isinstance(self.ssh_keys, list):
            for index, key in enumerate(self.ssh_keys):
                if isinstance(key, str):
                    try:
                        PublicKey.parse(key)
                    except ValueError as exc:
                        raise InvalidField(f"ssh_keys.{index}", str(exc)) from None
        ready = self.ready
        if isinstance(ready, ReadyArgs) and self.runtype == "args" and needs_ssh(ready):
            raise InvalidField(
                "ready.ssh", "runtype 'args' starts no SSH server; use runtype 'ssh' or drop it"
            )
        return self

    def _valid_request(self) -> None:
        """What Vast's create takes, checked by the API layer's own request model."""
        ports = self.ports
        if isinstance(ports, list):  # 8080 from YAML or Python is as good as "8080"
            ports = [port if isinstance(port, pulumi.Output) else str(port) for port in ports]
        fields = {
            "image": self.image,
            "env": self.env,
            "ports": ports,
            "onstart": self.onstart,
        }
        settled = {k: v for k, v in fields.items() if v is not None and not _unresolved(v)}
        settled.setdefault("image", "placeholder")
        try:
            CreateInstanceRequest.model_validate(settled)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in error["loc"]) or "image"
            raise InvalidField(where, str(error["msg"]).removeprefix("Value error, ")) from None


def _unresolved(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, dict):
        return any(_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(_unresolved(v) for v in value)
    return False


def needs_ssh(ready: ReadyArgs | None) -> bool:
    return ready is not None and (bool(ready.ssh) or ready.probe is not None)


class InstanceProvider(VastProvider):
    table = FieldTable(InstanceArgs)
    # Two live copies of a GPU instance bill twice; Vast offers are single-use anyway.
    delete_before_replace = True

    def validate(self, args: Any, previous: Any | None) -> list[Failure]:
        failures: list[Failure] = []
        if needs_ssh(args.ready) and self.settings.ssh_key is None:
            failures.append(
                (
                    "ready.ssh",
                    "checking SSH needs the private key of one of the account's keys: "
                    "`pulumi config set vast:sshPrivateKeyFile ~/.ssh/id_ed25519` (or the key "
                    "text as a secret: `pulumi config set --secret vast:sshPrivateKey < KEY`)",
                )
            )
        if previous is not None:
            old_disk, new_disk = float(previous.disk_gb), float(args.disk_gb)
            if new_disk < old_disk:
                failures.append(
                    (
                        "disk_gb",
                        f"cannot shrink from {old_disk:g} to {new_disk:g} GB: a Vast disk is "
                        f"fixed at create. Keep disk_gb at {old_disk:g} or more, or destroy "
                        "this instance first to start over on a smaller disk",
                    )
                )
        elif not failures:
            failures += self._preview_rent(args)
        return failures

    def _preview_rent(self, args: Any) -> list[Failure]:
        """Before renting: say what will be rented and what it costs, or why nothing can be.

        Instances of one stack that ask alike get different offers at create (`OfferBook`
        claims); the preview hands them out the same way, so the costs it shows add up.
        """
        search = OfferSearch.from_args(args)
        offers = self.connection.offers.ranked(search, max_age=SEARCH_MAX_AGE)
        field = "offer_id" if search.offer_id else "query"
        wanted = f"offer {search.offer_id}" if search.offer_id else repr(known(args.query))
        if not offers:
            room = "" if search.offer_id else f" with {search.disk_gb:g} GB of disk"
            return [
                (
                    field,
                    f"no offer on the market matches {wanted}{room} right now; loosen a "
                    "condition (price cap, reliability, GPU RAM, disk_gb) or try again later",
                )
            ]
        pick = self.connection.offers.preview_pick(offers)
        if pick is None:
            return [
                (
                    field,
                    f"the {len(offers)} offer(s) on the market matching {wanted} all go to "
                    "other new instances of this stack; loosen a condition or declare fewer "
                    "instances",
                )
            ]
        if pick.disk_space is not None and pick.disk_space < search.disk_gb:
            return [
                (
                    "disk_gb",
                    f"offer {pick.id} has {pick.disk_space:g} GB of disk and disk_gb asks for "
                    f"{search.disk_gb:g}; ask for less, or rent another offer",
                )
            ]
        chosen = pick.model_dump()
        cost = estimate(chosen, disk_gb=search.disk_gb)
        progress.note(f"will rent {describe_offer(chosen)}: {cost.summary()}")
        return []

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        if result.replaces:
            # The old instance goes first (delete_before_replace): make sure a new one can be
            # rented before the plan says so, or the stack would be left without either.
            args = self.table.check(news).args
            failures = self._preview_rent(args) if args is not None else []
            if failures:
                field, reason = failures[0]
                raise ValueError(
                    f"{field}: replacing instance {id_} needs a new one, but {reason}. "
                    "The instance is kept as it is"
                )
        return result

    def replaces_on_change(
        self, field: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> bool:
        offer = olds.get("offer")
        if field == "query" and isinstance(news.get("query"), str) and offer:
            # A healthy instance stays while it still satisfies the (new) query, judged on
            # the fields its offer snapshot has (an imported one lacks a few).
            wanted = parse_query(news["query"]).filters
            return not matches({k: v for k, v in wanted.items() if k in offer}, offer)
        return super().replaces_on_change(field, olds, news)

    @property
    def watcher(self) -> InstanceWatcher:
        return self.connection.watcher

    def readiness(self, args: Any) -> Readiness:
        return Readiness.of(args.ready, self.settings.ssh_key)

    def create(self, props: dict[str, Any]) -> CreateResult:
        args = self.table.parse(props)
        rental = Rental(
            connection=self.connection,
            request=plan_request(args),
            search=OfferSearch.from_args(args),
            readiness=self.readiness(args),
            ssh_keys=tuple(known(args.ssh_keys)),
        )
        outcome = rental.run()
        outs = self._describe(outcome.instance, outcome.offer, outcome.note)
        return CreateResult(str(outcome.instance.id), self._outputs(props, outs))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        instance_id = int(id_)
        live = self.watcher.snapshot(max_age=REFRESH_MAX_AGE).value.get(instance_id)
        if live is None:
            # A listing can lag; only Vast's answer for this one instance drops it from state.
            live = self.client.instances.get(instance_id)
        if live is None:
            return ReadResult(id_="", outs={})
        outs = dict(props)
        outs.update(self._describe(live, props.get("offer") or {}, props.get("selection", "")))
        outs["label"] = live.label
        outs["running"] = live.intended_status != "stopped"
        if "instance_id" not in props:
            # An import: nothing of ours vouches for the program's image and disk, so take
            # what Vast reports; the instance's own GPU, price and host fields stand in for
            # the offer it was rented from, to judge the program's query by.
            outs.update(
                {
                    name: value
                    for name, value in (("image", live.image_uuid), ("disk_gb", live.disk_space))
                    if value is not None
                }
            )
            outs["offer"] = offer_snapshot(live)
        inputs = {name: outs[name] for name in self.table.rows if name in outs}
        if inputs.get("query") is not None:
            inputs.pop("offer_id", None)  # the offer rented for the query, not an input
        return ReadResult(id_=id_, outs=self._outputs(outs, {}), inputs=inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args = self.table.parse(news)
        instance_id = int(id_)
        instances = self.client.instances
        if olds.get("label") != args.label:
            instances.set_label(instance_id, known(args.label) or "")
        self._sync_keys(instance_id, olds.get("ssh_keys") or [], known(args.ssh_keys))
        was_running, running = bool(olds.get("running", True)), bool(known(args.running))
        if was_running != running:
            instances.set_state(instance_id, "running" if running else "stopped")
            self.watcher.forget()
        live = self._started(instance_id, args) if running and not was_running else None
        live = live or instances.get(instance_id)
        if live is None:
            raise RuntimeError(f"instance {instance_id} disappeared during the update")
        outs = self._describe(live, olds.get("offer") or {}, olds.get("selection", ""))
        return UpdateResult(self._outputs(news, outs))

    def _sync_keys(self, instance_id: int, before: list[str], after: list[str]) -> None:
        """Attach added keys; detach removed ones, so access given can be taken back."""
        instances = self.client.instances
        for key in after:
            if key not in before:
                instances.attach_ssh_key(instance_id, key)
        removed = {PublicKey.parse(key).blob for key in before if key not in after}
        if removed:
            for attached in instances.ssh_keys(instance_id):
                if PublicKey.parse(attached.public_key).blob in removed:
                    instances.detach_ssh_key(instance_id, attached.id)

    def _started(self, instance_id: int, args: Any) -> LiveInstance:
        """Wait for a stopped instance to be ready again. It may never be, if its GPU was
        rented meanwhile: it would wait in "scheduling" and start billing whenever the GPU
        frees up, so it is stopped again before the error."""
        try:
            return wait_until_ready(self.watcher, instance_id, self.readiness(args))
        except (InstanceFailed, NotRunningInTime, remote.ReadinessTimeout) as exc:
            self.client.instances.set_state(instance_id, "stopped")
            raise RuntimeError(
                f"instance {instance_id} was asked to start, but: {exc}. It was stopped again "
                "(it still bills storage). Its GPU may have been rented by someone else while "
                "it was stopped: try again later, or replace it (pulumi up --replace URN)"
            ) from None

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client.instances.destroy(int(id_))
        self.watcher.forget()
        if props.get("offer_id"):
            # Its offer is back on the market; a replacement may rent it again.
            self.connection.offers.release(int(props["offer_id"]))

    def _describe(
        self, live: LiveInstance, offer: Mapping[str, Any], selection: str
    ) -> dict[str, Any]:
        return instance_outputs(
            live,
            offer=offer,
            selection=selection,
            private_key_file=self.settings.ssh_private_key_file,
        )

    def _outputs(self, inputs: Mapping[str, Any], outs: Mapping[str, Any]) -> dict[str, Any]:
        return {**inputs, **outs}


class Instance(VastResource, module="vast", name="Instance"):
    """A GPU instance rented from the Vast marketplace, ready when `pulumi up` returns.

    ## Example Usage

    ```python
    import pulumi_vast as vast

    gpu = vast.Instance(
        "trainer",
        query="gpu_ram>=24 num_gpus=1 reliability>0.95 dph<=0.5",
        image="pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel",
        disk_gb=50,
        ready=vast.ReadyArgs(ssh=True, probe="nvidia-smi"),
    )
    pulumi.export("ssh", gpu.ssh_command)
    ```

    ## Import

    Declare it with its inputs and ``opts=pulumi.ResourceOptions(import_="1234567")``, run
    ``pulumi up`` once, then drop the option.
    """

    provider_class = InstanceProvider
    args_class = InstanceArgs

    def __init__(
        self,
        resource_name: str,
        args: InstanceArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        if args is None:
            args = InstanceArgs(**kwargs)
            kwargs = {}
        if args.label is None:
            # Labelled with its stack and name, a leaked instance can be traced back and swept.
            default = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
            args = args.model_copy(update={"label": default})
        super().__init__(resource_name, args, opts, **kwargs)

    instance_id: pulumi.Output[int]
    """Vast's instance (contract) id."""
    offer_id: pulumi.Output[int]
    """The offer rented."""
    gpu_name: pulumi.Output[str]
    """GPU model, e.g. `RTX 4090`."""
    num_gpus: pulumi.Output[int]
    """Number of GPUs."""
    gpu_ram_gb: pulumi.Output[float]
    """VRAM per GPU in GB."""
    dph_total: pulumi.Output[float]
    """Price in $/hour, disk included."""
    machine_id: pulumi.Output[int]
    """Host machine id."""
    host_id: pulumi.Output[int]
    """Host (provider) id."""
    public_ip: pulumi.Output[str]
    """The machine's public IP address."""
    ssh_host: pulumi.Output[str]
    """SSH gateway host."""
    ssh_port: pulumi.Output[int]
    """SSH gateway port."""
    ssh_command: pulumi.Output[str]
    """A ready-to-paste `ssh` command."""
    status: pulumi.Output[str]
    """Vast's `actual_status`: loading, running, stopped, exited, offline..."""
    selection: pulumi.Output[str]
    """How the offer was chosen (and any offers that were taken meanwhile)."""
    offer: pulumi.Output[dict[str, Any]]
    """The offer as it was when rented, against which query changes are judged."""
    label: pulumi.Output[str]
    """The label in the Vast console."""
