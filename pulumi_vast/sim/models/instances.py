"""Instances: rented from the market, moved along their lifecycle by the clock.

**Lifecycle** (phase -> actual_status): create -> new (null) -> created -> (the created
delay, half each) -> loading -> (boot delay, and the SSH server up) -> running; stop ->
stopped; start -> loading -> running, or `scheduling` while the machine's GPUs are
taken; destroy -> gone (the offer returns). Host loss: offline/exited. Preemption
(outbid): stopped with ``cur_state == intended_status == next_state == "stopped"``.
A stopped instance releases its GPUs, as on Vast. Billing: see `records`.

An instance's secrets are stored sealed (`records.SEALED_FIELDS`). It is made from its
request over its template (`templates`), takes the account's env vars (`env_vars`) as they
are when it is created, and may mount a volume (`volumes`: rented with it, or linked) and
join an overlay network (``-n NAME`` in its env: `overlays`; destroying it leaves the
overlay, deleting the overlay destroys it). The SSH keys that may log in are the account's
(`ssh_keys`) and those attached to it alone.
"""

from __future__ import annotations

import secrets
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pulumi_vast.sim import envflags
from pulumi_vast.sim.bodies import DEFAULT_DISK, CreateInstanceBody
from pulumi_vast.sim.errors import BadRequest, Gone, InvalidPrice, NoSuchAsk, NotFound
from pulumi_vast.sim.ledger import LedgerSection, instance_entry
from pulumi_vast.sim.marketplace import storage_dph
from pulumi_vast.sim.models.base import Changes
from pulumi_vast.sim.models.env_vars import EnvVarsBackend
from pulumi_vast.sim.models.market import MarketBackend
from pulumi_vast.sim.models.overlays import OverlaysBackend
from pulumi_vast.sim.models.ssh_keys import SshKeysBackend, same_key, valid_public_key
from pulumi_vast.sim.models.templates import TemplatesBackend
from pulumi_vast.sim.models.volumes import VolumesBackend
from pulumi_vast.sim.records import (
    INSTANCE_KEY_PREFIX,
    PENDING,
    Account,
    Instance,
    Phase,
    new_key,
)
from pulumi_vast.sim.records.templates import Template
from pulumi_vast.sim.views import instance_columns, instance_view, internal_view

__all__ = ["FIRST_INSTANCE_ID", "MAX_BID", "MIN_BID", "InstancesBackend"]

MIN_BID, MAX_BID = 0.001, 128.0
FIRST_INSTANCE_ID = 21_000_001
_ACTIVE = frozenset({*PENDING, Phase.RUNNING, Phase.SCHEDULING})


@dataclass(frozen=True)
class _Made:
    """An instance's make-up: its request over its template's values."""

    template: Template | None
    image: str
    env: dict[str, str]
    onstart: str | None
    runtype: str
    args: list[str]
    disk: float


class InstancesBackend(
    OverlaysBackend, VolumesBackend, TemplatesBackend, EnvVarsBackend, SshKeysBackend, MarketBackend
):
    TABLES = ("instances",)
    COUNTERS: ClassVar[dict[str, int]] = {"instance": FIRST_INSTANCE_ID}

    instances: dict[int, Instance]
    """Every instance ever created (the destroyed ones are the ledger's)."""

    def _load(self) -> None:
        super()._load()
        self.instances = {
            r["id"]: Instance.from_record(r, self.keyring) for r in self.store.load("instances")
        }
        self._columns: list[str] | None = None
        self._live: dict[str, dict[int, Instance]] = {}
        """Instances not destroyed, by owner: the hot paths never scan the ledger."""
        self._container_keys: dict[str, int] = {}
        """Live instances by the digest of their CONTAINER_API_KEY."""
        for instance in self.instances.values():
            self._index(instance)

    def _forget(self) -> None:
        super()._forget()
        self.changes.instances |= set(self.instances)
        self.instances.clear()
        self._live.clear()
        self._container_keys.clear()

    # ---- bookkeeping ------------------------------------------------------------------

    def _index(self, instance: Instance) -> None:
        if instance.alive:
            self._live.setdefault(instance.account, {})[instance.id] = instance
            self._container_keys[self.digest(instance.container_key)] = instance.id

    def _unindex(self, instance: Instance) -> None:
        self._live.get(instance.account, {}).pop(instance.id, None)
        self._container_keys.pop(self.digest(instance.container_key), None)

    def _rentals(self, owner: str) -> list[Instance]:
        return list(self._live.get(owner, {}).values())

    def _all_live(self) -> list[Instance]:
        return [instance for live in self._live.values() for instance in live.values()]

    def _save(self, instance: Instance) -> None:
        self.store.put("instances", instance.id, instance.to_record(self.keyring))

    def _changed(self, instance: Instance) -> None:
        self.changes.instances.add(instance.id)

    def used_ports(self) -> set[int]:
        """Host ports the live instances hold."""
        return {port for inst in self._all_live() for port in inst.ports.values()}

    # ---- create -------------------------------------------------------------------------

    def create_instance(
        self, account: Account, offer_id: int, request: CreateInstanceBody
    ) -> Instance:
        """`PUT /api/v0/asks/{id}/`. An insufficient bid creates the instance stopped and
        then raises `InvalidPrice` naming it in `new_contract` (the caller must still
        destroy it), as Vast does."""
        offer = self.market.offers.get(offer_id)
        snatched = offer is not None and self.faults.snatched(account.digest, offer_id)
        if offer is None or snatched or not self.offer_available(account.digest, offer):
            raise NoSuchAsk(
                f"error 404/3603: no_such_ask Instance type by id {offer_id} is not available.",
                ask_id=offer_id,
            )
        made = self._made_from(account, offer_id, request)
        if made.disk > offer.disk_space:
            raise BadRequest(
                f"Invalid args: disk {made.disk:g} GB exceeds the offer's "
                f"{offer.disk_space:g} GB of disk_space",
                ask_id=offer_id,
            )
        bid = request.price
        if bid is not None and not MIN_BID <= bid <= MAX_BID:
            raise InvalidPrice(
                f"Invalid price: the bid must be between {MIN_BID} and {MAX_BID} $/hour",
                ask_id=offer_id,
            )
        outbid = bid is not None and bid < offer.min_bid
        if outbid and request.cancel_unavail:
            raise Gone(
                f"error 410/3907: no_such_ask Instance type {offer_id} is no longer available.",
                error="no_such_ask",
                ask_id=offer_id,
            )
        if request.volume_info is not None:
            self.plan_mount(account, offer.machine, request.volume_info)
        overlay = self.overlay_for_rent(account, envflags.network_names(made.env), offer.machine.id)
        now = self.now()
        instance_id = self._take_id("instance")
        instance = Instance(
            id=instance_id,
            account=account.digest,
            account_id=account.id,
            offer_id=offer.id,
            machine_id=offer.machine.id,
            num_gpus=offer.num_gpus,
            image=made.image,
            disk=made.disk,
            env=made.env,
            onstart=made.onstart,
            label=request.label,
            runtype=made.runtype,
            image_args=made.args,
            template_hash_id=request.template_hash_id,
            is_bid=bid is not None,
            gpu_dph=bid if bid is not None else offer.dph_base,
            storage_dph=storage_dph(offer.machine.storage_cost, made.disk),
            created_at=now,
            phase=Phase.STOPPED,
            intended="running",
            container_key=new_key(INSTANCE_KEY_PREFIX),
            jupyter_token=secrets.token_hex(32),
            ports={"ssh": self.allocate_port(self.used_ports())},
            account_env=self.env_values(account),
            template_id=made.template.id if made.template is not None else None,
            template_name=made.template.content.name if made.template is not None else None,
        )
        if outbid:
            instance.intended = "stopped"
            instance.enter(
                Phase.STOPPED,
                now,
                f"Bid {bid} $/hour is below the current minimum bid {offer.min_bid} $/hour",
            )
        elif request.target_state == "stopped":
            instance.intended = "stopped"
            instance.enter(Phase.STOPPED, now, "Created stopped (target_state=stopped)")
        else:
            instance.enter(Phase.NEW, now)
            instance.phase_ends_at = now + self.created_delay(account) / 2
        if request.volume_info is not None:
            volume = self.mount_volume(account, request.volume_info)
            mount = {"volume_id": volume.id, "mount_path": request.volume_info.mount_path}
            instance.mounts.append(mount)
        self.instances[instance_id] = instance
        self._index(instance)
        self._save(instance)
        self._changed(instance)
        if overlay is not None:
            self.add_member(overlay, instance_id)
        if made.template is not None:
            self.note_template_use(made.template, now)
        if outbid:
            # Vast's clients read the stranded instance from `new_contract`, to destroy it.
            raise InvalidPrice(
                f"Invalid price: bid {bid} $/hour is below the minimum bid {offer.min_bid} "
                "$/hour; the instance was created stopped",
                ask_id=offer_id,
                new_contract=instance_id,
            )
        return instance

    def _made_from(self, account: Account, offer_id: int, request: CreateInstanceBody) -> _Made:
        """What the instance is made of: the request, over its template's values where it
        leaves them out (Vast's precedence: the request's scalars win, env merges by name
        with the request's values winning)."""
        template, content = None, None
        if request.template_hash_id:
            template, content = self.resolve_template(account, request.template_hash_id)
        image = request.image or (content.full_image if content is not None else None)
        if not image:
            raise BadRequest(
                "Invalid args: 'image' is required (or a template_hash_id)", ask_id=offer_id
            )
        env = envflags.normalize_env(request.env)
        if content is not None:
            env = {**content.env_vars(), **env}
        args = list(request.args or [])
        if not args and content is not None and content.args_str:
            args = shlex.split(content.args_str)
        runtype = request.runtype or (content.runtype if content is not None else None)
        onstart = request.onstart
        if onstart is None and content is not None:
            onstart = content.onstart
        disk = request.disk
        if disk is None:
            disk = content.recommended_disk_space if content is not None else DEFAULT_DISK
        return _Made(
            template=template,
            image=image,
            env=env,
            onstart=onstart,
            runtype=runtype or ("args" if args else "ssh"),
            args=args,
            disk=disk,
        )

    def _begin_loading(self, instance: Instance, account: Account, now: float) -> None:
        stuck = self.faults.stuck_loading(account.digest)
        instance.phase_ends_at = None if stuck else now + self.boot_delay(account)
        instance.enter(Phase.LOADING, now, f"Pulling image {instance.image}")

    # ---- reading ------------------------------------------------------------------------

    def owned(self, account: Account, instance_id: int) -> Instance | None:
        instance = self.instances.get(instance_id)
        if instance is None or not instance.alive or instance.account != account.digest:
            return None
        return instance

    def _require(self, account: Account, instance_id: int) -> Instance:
        instance = self.owned(account, instance_id)
        if instance is None:
            raise NotFound("Instance not found", error="no_such_instance")
        return instance

    def alive_instances(self, account: Account) -> list[Instance]:
        return self._rentals(account.digest)

    def busy(self) -> bool:
        """Whether some instance is loading, running or waiting to be scheduled."""
        return any(instance.phase in _ACTIVE for instance in self._all_live())

    def instance_by_container_key(self, key: str) -> Instance | None:
        instance_id = self._container_keys.get(self.digest(key))
        return self.instances[instance_id] if instance_id is not None else None

    def instance_json(self, instance: Instance) -> dict[str, Any]:
        mounted = [
            {
                "id": volume.id,
                "name": volume.name,
                "type": f"{volume.kind}_volume",
                "mount_path": mount["mount_path"],
                "total_space": volume.size,
                "avail_space": volume.size,
            }
            for mount in instance.mounts
            for volume in [self.volumes[mount["volume_id"]]]
        ]
        row = instance_view(instance, self.market, self.now(), mounted)
        row["cluster_id"] = self.cluster_of(instance.machine_id)
        return row

    def _volume_users(self, volume_id: int) -> list[dict[str, Any]]:
        return [
            {"id": instance.id, "mount_path": mount["mount_path"]}
            for instance in sorted(self._all_live(), key=lambda i: i.id)
            for mount in instance.mounts
            if mount["volume_id"] == volume_id
        ]

    def instance_columns(self) -> list[str]:
        if self._columns is None:
            self._columns = instance_columns(self.market)
        return self._columns

    def internal_json(self, instance_id: int, *, folder: Path) -> dict[str, Any]:
        """What the simulator knows about an instance (admin only), secrets masked."""
        instance = self.instances.get(instance_id)
        if instance is None:
            raise NotFound(f"no instance {instance_id}")
        row = internal_view(
            instance,
            account=self.accounts[instance.account],
            folder=folder,
            authorized_keys=self.authorized_keys(instance_id),
        )
        overlay = self.overlay_of(instance_id)
        row["overlay"] = (
            {"id": overlay.id, "name": overlay.name, "address": overlay.address_of(instance_id)}
            if overlay is not None
            else None
        )
        return row

    # ---- managing -----------------------------------------------------------------------

    def set_state(self, account: Account, instance_id: int, state: str) -> Instance:
        instance = self._require(account, instance_id)
        now = self.now()
        if state == "stopped":
            instance.intended = "stopped"
            instance.phase_ends_at = None
            if instance.phase is not Phase.STOPPED:
                instance.enter(Phase.STOPPED, now, "Stopped by user")
        elif instance.phase not in _ACTIVE:
            instance.intended = "running"
            self._schedule_start(instance, now)
        self._save(instance)
        self._changed(instance)
        return instance

    def _schedule_start(self, instance: Instance, now: float) -> None:
        offer = self.market.offers[instance.offer_id]
        if self._can_hold(instance.account, offer, exclude=instance.id):
            self._begin_loading(instance, self.accounts[instance.account], now)
        else:
            instance.phase_ends_at = None
            instance.enter(
                Phase.SCHEDULING,
                now,
                f"Scheduling: waiting for {instance.num_gpus} GPU(s) on machine "
                f"{instance.machine_id} to become available",
            )

    def set_label(self, account: Account, instance_id: int, label: str | None) -> Instance:
        instance = self._require(account, instance_id)
        instance.label = label or None
        self._save(instance)
        return instance

    def destroy(self, account: Account, instance_id: int) -> Instance:
        instance = self._require(account, instance_id)
        now = self.now()
        instance.enter(Phase.DESTROYED, now)
        instance.destroyed_at = now
        instance.phase_ends_at = None
        self._unindex(instance)
        self._save(instance)
        self._changed(instance)
        self.leave_overlay(instance_id)
        return instance

    def destroy_as_owner(self, instance_id: int) -> Instance:
        """Destroy a live instance as its owner would, from elsewhere (admin)."""
        instance = self._live_instance(instance_id)
        return self.destroy(self.accounts[instance.account], instance_id)

    def _member_machine(self, account: Account, instance_id: int) -> int:
        return self._require(account, instance_id).machine_id

    def _end_members(self, account: Account, instance_ids: list[int]) -> None:
        for instance_id in instance_ids:
            if self.owned(account, instance_id) is not None:
                self.destroy(account, instance_id)

    def _live_instance(self, instance_id: int) -> Instance:
        instance = self.instances.get(instance_id)
        if instance is None or not instance.alive:
            raise NotFound(f"no live instance {instance_id}")
        return instance

    def host_lost(self, instance_id: int, status: Phase = Phase.OFFLINE) -> Instance:
        """A running (or loading) instance's machine dies: offline, or its container exited."""
        instance = self._live_instance(instance_id)
        if status not in {Phase.OFFLINE, Phase.EXITED}:
            raise BadRequest("status must be offline or exited")
        message = (
            "Host machine is offline"
            if status is Phase.OFFLINE
            else "Error: container exited unexpectedly (exit code 137)"
        )
        instance.phase_ends_at = None
        instance.enter(status, self.now(), message)
        self._save(instance)
        self._changed(instance)
        return instance

    def preempt(self, instance_id: int) -> Instance:
        """An interruptible instance is outbid: stopped, and its GPUs go to the outbidder."""
        instance = self._live_instance(instance_id)
        instance.intended = "stopped"
        instance.phase_ends_at = None
        instance.enter(Phase.STOPPED, self.now(), "Instance was outbid and stopped (preempted)")
        self.faults.take_offer(instance.account, instance.offer_id)
        self._save(instance)
        self._changed(instance)
        return instance

    # ---- time ---------------------------------------------------------------------------

    def _tick(self, now: float) -> Changes:
        """Apply the transitions that are due, but for boots that end (see `due_boots`)."""
        changed = super()._tick(now)
        moved: list[Instance] = []
        for instance in self._all_live():
            if self._advance_pending(instance, now):
                moved.append(instance)
            elif instance.phase is Phase.SCHEDULING:
                offer = self.market.offers[instance.offer_id]
                if self._can_hold(instance.account, offer, exclude=instance.id):
                    self._begin_loading(instance, self.accounts[instance.account], now)
                    moved.append(instance)
        if moved:
            with self.store.transaction():
                for instance in moved:
                    self._save(instance)
        changed.instances |= {instance.id for instance in moved}
        return changed

    def _advance_pending(self, instance: Instance, now: float) -> bool:
        """Move a new instance through created to loading, each step at its due time."""
        moved = False
        while (
            instance.phase in (Phase.NEW, Phase.CREATED)
            and instance.phase_ends_at is not None
            and instance.phase_ends_at <= now
        ):
            at = instance.phase_ends_at
            account = self.accounts[instance.account]
            if instance.phase is Phase.NEW:
                instance.enter(Phase.CREATED, at, "Creating the container")
                instance.phase_ends_at = at + self.created_delay(account) / 2
            else:
                self._begin_loading(instance, account, at)
            moved = True
        return moved

    def due_boots(self) -> list[int]:
        """Loading instances whose boot time has come. They turn `running` only through
        `finish_boot`, once their SSH server listens: whatever says running has its ports."""
        return [instance.id for instance in self._all_live() if self.boot_due(instance.id)]

    def boot_due(self, instance_id: int) -> bool:
        instance = self.instances.get(instance_id)
        return (
            instance is not None
            and instance.phase is Phase.LOADING
            and instance.phase_ends_at is not None
            and instance.phase_ends_at <= self.now()
        )

    def finish_boot(self, instance_id: int, ports: dict[str, int]) -> bool:
        """The instance runs, on `ports`, from its boot time; False if it is no longer
        booting (stopped or destroyed while its SSH server started)."""
        if not self.boot_due(instance_id):
            return False
        instance = self.instances[instance_id]
        booted_at = instance.phase_ends_at
        assert booted_at is not None
        instance.ports = ports
        instance.enter(Phase.RUNNING, booted_at, f"success, running {instance.image}/ssh")
        instance.phase_ends_at = None
        self._save(instance)
        return True

    def set_ports(self, instance_id: int, ports: dict[str, int]) -> None:
        instance = self.instances.get(instance_id)
        if instance is not None and instance.alive and instance.ports != ports:
            instance.ports = ports
            self._save(instance)

    # ---- the keys that may log in -------------------------------------------------------

    def authorized_keys(self, instance_id: int) -> list[str]:
        """The public keys that may log in now: the account's and those attached to it."""
        instance = self.instances.get(instance_id)
        if instance is None or not instance.alive:
            return []
        keys = [
            key.key
            for key in self.ssh_keys.values()
            if key.account == instance.account and key.id not in instance.detached_key_ids
        ]
        keys += [attached["key"] for attached in instance.attached_keys]
        return keys

    def attach_ssh_key(self, account: Account, instance_id: int, public_key: str | None) -> int:
        instance = self._require(account, instance_id)
        text = valid_public_key(public_key)
        for key in self.account_keys(account):
            if same_key(key.key, text):
                if key.id in instance.detached_key_ids:
                    instance.detached_key_ids.remove(key.id)
                    self._save(instance)
                return key.id
        for attached in instance.attached_keys:
            if same_key(attached["key"], text):
                return int(attached["id"])
        key_id = self._take_id("ssh_key")
        instance.attached_keys.append({"id": key_id, "key": text})
        self._save(instance)
        return key_id

    def detach_ssh_key(self, account: Account, instance_id: int, key_id: int) -> None:
        instance = self._require(account, instance_id)
        before = len(instance.attached_keys)
        instance.attached_keys = [a for a in instance.attached_keys if a["id"] != key_id]
        if len(instance.attached_keys) == before:
            account_key = self.ssh_keys.get(key_id)
            if account_key is None or account_key.account != account.digest:
                raise NotFound(
                    f"No ssh key {key_id} on instance {instance_id}", error="no_such_ssh_key"
                )
            if key_id in instance.detached_key_ids:
                raise NotFound(
                    f"No ssh key {key_id} on instance {instance_id}", error="no_such_ssh_key"
                )
            instance.detached_key_ids.append(key_id)
        self._save(instance)

    def instance_keys(self, account: Account, instance_id: int) -> list[dict[str, Any]]:
        instance = self._require(account, instance_id)
        keys = [
            {"id": key.id, "name": f"key-{key.id}", "public_key": key.key}
            for key in self.account_keys(account)
            if key.id not in instance.detached_key_ids
        ]
        keys += [
            {"id": a["id"], "name": f"key-{a['id']}", "public_key": a["key"]}
            for a in instance.attached_keys
        ]
        return keys

    # ---- billing ------------------------------------------------------------------------

    def _ledger_sections(self, owner: str | None, now: float) -> list[LedgerSection]:
        instances = sorted(
            (i for i in self.instances.values() if owner is None or i.account == owner),
            key=lambda i: i.id,
        )
        entries = [instance_entry(i, self.market, now) for i in instances]
        counts = {
            "instances": len(entries),
            "alive": sum(1 for i in instances if i.alive),
            "running": sum(1 for i in instances if i.phase is Phase.RUNNING),
        }
        return [LedgerSection("instances", entries, counts), *super()._ledger_sections(owner, now)]
