"""A GPU instance rented from the Vast marketplace."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

import pulumi
from pulumi.dynamic import DiffResult
from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, model_validator

from pulumi_vast import remote
from pulumi_vast._operation import current_urn
from pulumi_vast._partial import CreatedButFailed
from pulumi_vast.api import (
    ENV_NAME,
    GPU_OFFERS,
    MAX_BID_PRICE,
    MAX_LABEL_LENGTH,
    MAX_ONSTART_LENGTH,
    MIN_BID_PRICE,
    Condition,
    CreateInstanceRequest,
    F,
    Offer,
    Query,
    QueryError,
    parse_order,
    parse_query,
    port_mapping,
)
from pulumi_vast.api import Instance as LiveInstance
from pulumi_vast.api.filters import matches
from pulumi_vast.api.instances import InstancesClient
from pulumi_vast.market import describe_offer, estimate
from pulumi_vast.market.task import Requirements, TaskEstimate
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources import _ttl as ttl
from pulumi_vast.resources._budget import Plan, budget_failures
from pulumi_vast.resources._errors import RentalFailed
from pulumi_vast.resources._fields import (
    COMPUTED,
    REPLACE,
    SECRET,
    STATE,
    UPDATE,
    FieldTable,
    Input,
    ResourceArgs,
    known,
    resources_as_ids,
    whole_float_as_int,
)
from pulumi_vast.resources._lost import FINE, Verdict, judge
from pulumi_vast.resources._offers import OfferSearch
from pulumi_vast.resources._overlay import NetworkName, is_network_name, overlay_cluster
from pulumi_vast.resources._owner import OWNER_INPUT, Owner
from pulumi_vast.resources._policy import Policy
from pulumi_vast.resources._problems import InvalidField, describe
from pulumi_vast.resources._provider import Failure, VastProvider
from pulumi_vast.resources._rental import (
    SEARCH_MAX_AGE,
    Rental,
    expected_outputs,
    instance_outputs,
    offer_snapshot,
    plan_request,
)
from pulumi_vast.resources._resource import ConfigRef, VastResource, default_label
from pulumi_vast.resources._saving import save_before_destroy, save_problems
from pulumi_vast.resources._ssh_keys import PublicKey, PublicKeyLine
from pulumi_vast.resources._task import Task
from pulumi_vast.resources._teardown import release
from pulumi_vast.resources._volumes import VolumeMount
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
QUERY_EXAMPLE = "gpu_ram>=24 num_gpus=1 dph<=0.5"
MAX_IMAGE_LENGTH = 1024
"""The longest image reference Vast keeps (the simulator's; openapi gives none)."""
DEFAULT_DISK_GB = 10.0
"""An instance's disk when neither it nor its template says."""

# ------------------------------------------------------------------ what each input takes


def _query_text(value: Any) -> str:
    """A query as the text the engine stores: one with at least one condition (an empty
    query would rent the cheapest GPU of any kind)."""
    if isinstance(value, Query):
        if value.vocabulary is not GPU_OFFERS:
            raise ValueError(
                f"is a query of {value.vocabulary.name}; this one searches GPU offers: build "
                "it with F (Query.where(F.gpu_ram >= 24))"
            )
        query, text = value, value.render()
    elif isinstance(value, str):
        text = value
        if not text.strip():
            raise ValueError(
                f"is empty, which would rent any GPU at all; write conditions, e.g. "
                f"{QUERY_EXAMPLE!r}"
            )
        try:
            query = parse_query(text)
        except QueryError as exc:
            raise ValueError(str(exc)) from None
    else:
        raise ValueError(
            f"expected an offer query, e.g. {QUERY_EXAMPLE!r} (text), or a Query built with "
            f"F (Query.where(F.gpu_ram >= 24)), got {describe(value)}"
        )
    if not any(isinstance(c, Condition) for c in query.conditions):
        raise ValueError(
            f"{text!r} has no conditions, so it matches every GPU; add some, e.g. {QUERY_EXAMPLE!r}"
        )
    return text


def _order(text: str) -> str:
    try:
        ranked = parse_order(text)
    except QueryError as exc:
        raise ValueError(str(exc)) from None
    if not ranked:
        raise ValueError(
            "is empty, which ranks nothing; use 'dph+' (cheapest first) or 'dlperf-' "
            "(fastest first)"
        )
    return text


def _image(text: str) -> str:
    if not text.strip() or any(c.isspace() or _is_control(c) for c in text):
        raise ValueError(
            f"{text!r} is not a Docker image reference (one word, no spaces), e.g. "
            "'pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel'"
        )
    return text


def _env_name(name: str) -> str:
    if not ENV_NAME.match(name):
        raise ValueError(
            "is not a variable name: use letters, digits and _, not starting with a digit "
            "(ports go through `ports`; Docker flags are not accepted here)"
        )
    return name


def _port(value: Any) -> int | str:
    value = whole_float_as_int(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(
            f"{describe(value)} is not a port: use a number from 1 to 65535, or text such "
            "as '8080:80' or '53/udp'"
        )
    port_mapping(str(value))
    return value


def _one_line(text: str) -> str:
    for position, char in enumerate(text):
        if _is_control(char):
            raise ValueError(
                f"has a control character ({char!r}) at position {position}; a label is one "
                "line of printable text: remove it"
            )
    return text


def _command(text: str) -> str:
    if not text.strip():
        raise ValueError(
            "is empty; give a command that must exit 0, e.g. 'nvidia-smi', or drop probe to "
            "check SSH only"
        )
    return text


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def _template_hash_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(
            f"expected a Template or its hash_id (text, e.g. "
            f"'4e17788f74f075dd9aab7d0d4427968f'), got {describe(value)}; a template_id "
            "does not name a template's content"
        )
    return value


def _template_hash(text: str) -> str:
    if not text.strip() or any(c.isspace() for c in text):
        raise ValueError(
            f"{text!r} is not a template's hash id (one word, e.g. "
            "'4e17788f74f075dd9aab7d0d4427968f'); pass a Template, or its hash_id"
        )
    return text


OfferQuery = Annotated[str | Query, PlainValidator(_query_text)]
TemplateHash = Annotated[
    str,
    BeforeValidator(_template_hash_text),
    Field(max_length=256),
    AfterValidator(_template_hash),
]
Order = Annotated[str, AfterValidator(_order)]
Image = Annotated[str, Field(max_length=MAX_IMAGE_LENGTH), AfterValidator(_image)]
EnvName = Annotated[str, AfterValidator(_env_name)]
Port = Annotated[str | int, PlainValidator(_port)]
Label = Annotated[str, Field(max_length=MAX_LABEL_LENGTH), AfterValidator(_one_line)]
Command = Annotated[str, AfterValidator(_command)]
Positive = Annotated[float, Field(gt=0)]


# ------------------------------------------------------------------ the inputs


class ReadyArgs(ResourceArgs):
    """What "ready" means for an instance: `pulumi up` returns only once it holds."""

    ssh: Annotated[
        Input[bool], STATE, Field(description="Wait until SSH accepts the key and runs a command.")
    ] = False
    probe: Annotated[
        Input[Command] | None,
        STATE,
        Field(
            description="A command run over SSH that must exit 0 (implies `ssh`).",
            examples=["nvidia-smi"],
        ),
    ] = None
    timeout: Annotated[
        Input[Positive],
        STATE,
        Field(
            description="Seconds from rent to ready; past it the instance is destroyed.",
            examples=[600],
        ),
    ] = DEFAULT_READY_TIMEOUT


class InstanceArgs(ResourceArgs):
    """Inputs of an `Instance`. Either `query` or `offer_id` picks the machine."""

    query: Annotated[
        Input[OfferQuery] | None,
        REPLACE,
        Field(
            description="Offer query in the `vastai search offers` syntax, e.g. "
            "`gpu_ram>=24 reliability>0.95 dph<=0.5`, or a `Query` built with `F`. Evaluated "
            "at create; a later change replaces the instance only if it no longer satisfies "
            "the new query.",
            examples=[QUERY_EXAMPLE],
        ),
    ] = None
    offer_id: Annotated[
        Input[Annotated[int, Field(ge=1)]] | None,
        REPLACE | COMPUTED,
        Field(
            description="Rent exactly this offer instead of a query (an output: the offer rented).",
            examples=[12345678],
        ),
    ] = None
    order: Annotated[
        Input[Order],
        STATE,
        Field(
            description="How matching offers rank, e.g. `dph+` (cheapest) or `dlperf-`.",
            examples=["dph+"],
        ),
    ] = "dph+"
    template: Annotated[
        Input[TemplateHash] | None,
        REPLACE,
        Field(
            description="Create it from a template: a `Template` (its `hash_id`) or a hash "
            "id. The instance's own inputs override the template's (Vast's precedence).",
            examples=["4e17788f74f075dd9aab7d0d4427968f"],
        ),
    ] = None
    image: Annotated[
        Input[Image] | None,
        REPLACE,
        Field(
            description="Docker image to run (optional with a template, which has one).",
            examples=["pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel"],
        ),
    ] = None
    disk_gb: Annotated[
        Input[Positive] | None,
        REPLACE,
        Field(
            description="Local disk in GB; fixed at create (it can grow by replacement only). "
            f"Default: the template's, else {DEFAULT_DISK_GB:g}.",
            examples=[50],
        ),
    ] = None
    env: Annotated[
        Input[dict[EnvName, Input[str]]] | None,
        REPLACE | SECRET,
        Field(
            description="Environment variables for the container (kept secret in state).",
            examples=[{"HF_HOME": "/workspace/hf"}],
        ),
    ] = None
    ports: Annotated[
        Input[list[Input[Port]]] | None,
        REPLACE,
        Field(
            description="Container ports to expose, e.g. `8080` or `8080/udp`.",
            examples=[[8080, "53/udp"]],
        ),
    ] = None
    onstart: Annotated[
        Input[Annotated[str, Field(max_length=MAX_ONSTART_LENGTH)]] | None,
        REPLACE,
        Field(
            description="Shell script run when the instance starts.",
            examples=["pip install -r requirements.txt"],
        ),
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
        Input[Label] | None,
        UPDATE,
        Field(
            description="Label shown in the Vast console; defaults to `project/stack/name`, "
            "so an instance can be traced back to its stack.",
            examples=["team/experiment-3"],
        ),
    ] = None
    bid_price: Annotated[
        Input[Annotated[float, Field(ge=MIN_BID_PRICE, le=MAX_BID_PRICE)]] | None,
        REPLACE,
        Field(
            description="Rent as interruptible at this bid in $/h per machine.",
            examples=[0.25],
        ),
    ] = None
    ssh_keys: Annotated[
        Input[list[Input[PublicKeyLine]]],
        UPDATE,
        Field(
            default_factory=list,
            description="Public keys attached to this instance besides the account's keys.",
            examples=[["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... you@host"]],
        ),
    ]
    running: Annotated[
        Input[bool], UPDATE, Field(description="Whether the instance runs (false: stopped).")
    ] = True
    volumes: Annotated[
        Input[Annotated[list[Input[VolumeMount]], Field(max_length=1)]] | None,
        REPLACE,
        Field(
            description="One volume to mount (Vast mounts one per instance, at create): "
            '`[VolumeMount(volume=vol, path="/data")]`. The instance lands on the volume\'s '
            "machine (a `Volume`) or cluster (a `NetworkVolume`).",
        ),
    ] = None
    ready: Annotated[
        Input[ReadyArgs] | None,
        STATE,
        Field(description="What must hold before `pulumi up` calls the instance created."),
    ] = None
    network: Annotated[
        Input[NetworkName] | None,
        REPLACE,
        Field(
            description="An overlay network to join at create: an `OverlayNetwork` or its "
            "name. The instance lands on the overlay's physical cluster and sees the overlay "
            "as its eth0; Vast destroys it when the overlay is deleted.",
            examples=["trainers"],
        ),
    ] = None
    task: Annotated[
        Input[Task] | None,
        REPLACE,
        Field(
            description="Choose the offer for a job: the VRAM, disk and CUDA it needs, "
            "searched across GPU tiers and ranked by estimated total cost (with `query`, "
            "its conditions apply too). A change replaces the instance only if it no "
            "longer meets the task's needs.",
        ),
    ] = None
    policy: Annotated[
        Input[Policy] | None,
        STATE,
        Field(
            description="Money and data policy of this instance (TTL, budget, save, "
            "on_destroy, on_lost); its fields win over the stack's `vast:policy`, field by "
            "field.",
        ),
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _template_resource(cls, data: Any) -> Any:
        # `template=tmpl` with a Template resource: the hash of its content.
        data = resources_as_ids(data, {"template": "hash_id"})
        network = data.get("network") if isinstance(data, Mapping) else None
        if isinstance(network, pulumi.Resource) and hasattr(network, "overlay_id"):
            # Its name, known only once the overlay is: a replacement of the overlay (which
            # destroys its instances on Vast) then replaces the instance too, after it.
            named = pulumi.Output.all(network.name, network.overlay_id)  # type: ignore[attr-defined]
            data = {**data, "network": named.apply(lambda values: values[0])}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> InstanceArgs:
        if self.image is None and self.template is None:
            raise InvalidField(
                "image",
                "is required, unless `template` names a template that has one: give a Docker "
                "image such as 'pytorch/pytorch', or a template",
            )
        if self.task is not None and self.offer_id is not None:
            raise InvalidField(
                "task", "picks the offer itself: drop `offer_id`, or the task to rent that offer"
            )
        if self.task is None and (self.query is None) == (self.offer_id is None):
            raise InvalidField(
                "query",
                f"set exactly one of `query` (e.g. {QUERY_EXAMPLE!r}), `offer_id` or `task`",
            )
        ready = self.ready
        if isinstance(ready, ReadyArgs) and self.runtype == "args" and needs_ssh(ready):
            raise InvalidField(
                "ready.ssh", "runtype 'args' starts no SSH server; use runtype 'ssh' or drop it"
            )
        return self


_HASH_ID = re.compile(r"^[0-9a-f]{32}\Z")


def _is_key_line(value: Any) -> bool:
    try:
        PublicKey.parse(value)
    except (ValueError, AttributeError):
        return False
    return True


def needs_ssh(ready: ReadyArgs | None) -> bool:
    """Whether readiness logs in over SSH (an unresolved `ssh` Output counts as no)."""
    return ready is not None and (ready.ssh is True or ready.probe is not None)


class InstanceProvider(VastProvider):
    table = FieldTable(InstanceArgs)
    kind = "instance"
    api_fields = MappingProxyType(
        {
            "image": "image",
            "disk": "disk_gb",
            "env": "env",
            "onstart": "onstart",
            "label": "label",
            "price": "bid_price",
            "runtype": "runtype",
            "ssh_key": "ssh_keys",
        }
    )
    changed_in_place = frozenset(
        {"status", "ssh_command", "ssh_host", "ssh_port", "public_ip", "port_map"}
    )
    # Two live copies of a GPU instance bill twice; Vast offers are single-use anyway.
    delete_before_replace = True

    def validate(self, args: Any, previous: Any | None, news: Mapping[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        if needs_ssh(args.ready):
            if self.settings.ssh_key is None:
                failures.append(
                    (
                        "ready.ssh",
                        "checking SSH needs the private key of one of the account's keys: "
                        "`pulumi config set vast:sshPrivateKeyFile ~/.ssh/id_ed25519` (or the "
                        "key text as a secret: `pulumi config set --secret vast:sshPrivateKey "
                        "< KEY`)",
                    )
                )
            elif (unusable := self.settings.ssh_key_problem()) is not None:
                failures.append(unusable)
        failures += save_problems(
            self._own_policy(args), self.policy(args), self.settings, args.runtype
        )
        if known(self.policy(args).max_hours) is not None:
            extra = len(ttl.watchdog(self.client.api_url))
            if len(known(args.onstart) or "") + extra > MAX_ONSTART_LENGTH:
                failures.append(("onstart", _onstart_too_long(extra)))
        if previous is not None:
            failures += self._budget_of_rented(args, news)
            if previous.disk_gb == args.disk_gb:  # no call needed to tell nothing shrinks
                return failures
            old_disk, new_disk = self._disk(previous), self._disk(args)
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
            failures += self._preview_rent(self._with_disk(args), preview_key(news, args), news)
        return failures

    def _budget_of_rented(self, args: Any, news: Mapping[str, Any]) -> list[Failure]:
        """Under a budget, an instance already rented counts too, at its live price (one
        listing); without one, an existing instance is checked without a call."""
        own, stack = known(args.policy), self.settings.policy
        if not any(p is not None and p.max_budget is not None for p in (own, stack)):
            return []
        owner = Owner.from_props(news)
        listing = self.watcher.snapshot(max_age=REFRESH_MAX_AGE).value.values()
        live = next((live for live in listing if owner and owner.owns(live)), None)
        if owner is None or live is None:
            return []
        task: Task | None = known(args.task)
        needs = task.requirements() if task is not None else None
        hours = planned_hours(needs, offer_snapshot(live), self.policy(args))
        plan = Plan(owner.resource, float(live.dph_total or 0), hours)
        return budget_failures(plan, own, stack, self.connection.plans.record(owner.resource, plan))

    def _disk(self, args: Any) -> float:
        """The disk an instance gets: its own `disk_gb`, else its task's, else its
        template's, else the default (one call, when a template has to be asked)."""
        if args.disk_gb is not None:
            return float(known(args.disk_gb))
        task: Task | None = known(args.task)
        if task is not None:
            return task.requirements().disk_gb
        hash_id = known(args.template)
        if hash_id is None:
            return DEFAULT_DISK_GB
        with self.refusals("look up the template of", field="template"):
            template = self.client.templates.get(hash_id)
        if template is None:
            raise RentalFailed(
                f"template: no template has the hash id {hash_id!r}; pass a Template of "
                "this stack, or the hash_id of one that exists"
            )
        return float(template.recommended_disk_space or DEFAULT_DISK_GB)

    def _with_disk(self, args: Any) -> Any:
        return args.model_copy(update={"disk_gb": self._disk(args)})

    def _preview_rent(self, args: Any, key: str, news: Mapping[str, Any]) -> list[Failure]:
        """Before renting: say what will be rented and what it costs, or why nothing can be.

        Instances of one stack that ask alike get different offers at create (`OfferBook`
        claims); the preview hands them out the same way, so the costs it shows add up, and
        answers the same for the same resource however often it is asked.
        """
        placement, where = self._placement(args)
        if where is not None:
            return [where]
        search = OfferSearch.from_args(args, **placement)
        offers = self.connection.offers.ranked(search, max_age=SEARCH_MAX_AGE)
        field = "offer_id" if search.offer_id else "query"
        wanted = f"offer {search.offer_id}" if search.offer_id else repr(known(args.query))
        offers = self.connection.offers.with_freed(offers, search, key)
        if not offers:
            room = "" if search.offer_id else f" with {search.disk_gb:g} GB of disk"
            if placement:
                mount = known(args.volumes)[0]
                there = ", ".join(f"{k.replace('_id', '')} {v}" for k, v in placement.items())
                return [
                    (
                        field,
                        f"no offer on {there}, where volume {known(mount.volume)} (volumes[0]) "
                        f"is, matches {wanted}{room}; loosen the query, or mount a volume on "
                        "a machine with such GPUs",
                    )
                ]
            if search.task is not None:
                return [
                    (
                        "task",
                        f"no offer on the market meets the task's needs ({search.task.summary()}"
                        f"{', and ' + repr(known(args.query)) if args.query else ''}) right now: "
                        "split it over more GPUs (num_gpus), load it in a lower precision "
                        "(int8, int4), ask for less disk, or try again later",
                    )
                ]
            return [
                (
                    field,
                    f"no offer on the market matches {wanted}{room} right now; loosen a "
                    "condition (price cap, reliability, GPU RAM, disk_gb) or try again later",
                )
            ]
        pick = self.connection.offers.preview_pick(offers, key)
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
        bid = known(args.bid_price)
        if bid is not None and pick.min_bid is not None and bid < pick.min_bid:
            return [
                (
                    "bid_price",
                    f"{bid:g} $/h is below {pick.min_bid:g} $/h, the current minimum bid of "
                    f"the best match, {describe_offer(pick.model_dump())}: Vast would create "
                    f"the instance stopped. Bid at least {pick.min_bid:g}, or drop bid_price to "
                    "rent on demand",
                )
            ]
        chosen = pick.model_dump()
        hours = planned_hours(search.task, chosen, self.policy(args))
        cost = estimate(chosen, disk_gb=search.disk_gb, hours=hours or 24.0)
        said = [] if search.task is None else task_lines(search.task, offers)
        self._announce(
            key, "\n".join([*said, f"will rent {describe_offer(chosen)}: {cost.summary()}"])
        )
        expected = expected_outputs(pick, per_hour=cost.per_hour)
        self.connection.offers.expect(key, {**expected, "planned_hours": hours or 0.0})
        # By name: a preview knows the URN, an update also the owner tag.
        owner = Owner.from_props(news)
        name = owner.resource if owner else key.rpartition("::")[2].removeprefix("label:")
        plan = Plan(name, cost.per_hour, hours)
        every = self.connection.plans.record(name, plan)
        return budget_failures(plan, known(args.policy), self.settings.policy, every)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        if olds.get("failure"):
            # Kept in the state only because giving it back failed: replace it, which
            # destroys it first.
            result = DiffResult(
                changes=True,
                replaces=[*(result.replaces or []), "failure"],
                stables=[],
                delete_before_replace=True,
            )
        if (expired := self._ttl_ended(id_, olds)) is not None:
            progress.warn(
                f"instance {id_} reached the end of its TTL ({expired}): replacing it with a "
                "new one, with a new TTL; to stop renting it, remove it from the program"
            )
            result = DiffResult(
                changes=True,
                replaces=[*(result.replaces or []), "expires_at"],
                stables=[],
                delete_before_replace=True,
            )
        verdict = FINE if expired is not None else self._on_lost(id_, olds, news)
        lost = verdict.replace
        if verdict.resume and not result.replaces:
            return DiffResult(changes=True, replaces=[], stables=[], delete_before_replace=True)
        if lost:
            result = DiffResult(
                changes=True,
                replaces=[*(result.replaces or []), "status"],
                stables=[],
                delete_before_replace=True,
            )
        if result.replaces:
            # The old instance goes first (delete_before_replace): make sure a new one can be
            # rented before the plan says so, or the stack would be left without either. Its
            # offer is free again by then, and may be the best (unless its host is lost).
            args = self.table.check(news).args
            if args is not None and not lost and (offer := olds.get("offer") or {}).get("id"):
                key = preview_key(news, args)
                self.connection.offers.freeing(key, Offer.model_validate(offer))
            failures = (
                self._preview_rent(self._with_disk(args), preview_key(news, args), news)
                if args
                else []
            )
            if failures:
                field, reason = failures[0]
                raise ValueError(
                    f"{field}: replacing instance {id_} needs a new one, but {reason}. "
                    "The instance is kept as it is"
                )
        return result

    def preview_key(self, news: Mapping[str, Any], args: Any) -> str | None:
        return preview_key(news, args)

    def _on_lost(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Verdict:
        """What `on_lost` does about this instance (nothing, unless it is lost)."""
        if olds.get("failure"):
            return FINE  # replaced anyway
        try:
            action: str = known(self.policy(news).on_lost) or "keep"
        except ValueError:  # a policy not known yet (a preview's unknowns)
            return FINE
        live = None
        if action != "keep":
            live = self.watcher.snapshot(max_age=REFRESH_MAX_AGE).value.get(int(id_))
        bid = news.get("bid_price")
        bid = float(bid) if isinstance(bid, float | int) and news.get("running", True) else None
        verdict = judge(id_, action, olds=olds, live=live, bid=bid)
        if verdict.note is not None:
            self._announce(str(id_), verdict.note)
        if verdict.warning is not None:
            progress.warn(verdict.warning)
        return verdict

    def resumable(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        return self._on_lost(id_, olds, news).resume

    def changes_in_place(self, changed: frozenset[str]) -> frozenset[str]:
        # Starting or stopping it moves its status and address (not its prices); a label or
        # keys do neither.
        return self.changed_in_place if "running" in changed else frozenset()

    def _announce(self, key: str, text: str) -> None:
        """Say what a preview will do, once per resource (a replacement is checked twice)."""
        if self.connection.offers.first_word(key, text):
            progress.note(text)

    def replaces_on_change(
        self, field: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> bool:
        offer = olds.get("offer")
        if field == "query" and isinstance(news.get("query"), str) and offer:
            # A healthy instance stays while it still satisfies the (new) query, judged on
            # the fields its offer snapshot has (an imported one lacks a few).
            wanted = parse_query(news["query"]).filters
            return not matches({k: v for k, v in wanted.items() if k in offer}, offer)
        if field == "task" and isinstance(news.get("task"), Mapping) and offer:
            # Kept while its offer still meets the (new) task's needs.
            try:
                wanted = Task.model_validate(news["task"]).requirements().query().filters
            except (ValueError, TypeError):
                return True
            return not matches({k: v for k, v in wanted.items() if k in offer}, offer)
        return super().replaces_on_change(field, olds, news)

    @property
    def watcher(self) -> InstanceWatcher:
        return self.connection.watcher

    def readiness(self, args: Any) -> Readiness:
        return Readiness.of(args.ready, self.settings.ssh_key)

    # ---- the object's life ------------------------------------------------------------

    def _placement(self, args: Any) -> tuple[dict[str, int], Failure | None]:
        """Where an overlay to join or a volume to mount puts the instance: the overlay's
        cluster, the volume's machine (a local volume) or cluster (a network volume); or
        why it cannot go there."""
        network = known(args.network)
        on_overlay: dict[str, int] = {}
        if network is not None:
            with self.refusals("look up", network, field="network"):
                cluster_id = overlay_cluster(self.client, network)
            if cluster_id is None:
                return {}, (
                    "network",
                    f"the account has no overlay network named {network!r}: create it "
                    "(an OverlayNetwork on the cluster, passed as network=overlay)",
                )
            on_overlay = {"cluster_id": cluster_id}
        placement, where = self._volume_placement(args)
        if where is not None or not on_overlay:
            return placement, where
        if placement.get("cluster_id", on_overlay["cluster_id"]) != on_overlay["cluster_id"]:
            return {}, (
                "network",
                f"overlay {network!r} is on cluster {on_overlay['cluster_id']} and the "
                f"network volume to mount on cluster {placement['cluster_id']}; use one cluster",
            )
        return {**placement, **on_overlay}, None

    def _volume_placement(self, args: Any) -> tuple[dict[str, int], Failure | None]:
        mounts = known(args.volumes) or []
        if not mounts:
            return {}, None
        mount = mounts[0]
        volume_id, network = int(known(mount.volume)), bool(known(mount.network))
        kind = "network volume" if network else "volume"
        client = self.client.network_volumes if network else self.client.volumes
        with self.refusals("look up", volume_id, field="volumes[0].volume"):
            volume = client.get(volume_id)
        if volume is None:
            return {}, (
                "volumes[0].volume",
                f"the account has no {kind} {volume_id}; mount one it has (a `Volume` "
                "resource gives its own id)"
                + ("" if network else ", or set network: true for a network volume"),
            )
        if network:
            return ({"cluster_id": volume.cluster_id} if volume.cluster_id else {}), None
        return {"machine_id": int(volume.machine_id or 0)}, None

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        args = self._with_disk(args)
        placement, where = self._placement(args)
        if where is not None:
            raise RentalFailed(f"{where[0]}: {where[1]}")
        request, max_hours = self._with_ttl(args, plan_request(args))
        rental = Rental(
            connection=self.connection,
            request=request,
            search=OfferSearch.from_args(args, **placement),
            readiness=self.readiness(args),
            ssh_keys=tuple(known(args.ssh_keys)),
            owner=Owner.from_props(props),
            max_hours=max_hours,
        )
        try:
            outcome = rental.run()
        except CreatedButFailed as exc:
            # What the engine records for it: the inputs as given, beside what is known.
            exc.outputs = {**props, **exc.outputs}
            raise
        outs = self._describe(outcome.instance, outcome.offer, outcome.note, inputs=args)
        return str(outcome.instance.id), outs

    def _with_ttl(
        self, args: Any, request: CreateInstanceRequest
    ) -> tuple[CreateInstanceRequest, float | None]:
        """The create body with the TTL's watchdog in its start-up script, and the TTL
        (`_ttl`); unchanged without `max_hours`."""
        max_hours = known(self.policy(args).max_hours)
        if max_hours is None:
            return request, None
        onstart = request.onstart
        if onstart is None and request.template_hash_id is not None:
            # The template's start-up script would be replaced by ours: keep it, after ours.
            with self.refusals("look up the template of", field="template"):
                template = self.client.templates.get(request.template_hash_id)
            onstart = template.onstart if template is not None else None
        script = ttl.with_watchdog(self.client.api_url, onstart)
        if len(script) > MAX_ONSTART_LENGTH:
            raise RentalFailed(_onstart_too_long(len(script) - len(onstart or "")))
        return request.model_copy(update={"onstart": script}), float(max_hours)

    def _ttl_ended(self, id_: str, olds: Mapping[str, Any]) -> str | None:
        """The end of the instance's TTL (its `expires_at`) when that has come: it is gone
        (the watchdog destroyed it), or past its deadline anyway (a watchdog that failed)."""
        end = olds.get("expires_at")
        if not isinstance(end, str) or not end:
            return None
        instance_id = int(id_)
        listed = instance_id in self.watcher.snapshot(max_age=REFRESH_MAX_AGE).value
        if ttl.parse_iso(end) <= self.client.server_time():
            return end
        if listed:
            return None
        return end if self.client.instances.get(instance_id) is None else None

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        instance_id = int(id_)
        listing = self.watcher.snapshot(max_age=REFRESH_MAX_AGE).value
        self._destroy_left_behind(props, listing.values(), keep=instance_id)
        live = listing.get(instance_id)
        if live is None:
            # A listing can lag; only Vast's answer for this one instance drops it from state.
            live = self.client.instances.get(instance_id)
        if live is None:
            ttl_end = props.get("expires_at")
            if ttl_end and ttl.parse_iso(ttl_end) <= self.client.server_time():
                progress.warn(
                    f"instance {instance_id} is gone: its TTL ended it at {ttl_end}. Refresh "
                    "drops it; the next `pulumi up` rents a new one, with a new TTL, unless "
                    "the program no longer declares it"
                )
            return None
        outs = self._describe(
            live, props.get("offer") or {}, props.get("selection", ""), inputs=props
        )
        outs["failure"] = props.get("failure") or ""  # still to be replaced, however it looks
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
        return outs

    def import_hints(self, outs: Mapping[str, Any]) -> dict[str, Any]:
        offer = outs.get("offer") or {}
        if not offer.get("gpu_name"):
            return {}
        # One query the instance satisfies: its GPU model and count.
        conditions = [F.gpu_name == offer["gpu_name"]]
        if offer.get("num_gpus"):
            conditions.append(F.num_gpus == offer["num_gpus"])
        return {"query": Query.where(*conditions).render()}

    def _inputs_of(self, outs: Mapping[str, Any]) -> dict[str, Any]:
        inputs = super()._inputs_of(outs)
        if inputs.get("query") is not None:
            inputs.pop("offer_id", None)  # the offer rented for the query, not an input
        return inputs

    def _update(
        self, id_: str, olds: Mapping[str, Any], args: Any, changed: frozenset[str]
    ) -> Mapping[str, Any]:
        instance_id = int(id_)
        instances = self.client.instances
        if "label" in changed:
            with self.refusals("update", id_, field="label"):
                instances.set_label(instance_id, known(args.label) or "")
        if "ssh_keys" in changed:
            with self.refusals("update", id_, field="ssh_keys"):
                sync_keys(instances, instance_id, olds.get("ssh_keys") or [], known(args.ssh_keys))
        live: LiveInstance | None = None
        if "running" in changed or "resume" in changed:
            running = bool(known(args.running))
            with self.refusals("update", id_, field="running"):
                instances.set_state(instance_id, "running" if running else "stopped")
            live = self._started(instance_id, args) if running else None
        live = live or instances.get(instance_id)
        if live is None:
            raise RuntimeError(f"instance {instance_id} disappeared during the update")
        return self._describe(live, olds.get("offer") or {}, olds.get("selection", ""), inputs=args)

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

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        policy, label = self.policy(props), str(props.get("label") or "")
        # on_destroy: stop or keep; never for an instance kept only because its create failed
        if not props.get("failure") and release(self.client, int(id_), policy, label):
            return
        self._save_first(int(id_), props)
        self.client.instances.destroy(int(id_))
        if props.get("offer_id"):
            # Its offer is back on the market; a replacement may rent it again.
            self.connection.offers.release(int(props["offer_id"]))
        if Owner.from_props(props) is not None:
            listing = self.watcher.snapshot().value
            self._destroy_left_behind(props, listing.values(), keep=None)

    def _destroy_left_behind(
        self, props: Mapping[str, Any], listing: Iterable[LiveInstance], *, keep: int | None
    ) -> None:
        """Destroy instances of this resource other than ``keep``: an interrupted run rented
        them, and the state holds only one."""
        owner = Owner.from_props(props)
        if owner is None:
            return
        for live in listing:
            if owner.owns(live) and live.id != keep:
                progress.warn(
                    f"destroying instance {live.id}: it was rented for {owner.resource} by an "
                    "interrupted run of this stack, and the state holds "
                    + (f"instance {keep}" if keep is not None else "none")
                )
                self.client.instances.destroy(live.id)

    def _save_first(self, instance_id: int, props: Mapping[str, Any]) -> None:
        """Its `save` policy's files copied off before it is destroyed; SaveFailed (the
        destroy must not go on) unless all were saved or `force_destroy` is set."""
        args = self._previous_args(self._inputs_of(props))  # a delete gets the outputs
        policy = self.policy(args)
        if policy.save is not None:
            save_before_destroy(
                self.client.instances.get(instance_id),
                props,
                own=self._own_policy(args),
                policy=policy,
                ssh_key=self.settings.ssh_key,
            )

    def _own_policy(self, args: Any) -> Policy | None:
        return args.policy if args is not None and isinstance(args.policy, Policy) else None

    def _describe(
        self, live: LiveInstance, offer: Mapping[str, Any], selection: str, *, inputs: Any
    ) -> dict[str, Any]:
        outs = instance_outputs(
            live,
            offer=offer,
            selection=selection,
            private_key_file=self.settings.ssh_private_key_file,
        )
        outs["planned_hours"] = self._planned(inputs, offer) or 0.0
        return outs

    def _planned(self, inputs: Any, offer: Mapping[str, Any]) -> float | None:
        """How long it is meant to run on ``offer`` (`planned_hours`), from its inputs (the
        args model, or the properties in its state)."""
        task = inputs.get("task") if isinstance(inputs, Mapping) else known(inputs.task)
        try:
            if isinstance(task, Mapping):
                task = Task.model_validate(task)
            policy = self.policy(inputs)
        except ValueError:
            return None
        needs = task.requirements() if isinstance(task, Task) else None
        return planned_hours(needs, offer, policy)

    def restated(self, news: Mapping[str, Any], outs: dict[str, Any]) -> dict[str, Any]:
        # A new TTL or task changes how long it is meant to run.
        return {**outs, "planned_hours": self._planned(news, outs.get("offer") or {}) or 0.0}


def planned_hours(
    needs: Requirements | None, offer: Mapping[str, Any], policy: Policy
) -> float | None:
    """How long an instance on ``offer`` is meant to run: its task's hours there, at most
    its `max_hours` (its TTL); None when nothing says."""
    limit = known(policy.max_hours)
    hours = needs.hours_on(offer) if needs is not None else None
    if hours is None or limit is None:
        return hours if hours is not None else limit
    return min(hours, limit)


def task_lines(needs: Requirements, offers: list[Any], shown: int = 3) -> list[str]:
    """What a preview says of a task: its needs, and the best offers by total cost."""
    best = [TaskEstimate.of(offer.model_dump(), needs) for offer in offers[:shown]]
    return [
        f"the task needs {needs.summary()}; the best {len(best)} of {len(offers)} matching "
        "offers by estimated total cost:",
        *(f"  {rank}. {estimate.line()}" for rank, estimate in enumerate(best, 1)),
    ]


def _onstart_too_long(extra: int) -> str:
    return (
        f"with max_hours, the TTL's watchdog takes {extra} of the {MAX_ONSTART_LENGTH} "
        "characters Vast keeps of a start-up script: shorten it (gzip+base64 a long script, "
        "or fetch it from a URL)"
    )


def sync_keys(
    instances: InstancesClient, instance_id: int, before: list[str], after: list[str]
) -> None:
    """Attach added keys; detach removed ones, so access given can be taken back."""
    for key in after:
        if key not in before:
            instances.attach_ssh_key(instance_id, key)
    removed = {PublicKey.parse(key).blob for key in before if key not in after}
    if removed:
        for attached in instances.ssh_keys(instance_id):
            if PublicKey.parse(attached.public_key).blob in removed:
                instances.detach_ssh_key(instance_id, attached.id)


def preview_key(news: Mapping[str, Any], args: Any) -> str:
    """Which resource a preview is for: its owner tag, else the URN our host knows, else
    its label (by default `project/stack/name`)."""
    owner = news.get(OWNER_INPUT)
    if isinstance(owner, str) and owner:
        return owner
    return current_urn() or f"label:{known(args.label)}"


class Instance(VastResource, module="vast", name="Instance"):
    """A GPU instance rented from the Vast marketplace, ready when `pulumi up` returns.

    ## Example Usage

    ```python
    import pulumi
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
    rents = True

    def billed_hours(self) -> pulumi.Output[float | None] | None:
        return self.planned_hours.apply(lambda hours: hours or None)

    def billed_per_hour(self, args: ResourceArgs) -> pulumi.Output[float]:
        # Stopped (`running: false`), it bills only its disk.
        running = pulumi.Output.from_input(getattr(args, "running", True))
        return pulumi.Output.all(self.dph_total, self.storage_dph, running).apply(
            lambda values: float((values[0] if values[2] is not False else values[1]) or 0)
        )

    config_key = "instances"
    config_example = """
pulumi-vast:instances:
  - name: trainer
    query: gpu_ram>=24 num_gpus=1 reliability>0.95 dph<=0.5
    image: pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel
    disk_gb: 50
"""
    config_refs = (
        ConfigRef(
            "template",
            ("templates",),
            literal=lambda value: isinstance(value, str) and _HASH_ID.match(value) is not None,
            what="a template's hash id",
        ),
        ConfigRef(
            "volumes[].volume",
            ("volumes", "networkVolumes"),
            literal=lambda value: isinstance(value, int) and not isinstance(value, bool),
            what="a volume id",
        ),
        ConfigRef(
            "ssh_keys[]",
            ("sshKeys",),
            use="depend",
            literal=_is_key_line,
            what="a public key line ('ssh-ed25519 AAAA... you@host')",
        ),
        ConfigRef(
            "network",
            ("overlayNetworks",),
            literal=is_network_name,
            what="an overlay network's name",
        ),
    )

    @classmethod
    def defaults(cls, resource_name: str, args: ResourceArgs) -> ResourceArgs:
        if isinstance(args, InstanceArgs) and args.label is None:
            # Labelled with its stack and name, a leaked instance can be traced back and swept.
            label = default_label(pulumi.get_project(), pulumi.get_stack(), resource_name)
            return args.model_copy(update={"label": label})
        return args

    instance_id: pulumi.Output[int]
    """Vast's instance (contract) id."""
    offer_id: pulumi.Output[int]
    """The offer rented."""
    gpu_name: pulumi.Output[str]
    """GPU model, e.g. `RTX 4090`."""
    num_gpus: pulumi.Output[int]
    """Number of GPUs."""
    gpu_ram_gib: pulumi.Output[float]
    """VRAM per GPU in GiB, as cards are sold (24.0 for a 24 GB card; the query language's
    `gpu_ram` counts 1000 MB to a GB, so the same card matches `gpu_ram>=24.5`)."""
    dph_total: pulumi.Output[float]
    """Price in $/hour while it runs, disk included."""
    storage_dph: pulumi.Output[float]
    """What its disk bills in $/hour, running or stopped: all a stopped instance bills."""
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
    port_map: pulumi.Output[dict[str, str]]
    """Where each published port is reached while it runs: ``{"7860/tcp":
    "203.0.113.7:41234"}`` (the machine's address and the host port Vast mapped it to)."""
    status: pulumi.Output[str]
    """Vast's `actual_status`: loading, running, stopped, exited, offline..."""
    selection: pulumi.Output[str]
    """How the offer was chosen (and any offers that were taken meanwhile)."""
    offer: pulumi.Output[dict[str, Any]]
    """The offer as it was when rented, against which query changes are judged."""
    label: pulumi.Output[str]
    """The label in the Vast console."""
    expires_at: pulumi.Output[str | None]
    """With `policy.max_hours`: when the instance destroys itself (UTC, e.g.
    `2026-12-01T07:30:00Z`), counted from its create; None without a TTL."""
    planned_hours: pulumi.Output[float]
    """How long it is meant to run: its task's estimated hours on the offer rented, at most
    its `max_hours`; 0 when neither says (a preview takes an unset output for unknown). Its
    cost for them counts in the stack's `vast_cost` (`planned`)."""
    failure: pulumi.Output[str]
    """Empty while healthy. Otherwise why this instance is kept in the state: its create
    failed and giving it back failed too, so the next `pulumi up` replaces it and `pulumi
    destroy` destroys it."""
