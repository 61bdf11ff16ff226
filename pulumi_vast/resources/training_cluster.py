"""A multi-node training cluster: N instances on one physical cluster's overlay network.

Why one provider-side resource (`TrainingGang`) rents every node
------------------------------------------------------------------
Dynamic providers serve no invokes, so a program cannot ask "which cluster has N offers?"
before declaring its instances; and N `Instance` resources are created independently by
the engine, so nothing could keep them on one cluster, nor give back the first ranks when
the last finds no offer. The gang is therefore one resource whose create is the placement
transaction (`_gang`): search once, rank the physical clusters with N matching offers by
total price, create the overlay on the best and rent every rank there in parallel; if a
rank's offers are taken meanwhile, every rank and the overlay are given back and the next
cluster is tried. Its `check` runs the same search at `pulumi preview`, and refuses with
what it found (the best cluster and how many offers matched) when no cluster is big enough.

The ranks stay separate inside it: its state lists one member per rank (instance, machine,
SSH command, torchrun line), and a change of `nodes` is an update in place that rents only
the missing ranks (on the gang's cluster and overlay) or destroys only the ranks past the
new size; a refresh drops a rank whose instance was destroyed out of band, and the next
`pulumi up` rents that rank again. Rank 0's overlay address is read over SSH, as on Vast
(`ip -4 addr show eth0` inside it), and becomes `master_addr` of every node's torchrun
line. The overlay is deleted after its instances, by the same delete; a replacement (a
new query, image...) names, in its preview, the instances it takes down.

`TrainingCluster` is the component a program writes; stack config declares the same under
`pulumi-vast:trainingClusters`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import pulumi
from pulumi.dynamic import DiffResult, UpdateResult
from pydantic import Field, model_validator

from pulumi_vast._operation import current_urn
from pulumi_vast.api import GPU_OFFERS, CreateInstanceRequest, Query, parse_order, parse_query
from pulumi_vast.api import Instance as LiveInstance
from pulumi_vast.api.query import Fields
from pulumi_vast.market import describe_offer
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._errors import RentalFailed, ResourceError
from pulumi_vast.resources._fields import (
    REPLACE,
    SECRET,
    STATE,
    UPDATE,
    FieldTable,
    Input,
    ResourceArgs,
    known,
    resources_as_ids,
)
from pulumi_vast.resources._gang import (
    Gang,
    overlay_address,
    plan,
    shortfall,
)
from pulumi_vast.resources._offers import OfferSearch
from pulumi_vast.resources._overlay import NetworkName, network_name_for
from pulumi_vast.resources._owner import OWNER_INPUT, Owner
from pulumi_vast.resources._problems import InvalidField, InvalidInputs
from pulumi_vast.resources._provider import Failure, VastProvider
from pulumi_vast.resources._rental import SEARCH_MAX_AGE, RentalOutcome, instance_outputs
from pulumi_vast.resources._resource import ConfigRef, VastResource, default_label
from pulumi_vast.resources._ssh_keys import PublicKeyLine
from pulumi_vast.resources._waiting import Readiness
from pulumi_vast.resources.instance import (
    DEFAULT_DISK_GB,
    EnvName,
    Image,
    OfferQuery,
    Order,
    Positive,
    ReadyArgs,
    TemplateHash,
    _is_key_line,
    sync_keys,
)

__all__ = [
    "TrainingCluster",
    "TrainingClusterArgs",
    "TrainingGang",
    "TrainingGangProvider",
]

MAX_NODES = 64
DEFAULT_MASTER_PORT = 29500


class TrainingClusterArgs(ResourceArgs):
    """Inputs of a `TrainingCluster` (and of its `TrainingGang`)."""

    nodes: Annotated[
        Input[Annotated[int, Field(ge=1, le=MAX_NODES)]],
        UPDATE,
        Field(
            description="Number of nodes (instances), all on one physical cluster. A change "
            "rents or destroys only the ranks added or removed.",
            examples=[2],
        ),
    ]
    query: Annotated[
        Input[OfferQuery],
        REPLACE,
        Field(
            description="Offer query each node must match (`gpus_per_node` adds `num_gpus`).",
            examples=["gpu_name=H100_SXM reliability>0.95"],
        ),
    ]
    image: Annotated[
        Input[Image] | None,
        REPLACE,
        Field(
            description="Docker image of every node (optional with a template).",
            examples=["pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel"],
        ),
    ] = None
    gpus_per_node: Annotated[
        Input[Annotated[int, Field(ge=1, le=16)]],
        REPLACE,
        Field(description="GPUs per node (torchrun's `--nproc_per_node`).", examples=[8]),
    ] = 1
    master_port: Annotated[
        Input[Annotated[int, Field(ge=1, le=65535)]],
        UPDATE,
        Field(description="Rendezvous port on rank 0 (torchrun's `--master_port`)."),
    ] = DEFAULT_MASTER_PORT
    script: Annotated[
        Input[Annotated[str, Field(min_length=1)]],
        UPDATE,
        Field(
            description="What each node's torchrun line runs (a script and its arguments).",
            examples=["train.py --epochs 3"],
        ),
    ] = "train.py"
    network_name: Annotated[
        Input[NetworkName] | None,
        REPLACE,
        Field(
            description="Name of the overlay network created for it; defaults to its "
            "`project-stack-name`.",
            examples=["trainers"],
        ),
    ] = None
    ssh_keys: Annotated[
        Input[list[Input[PublicKeyLine]]],
        UPDATE,
        Field(
            default_factory=list,
            description="Public keys attached to every node besides the account's keys.",
        ),
    ]
    ready: Annotated[
        Input[ReadyArgs] | None,
        STATE,
        Field(
            description="What must hold on every node before `pulumi up` returns (SSH is "
            "always checked: rank 0's address is read over it)."
        ),
    ] = None
    env: Annotated[
        Input[dict[EnvName, Input[str]]] | None,
        REPLACE | SECRET,
        Field(description="Environment variables of every node (kept secret in state)."),
    ] = None
    disk_gb: Annotated[
        Input[Positive],
        REPLACE,
        Field(description="Local disk in GB of each node.", examples=[100]),
    ] = DEFAULT_DISK_GB
    template: Annotated[
        Input[TemplateHash] | None,
        REPLACE,
        Field(description="Create the nodes from a template: a `Template` or its hash id."),
    ] = None
    order: Annotated[
        Input[Order],
        STATE,
        Field(description="How offers rank within a cluster, e.g. `dph+` (cheapest)."),
    ] = "dph+"

    @model_validator(mode="before")
    @classmethod
    def _template_resource(cls, data: Any) -> Any:
        return resources_as_ids(data, {"template": "hash_id"})

    @model_validator(mode="after")
    def _consistent(self) -> TrainingClusterArgs:
        if self.image is None and self.template is None:
            raise InvalidField(
                "image", "is required, unless `template` names a template that has one"
            )
        return self


def _search(args: Any) -> OfferSearch:
    """What every node asks of the market: its query, ``gpus_per_node`` GPUs, on a cluster."""
    text = known(args.query)
    query: Query = parse_query(text) if isinstance(text, str) else text
    fields = Fields(GPU_OFFERS)
    query = query.and_(fields.num_gpus == int(known(args.gpus_per_node)))
    query = query.and_(fields.cluster_id >= 0)  # only machines in a physical cluster
    return OfferSearch(
        query=query,
        offer_id=None,
        order=tuple(parse_order(known(args.order))),
        disk_gb=float(known(args.disk_gb)),
    )


def _request(args: Any) -> CreateInstanceRequest:
    """The create body of every node (the overlay is added per placement)."""
    return CreateInstanceRequest(
        image=known(args.image),
        template_hash_id=known(args.template),
        disk=float(known(args.disk_gb)),
        env=dict(known(args.env) or {}),
        runtype="ssh_proxy",
        label=known(args.network_name),
    )


def torchrun_line(
    *, nodes: int, gpus: int, rank: int, master_addr: str, master_port: int, script: str
) -> str:
    return (
        f"NCCL_SOCKET_IFNAME=eth0 torchrun --nnodes={nodes} --nproc_per_node={gpus} "
        f"--node_rank={rank} --master_addr={master_addr} --master_port={master_port} "
        f"{script}"
    )


class TrainingGangProvider(VastProvider):
    table = FieldTable(TrainingClusterArgs)
    kind = "training cluster"
    changed_in_place = frozenset(
        {"members", "master_addr", "world_size", "ssh_commands", "torchrun_commands", "dph_total"}
    )
    # Its overlay name is reused by a replacement, and every node bills.
    delete_before_replace = True
    _replacing: ClassVar[set[int]] = set()
    """Gangs (by overlay id) this process is replacing: their overlay is deleted before the
    replacement's overlay is made, so its name is free for the replacement."""

    def readiness(self, args: Any) -> Readiness:
        ready = Readiness.of(args.ready, self.settings.ssh_key)
        return dataclasses.replace(ready, ssh=True)

    def validate(self, args: Any, previous: Any | None, news: Mapping[str, Any]) -> list[Failure]:
        if self.settings.ssh_key is None:
            return [
                (
                    "ready",
                    "rank 0's overlay address is read over SSH, which needs the private key "
                    "of one of the account's keys: `pulumi config set vast:sshPrivateKeyFile "
                    "~/.ssh/id_ed25519`",
                )
            ]
        if previous is None:
            return self._name_free(args) or self._preview_place(args, news)
        return []

    def _name_free(self, args: Any) -> list[Failure]:
        name = known(args.network_name)
        if name is None:
            return []
        with self.refusals("look up overlays for", field="network_name"):
            taken = self.client.overlays.find(str(name))
        if taken is None or taken.id in self._replacing:
            return []
        return [
            (
                "network_name",
                f"the account already has an overlay named {name!r} (overlay {taken.id} on "
                f"cluster {taken.cluster_id}, instances {list(taken.instance_ids)}): pick "
                "another name, or delete that overlay if nothing needs it (it may be left by "
                "an interrupted run; deleting it destroys its instances)",
            )
        ]

    def _announce(self, news: Mapping[str, Any], text: str) -> None:
        """Say what a preview will do, once per resource (a check may be asked twice)."""
        key = news.get(OWNER_INPUT) or current_urn() or str(news.get("network_name"))
        if self.connection.offers.first_word(f"gang:{key}", text):
            progress.note(text)

    def _preview_place(self, args: Any, news: Mapping[str, Any]) -> list[Failure]:
        nodes = int(known(args.nodes))
        search = _search(args)
        offers = self.connection.offers.ranked(search, max_age=SEARCH_MAX_AGE)
        plans = plan(offers, nodes)
        wanted = f"{known(args.query)!r} with {known(args.gpus_per_node)} GPU(s)"
        if not plans:
            found = shortfall(offers)
            if found.best_cluster is None:
                seen = "no offer on any physical cluster matches"
            else:
                seen = (
                    f"the best of {found.clusters} cluster(s), cluster {found.best_cluster}, "
                    f"has {found.matched} offer(s) matching"
                )
            return [
                (
                    "nodes",
                    f"no physical cluster has {nodes} offers matching {wanted} and "
                    f"{search.disk_gb:g} GB of disk: {seen}. Lower nodes, or loosen the query",
                )
            ]
        best = plans[0]
        first = describe_offer(best.offers[0].model_dump())
        self._announce(
            news,
            f"will place {nodes} nodes on cluster {best.cluster_id} ({len(best.offers)} "
            f"matching offers, e.g. {first}): ${best.total:.3f}/h in all",
        )
        return []

    @staticmethod
    def _ranks_lost(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether ranks that ``news`` asks for are missing from the state (a refresh
        dropped them: destroyed out of band)."""
        nodes = news.get("nodes")
        return isinstance(nodes, int | float) and len(olds.get("members") or []) < int(nodes)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if not self._ranks_lost(olds, news):
            return super().update(id_, olds, news)
        # Nothing declared changed, yet ranks are to be rented again.
        args = self.table.parse(news)
        with self.refusals("update", id_):
            outs = self._update(id_, olds, args, frozenset({"nodes"}))
        return UpdateResult(self._complete({**news, **outs}, "update"))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        members = olds.get("members") or []
        if self._ranks_lost(olds, news) and not result.changes:
            # A refresh dropped ranks destroyed out of band: rent them again.
            result = DiffResult(changes=True, replaces=[], stables=[], delete_before_replace=True)
        if result.changes and not result.replaces:
            self._check_room(id_, olds, news)
        if result.replaces:
            # Its replacement is checked next, as new: the overlay it reuses goes first.
            self._replacing.add(int(id_))
            ids = ", ".join(str(int(m["instance_id"])) for m in members) or "none"
            progress.warn(
                f"replacing {self.kind} {id_} destroys its {len(members)} node(s) (instances "
                f"{ids}) and its overlay {olds.get('network')!r}, then places a new one"
            )
        return result

    def _check_room(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> None:
        """Before a plan adds ranks: the gang's cluster must have offers for them (the
        ranks it has stay where they are), or the preview fails saying so."""
        args: Any = self.table.check(news).args
        members = olds.get("members") or []
        if args is None or olds.get("cluster_id") is None:
            return
        added = int(known(args.nodes)) - len(members)
        if added <= 0:
            return
        cluster_id = int(olds["cluster_id"])
        search = dataclasses.replace(_search(args), cluster_id=cluster_id)
        offers = self.connection.offers.ranked(search, max_age=SEARCH_MAX_AGE)
        if len(offers) < added:
            raise ValueError(
                f"nodes: adding {added} node(s) to {self.kind} {id_} needs as many offers "
                f"matching {known(args.query)!r} on cluster {cluster_id}, where its nodes are; "
                f"it has {len(offers)}. Its nodes are kept as they are: lower nodes, or "
                "replace it (a new network_name places it anew)"
            )
        self._announce(news, f"will add {added} node(s) on cluster {cluster_id}")

    # ---- the object's life ------------------------------------------------------------

    def _gang(self, args: Any, props: Mapping[str, Any]) -> Gang:
        return Gang(
            connection=self.connection,
            request=_request(args),
            search=_search(args),
            readiness=self.readiness(args),
            ssh_keys=tuple(known(args.ssh_keys)),
            owner=Owner.from_props(props),
        )

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        nodes = int(known(args.nodes))
        network = str(known(args.network_name))
        gang = self._gang(args, props)
        offers = self.connection.offers.ranked(gang.search, max_age=0.0)
        plans = plan(offers, nodes)
        if not plans:
            found = shortfall(offers)
            raise RentalFailed(
                f"no physical cluster has {nodes} matching offers now (best: cluster "
                f"{found.best_cluster}, {found.matched} offers); nothing is rented",
                field="nodes",
            )
        cluster_id, overlay_id, ranks = gang.place(plans, nodes, network)
        outs = {"cluster_id": cluster_id, "overlay_id": overlay_id, "network": network}
        try:
            outs.update(self._describe(args, {r: o.instance for r, o in ranks.items()}, None))
        except BaseException:
            gang.release(o.instance.id for o in ranks.values())
            self.client.overlays.delete(overlay_id)
            raise
        return str(overlay_id), outs

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if props.get("members") is None:
            raise ResourceError(
                "a training cluster cannot be imported or read by id: which instance is "
                "which rank exists only in its state. Adopt the overlay as an OverlayNetwork "
                "and the nodes as Instances (network=...) instead"
            )
        overlay = self.client.overlays.get(int(id_))
        if overlay is None:
            return None  # Vast destroyed its instances with it
        listing = self.connection.watcher.snapshot(max_age=5.0).value
        members = [m for m in props.get("members") or [] if int(m["instance_id"]) in listing]
        outs = {**props, "members": members}
        outs.update(_summary(members, props.get("master_addr") or ""))
        if not any(m["node_rank"] == 0 for m in members):
            outs["master_addr"] = ""
        return outs

    def _update(
        self, id_: str, olds: Mapping[str, Any], args: Any, changed: frozenset[str]
    ) -> Mapping[str, Any]:
        nodes = int(known(args.nodes))
        members = {int(m["node_rank"]): m for m in olds.get("members") or []}
        listing = self.connection.watcher.snapshot(max_age=0.0).value
        live = {
            rank: listing[int(m["instance_id"])]
            for rank, m in members.items()
            if int(m["instance_id"]) in listing
        }
        for rank in sorted(r for r in live if r >= nodes):
            progress.note(f"destroying rank {rank} (instance {live[rank].id}): nodes is {nodes}")
            self.client.instances.destroy(live.pop(rank).id)
        if "ssh_keys" in changed:
            for instance in live.values():
                sync_keys(
                    self.client.instances,
                    instance.id,
                    list(olds.get("ssh_keys") or []),
                    list(known(args.ssh_keys)),
                )
        missing = [rank for rank in range(nodes) if rank not in live]
        if missing:
            self.connection.offers.forget()  # a search from before our rentals lists them
        gang = self._gang(args, olds)
        added: dict[int, RentalOutcome] = gang.grow(
            int(olds["cluster_id"]), str(olds["network"]), missing
        )
        instances = {**live, **{rank: o.instance for rank, o in added.items()}}
        master = olds.get("master_addr") if 0 in live else None
        try:
            described = self._describe(args, instances, master or None)
        except BaseException:
            gang.release(o.instance.id for o in added.values())
            raise
        kept = {name: olds[name] for name in ("cluster_id", "overlay_id", "network")}
        return {**kept, **described}

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        for member in props.get("members") or []:
            self.client.instances.destroy(int(member["instance_id"]))
        # Last: deleting the overlay would destroy its instances anyway, but this way each
        # destroy is ours and accounted for.
        self.client.overlays.delete(int(id_))

    def _describe(
        self, args: Any, instances: Mapping[int, LiveInstance], master_addr: str | None
    ) -> dict[str, Any]:
        """The outputs for the ranks ``instances``; rank 0's address read over SSH unless
        ``master_addr`` is known."""
        if master_addr is None:
            rank0 = instances.get(0)
            master_addr = overlay_address(rank0, self.readiness(args)) if rank0 else ""
        nodes, gpus = int(known(args.nodes)), int(known(args.gpus_per_node))
        port, script = int(known(args.master_port)), str(known(args.script))
        key_file = self.settings.ssh_private_key_file
        members = []
        for rank in sorted(instances):
            live = instances[rank]
            described = instance_outputs(live, offer={}, selection="", private_key_file=key_file)
            members.append(
                {
                    "node_rank": rank,
                    "instance_id": live.id,
                    "machine_id": described["machine_id"],
                    "gpu_name": described["gpu_name"],
                    "dph_total": described["dph_total"],
                    "ssh_command": described["ssh_command"],
                    "torchrun": torchrun_line(
                        nodes=nodes,
                        gpus=gpus,
                        rank=rank,
                        master_addr=master_addr,
                        master_port=port,
                        script=script,
                    ),
                }
            )
        return {"members": members, **_summary(members, master_addr), "world_size": nodes * gpus}


def _summary(members: list[dict[str, Any]], master: str) -> dict[str, Any]:
    return {
        "master_addr": master,
        "ssh_commands": [m["ssh_command"] for m in members],
        "torchrun_commands": [m["torchrun"] for m in members],
        "dph_total": round(sum(float(m["dph_total"] or 0) for m in members), 6),
    }


class TrainingGang(VastResource, module="vast", name="TrainingGang"):
    """The nodes of a multi-node training cluster, placed as a gang: `nodes` instances on
    one physical cluster, joined to an overlay network created there, ready together; or
    none at all. A program usually declares it through `TrainingCluster`.

    One resource places the whole gang, because dynamic providers serve no invokes and N
    separate instances could not be kept on one cluster: its preview finds the physical
    clusters with `nodes` matching offers (cheapest total first) or fails naming the best
    one found; its create makes the overlay on the best and rents every rank there at once,
    and moves on to the next cluster, giving back what it rented, when a rank cannot be
    rented. A change of `nodes` rents or destroys only the ranks added or removed; a rank
    destroyed out of band is dropped by a refresh and rented again by the next `up`.

    ## Example Usage

    ```python
    import pulumi
    import pulumi_vast as vast

    training = vast.TrainingCluster(
        "llm",
        nodes=2,
        query="gpu_ram>=24 reliability>0.95",
        image="pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel",
        gpus_per_node=1,
    )
    pulumi.export("torchrun", training.torchrun_commands)
    ```

    ## Import

    Not importable: a gang's ranks and rendezvous exist only in its state.
    """

    provider_class = TrainingGangProvider
    args_class = TrainingClusterArgs
    rents = True
    cost_output = ("dph_total", 1.0)
    config_key = "trainingClusters"
    config_example = """
pulumi-vast:trainingClusters:
  - name: llm
    nodes: 2
    query: gpu_ram>=24 reliability>0.95
    image: pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel
    gpus_per_node: 1
    script: train.py --epochs 3
"""
    config_refs = (
        ConfigRef("template", ("templates",)),
        ConfigRef(
            "ssh_keys[]",
            ("sshKeys",),
            use="depend",
            literal=_is_key_line,
            what="a public key line ('ssh-ed25519 AAAA... you@host')",
        ),
    )

    @classmethod
    def defaults(cls, resource_name: str, args: ResourceArgs) -> ResourceArgs:
        if isinstance(args, TrainingClusterArgs) and args.network_name is None:
            label = default_label(pulumi.get_project(), pulumi.get_stack(), resource_name)
            return args.model_copy(update={"network_name": network_name_for(label)})
        return args

    cluster_id: pulumi.Output[int]
    """The physical cluster every node is on."""
    overlay_id: pulumi.Output[int]
    """Vast's id of the overlay network the nodes share."""
    network: pulumi.Output[str]
    """The overlay network's name."""
    master_addr: pulumi.Output[str]
    """Rank 0's address on the overlay (its eth0): the rendezvous address."""
    master_port: pulumi.Output[int]
    """The rendezvous port."""
    world_size: pulumi.Output[int]
    """Processes in all: nodes x GPUs per node."""
    members: pulumi.Output[list[dict[str, Any]]]
    """One entry per rank: `node_rank`, `instance_id`, `machine_id`, `gpu_name`,
    `dph_total`, `ssh_command` and its `torchrun` line."""
    ssh_commands: pulumi.Output[list[str]]
    """An `ssh` command per rank, rank 0 first."""
    torchrun_commands: pulumi.Output[list[str]]
    """A ready-to-run torchrun line per rank (with `NCCL_SOCKET_IFNAME=eth0`)."""
    dph_total: pulumi.Output[float]
    """What all the nodes bill in $/hour."""


class TrainingCluster(pulumi.ComponentResource):
    """A multi-node training cluster from one declaration: a physical cluster with `nodes`
    matching offers (cheapest total first), an overlay network there, `nodes` instances on
    it, all ready, and the rendezvous for torchrun (see `TrainingGang`)."""

    def __init__(
        self,
        name: str,
        args: TrainingClusterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        try:  # a mistake is named as the program wrote it: TrainingCluster("llm").nodes
            checked = TrainingGang._args(name, args, kwargs)
        except InvalidInputs as exc:
            raise exc.under(f'TrainingCluster("{name}")' if isinstance(name, str) else "") from None
        super().__init__("vast:index:TrainingCluster", name, None, opts)
        # What the component waits for, its gang waits for (keys the nodes must carry).
        waits = opts.depends_on if opts is not None else None
        self.gang = TrainingGang(
            name, checked, pulumi.ResourceOptions(parent=self, depends_on=waits)
        )
        gang = self.gang
        self.cluster_id = gang.cluster_id
        self.network = gang.network
        self.master_addr = gang.master_addr
        self.master_port = gang.master_port
        self.world_size = gang.world_size
        self.members = gang.members
        self.node_ranks: pulumi.Output[list[int]] = gang.members.apply(
            lambda ms: [int(m["node_rank"]) for m in ms or []]
        )
        self.ssh_commands = gang.ssh_commands
        self.torchrun_commands = gang.torchrun_commands
        self.dph_total = gang.dph_total
        self.register_outputs(
            {
                "master_addr": self.master_addr,
                "master_port": self.master_port,
                "world_size": self.world_size,
                "node_ranks": self.node_ranks,
                "ssh_commands": self.ssh_commands,
                "torchrun_commands": self.torchrun_commands,
            }
        )
