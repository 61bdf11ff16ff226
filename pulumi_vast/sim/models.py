"""The backend: accounts, offers, instances, SSH keys and the ledger, in moto's style.

State is plain objects in memory, written through to SQLite (`store`) on every change, so
reads are cheap and a restarted simulator sees the same world. All methods run on the
server's event loop thread; none of them blocks on anything slow.

**Accounts.** Each distinct API key is its own account (instances, SSH keys, credit),
stored and found by the keyed digest of the key (`sealing`); instances and keys name their
owner by that digest, and so do the faults. An instance's secrets are stored sealed.
**Market.** Every account sees the whole seeded marketplace; what it rents disappears
from *its* view. Other renters exist only as the `taken_offers` fault (and preemption),
so concurrent tests never starve each other of offers.

**Lifecycle** (phase -> actual_status): create -> new (null) -> created -> (the created
delay, half each) -> loading -> (boot delay, and the SSH server up) -> running; stop ->
stopped; start -> loading -> running, or `scheduling` while the machine's GPUs are
taken; destroy -> gone (the offer returns). Host loss: offline/exited. Preemption
(outbid): stopped with ``cur_state == intended_status == next_state == "stopped"``.
A stopped instance releases its GPUs, as on Vast. Billing: see `records`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pulumi_vast.api.filters import FilterError, split_search_body
from pulumi_vast.sim import envflags, migrations
from pulumi_vast.sim.bodies import CreateInstanceBody
from pulumi_vast.sim.clock import Clock
from pulumi_vast.sim.errors import (
    BadRequest,
    Gone,
    InvalidPrice,
    NoSshKey,
    NoSuchAsk,
    NotFound,
)
from pulumi_vast.sim.faults import FaultBook
from pulumi_vast.sim.ledger import ledger_report
from pulumi_vast.sim.marketplace import (
    Market,
    OfferSpec,
    normalize_offer_type,
    storage_dph,
)
from pulumi_vast.sim.masking import mask_key
from pulumi_vast.sim.ports import free_port
from pulumi_vast.sim.querying import filter_offers
from pulumi_vast.sim.records import (
    DEFAULT_IMAGE,
    HOLDS_GPUS,
    INSTANCE_KEY_PREFIX,
    LOOPBACK,
    PENDING,
    Account,
    Instance,
    Phase,
    SshKey,
    new_key,
)
from pulumi_vast.sim.sealing import Keyring
from pulumi_vast.sim.store import Store
from pulumi_vast.sim.views import instance_columns, instance_view, internal_view, user_view

__all__ = ["MAX_BID", "MIN_BID", "SimBackend"]

DEFAULT_SEARCH_LIMIT = 64
DEFAULT_SEARCH_STORAGE_GB = 8.0
"""openapi: `allocated_storage` defaults to 8 GB (the official client always sends 5)."""
MAX_SEARCH_STORAGE_GB = 1e6
"""More than any machine has (a petabyte): larger asks are refused, not priced."""
MIN_BID, MAX_BID = 0.001, 128.0
FIRST_ACCOUNT_ID = 310_001
FIRST_INSTANCE_ID = 21_000_001
FIRST_SSH_KEY_ID = 52_001
SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


class SimBackend:
    """The simulated Vast service's state and operations (no HTTP here)."""

    def __init__(
        self,
        store: Store,
        *,
        data_dir: Path,
        seed: int,
        default_boot_delay: float,
        default_created_delay: float = 0.0,
        wall: Callable[[], float] = time.time,
        faults: FaultBook | None = None,
        allocate_port: Callable[[set[int]], int] | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.keyring = keyring if keyring is not None else Keyring.of(data_dir)
        migrations.upgrade(store, self.keyring)
        self.default_boot_delay = default_boot_delay
        self.default_created_delay = default_created_delay
        self.faults = faults if faults is not None else FaultBook()
        self._allocate_port = allocate_port or (lambda used: free_port(LOOPBACK, avoid=used))
        meta = store.meta()
        self.seed: int = meta.get("seed", seed)
        epoch: float = meta.get("epoch", wall())
        self.clock = Clock(meta.get("clock_offset", 0.0), wall=wall)
        self.market = Market(self.seed, epoch)
        self._next: dict[str, int] = {
            "account": meta.get("next_account", FIRST_ACCOUNT_ID),
            "instance": meta.get("next_instance", FIRST_INSTANCE_ID),
            "ssh_key": meta.get("next_ssh_key", FIRST_SSH_KEY_ID),
        }
        if "seed" not in meta or "epoch" not in meta:
            with store.transaction():
                store.set_meta("seed", self.seed)
                store.set_meta("epoch", epoch)
        self.accounts: dict[str, Account] = {
            r["digest"]: Account(**r) for r in store.load("accounts")
        }
        """By digest of their key."""
        self.instances: dict[int, Instance] = {
            r["id"]: Instance.from_record(r, self.keyring) for r in store.load("instances")
        }
        self.ssh_keys: dict[int, SshKey] = {r["id"]: SshKey(**r) for r in store.load("ssh_keys")}
        self._columns: list[str] | None = None
        self._live: dict[str, dict[int, Instance]] = {}
        """Instances not destroyed, by owner: the hot paths never scan the ledger."""
        self._container_keys: dict[str, int] = {}
        """Live instances by the digest of their CONTAINER_API_KEY."""
        for instance in self.instances.values():
            self._index(instance)

    # ---- bookkeeping ------------------------------------------------------------------

    def _index(self, instance: Instance) -> None:
        if instance.alive:
            self._live.setdefault(instance.account, {})[instance.id] = instance
            self._container_keys[self.digest(instance.container_key)] = instance.id

    def _unindex(self, instance: Instance) -> None:
        self._live.get(instance.account, {}).pop(instance.id, None)
        self._container_keys.pop(self.digest(instance.container_key), None)

    def _live_of(self, owner: str) -> list[Instance]:
        return list(self._live.get(owner, {}).values())

    def _all_live(self) -> list[Instance]:
        return [instance for live in self._live.values() for instance in live.values()]

    def _take_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        self.store.set_meta(f"next_{kind}", value + 1)
        return value

    def _save(self, instance: Instance) -> None:
        self.store.put("instances", instance.id, instance.to_record(self.keyring))

    def digest(self, api_key: str) -> str:
        """How an API key is known here (see `sealing`)."""
        return self.keyring.digest(api_key)

    def instance_dir(self, instance_id: int) -> Path:
        return self.data_dir / "instances" / str(instance_id)

    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> float:
        try:
            now = self.clock.advance(seconds)
        except ValueError as exc:
            raise BadRequest(f"Invalid args: {exc}") from exc
        self.store.set_meta("clock_offset", self.clock.offset)
        return now

    def reset(self) -> None:
        """Forget every account, instance and key (ids keep increasing); time is now again."""
        self.store.clear()
        self.accounts.clear()
        self.instances.clear()
        self._live.clear()
        self._container_keys.clear()
        self.ssh_keys.clear()
        self.faults.clear()
        self.clock.reset()
        self.store.set_meta("clock_offset", 0.0)

    # ---- accounts -----------------------------------------------------------------------

    def account(self, api_key: str) -> Account:
        """The key's account, opened on first use."""
        digest = self.digest(api_key)
        account = self.accounts.get(digest)
        if account is None:
            account = Account(
                digest=digest,
                key_hint=mask_key(api_key),
                id=self._take_id("account"),
                created_at=self.now(),
            )
            self.accounts[digest] = account
            self.store.put("accounts", digest, asdict(account))
        return account

    def configure_account(self, api_key: str, changes: dict[str, Any]) -> Account:
        account = self.account(api_key)
        for name in ("credit", "boot_delay", "created_delay", "rate_limits", "rate_burst"):
            if name in changes:
                setattr(account, name, changes[name])
        self.store.put("accounts", account.digest, asdict(account))
        return account

    def boot_delay(self, account: Account) -> float:
        return self.default_boot_delay if account.boot_delay is None else account.boot_delay

    def created_delay(self, account: Account) -> float:
        """Seconds a new instance spends before loading: the first half with no status,
        the second `created`."""
        delay = account.created_delay
        return self.default_created_delay if delay is None else delay

    def spent(self, account: Account) -> float:
        now = self.now()
        return sum(
            inst.costs(now).total
            for inst in self.instances.values()
            if inst.account == account.digest
        )

    def user_json(self, account: Account) -> dict[str, Any]:
        return user_view(account, self.account_keys(account), self.spent(account))

    # ---- market -------------------------------------------------------------------------

    def _gpus_in_use(self, owner: str, machine_id: int, *, exclude: int | None) -> int:
        own = sum(
            inst.num_gpus
            for inst in self._live_of(owner)
            if inst.machine_id == machine_id and inst.phase in HOLDS_GPUS and inst.id != exclude
        )
        taken = sum(
            self.market.offers[offer_id].num_gpus
            for offer_id in self.faults.taken_offers(owner)
            if offer_id in self.market.offers
            and self.market.offers[offer_id].machine.id == machine_id
        )
        return own + taken

    def _gpus_free(self, owner: str, offer: OfferSpec, *, exclude: int | None = None) -> bool:
        in_use = self._gpus_in_use(owner, offer.machine.id, exclude=exclude)
        return offer.num_gpus <= offer.machine.num_gpus - in_use

    def offer_available(self, owner: str, offer: OfferSpec) -> bool:
        """Whether the account (by digest) may rent the offer now: nobody else took it, its
        own instances don't hold it, and its machine has the GPUs free."""
        return self._can_hold(owner, offer, exclude=None)

    def _can_hold(self, owner: str, offer: OfferSpec, *, exclude: int | None) -> bool:
        if offer.id in self.faults.taken_offers(owner):
            return False
        if any(
            inst.offer_id == offer.id and inst.phase in HOLDS_GPUS and inst.id != exclude
            for inst in self._live_of(owner)
        ):
            return False
        return self._gpus_free(owner, offer, exclude=exclude)

    def search_offers(self, account: Account | None, body: dict[str, Any]) -> list[dict[str, Any]]:
        """`POST /api/v0/bundles/`: the account's view of the market, filtered and ordered."""
        try:
            filters, controls = split_search_body(body)
        except FilterError as exc:
            raise BadRequest(str(exc)) from exc
        offer_type = normalize_offer_type(controls.get("type"))
        if offer_type is None:
            raise BadRequest(f"type must be on-demand, bid or reserved, got {controls['type']!r}")
        storage = controls.get("allocated_storage")
        storage_gb = DEFAULT_SEARCH_STORAGE_GB if storage is None else storage
        if not isinstance(storage_gb, int | float) or not 0 <= storage_gb <= MAX_SEARCH_STORAGE_GB:
            raise BadRequest(
                f"allocated_storage must be 0 to {MAX_SEARCH_STORAGE_GB:g} GB, got {storage!r:.40}"
            )
        now = self.now()
        key = account.digest if account is not None else None
        rented_machines = {
            inst.machine_id
            for inst in (self._live_of(key) if key is not None else [])
            if inst.phase in HOLDS_GPUS
        }
        rows = [
            self.market.render(
                offer,
                now=now,
                storage_gb=float(storage_gb),
                offer_type=offer_type,
                rented=offer.machine.id in rented_machines,
            )
            for offer in self.market
            if key is None or self.offer_available(key, offer)
        ]
        return filter_offers(
            rows,
            filters,
            controls.get("order"),
            controls.get("limit"),
            default_limit=DEFAULT_SEARCH_LIMIT,
        )

    # ---- instances ----------------------------------------------------------------------

    def _used_ports(self) -> set[int]:
        return {port for inst in self._all_live() for port in inst.ports.values()}

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
        image = request.image or (DEFAULT_IMAGE if request.template_hash_id else None)
        if not image:
            raise BadRequest(
                "Invalid args: 'image' is required (or a template_hash_id)", ask_id=offer_id
            )
        if request.disk > offer.disk_space:
            raise BadRequest(
                f"Invalid args: disk {request.disk:g} GB exceeds the offer's "
                f"{offer.disk_space:g} GB of disk_space",
                ask_id=offer_id,
            )
        env = envflags.normalize_env(request.env)
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
        now = self.now()
        instance_id = self._take_id("instance")
        used = self._used_ports()
        instance = Instance(
            id=instance_id,
            account=account.digest,
            account_id=account.id,
            offer_id=offer.id,
            machine_id=offer.machine.id,
            num_gpus=offer.num_gpus,
            image=image,
            disk=request.disk,
            env=env,
            onstart=request.onstart,
            label=request.label,
            runtype=request.runtype or ("args" if request.args else "ssh"),
            image_args=list(request.args or []),
            template_hash_id=request.template_hash_id,
            is_bid=bid is not None,
            gpu_dph=bid if bid is not None else offer.dph_base,
            storage_dph=storage_dph(offer.machine.storage_cost, request.disk),
            created_at=now,
            phase=Phase.STOPPED,
            intended="running",
            container_key=new_key(INSTANCE_KEY_PREFIX),
            jupyter_token=secrets.token_hex(32),
            ports={"ssh": self._allocate_port(used)},
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
        self.instance_dir(instance_id).mkdir(parents=True, exist_ok=True)
        self.instances[instance_id] = instance
        self._index(instance)
        self._save(instance)
        if outbid:
            # Vast's clients read the stranded instance from `new_contract`, to destroy it.
            raise InvalidPrice(
                f"Invalid price: bid {bid} $/hour is below the minimum bid {offer.min_bid} "
                "$/hour; the instance was created stopped",
                ask_id=offer_id,
                new_contract=instance_id,
            )
        return instance

    def _begin_loading(self, instance: Instance, account: Account, now: float) -> None:
        stuck = self.faults.stuck_loading(account.digest)
        instance.phase_ends_at = None if stuck else now + self.boot_delay(account)
        instance.enter(Phase.LOADING, now, f"Pulling image {instance.image}")

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
        return self._live_of(account.digest)

    def busy(self) -> bool:
        """Whether some instance is loading, running or waiting to be scheduled."""
        active = {*PENDING, Phase.RUNNING, Phase.SCHEDULING}
        return any(instance.phase in active for instance in self._all_live())

    def instance_by_container_key(self, key: str) -> Instance | None:
        instance_id = self._container_keys.get(self.digest(key))
        return self.instances[instance_id] if instance_id is not None else None

    def set_state(self, account: Account, instance_id: int, state: str) -> Instance:
        instance = self._require(account, instance_id)
        now = self.now()
        if state == "stopped":
            instance.intended = "stopped"
            instance.phase_ends_at = None
            if instance.phase is not Phase.STOPPED:
                instance.enter(Phase.STOPPED, now, "Stopped by user")
        elif instance.phase not in {*PENDING, Phase.RUNNING, Phase.SCHEDULING}:
            instance.intended = "running"
            self._schedule_start(instance, now)
        self._save(instance)
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
        return instance

    def host_lost(self, instance_id: int, status: Phase = Phase.OFFLINE) -> Instance:
        """A running (or loading) instance's machine dies: offline, or its container exited."""
        instance = self.instances.get(instance_id)
        if instance is None or not instance.alive:
            raise NotFound(f"no live instance {instance_id}")
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
        return instance

    def preempt(self, instance_id: int) -> Instance:
        """An interruptible instance is outbid: stopped, and its GPUs go to the outbidder."""
        instance = self.instances.get(instance_id)
        if instance is None or not instance.alive:
            raise NotFound(f"no live instance {instance_id}")
        instance.intended = "stopped"
        instance.phase_ends_at = None
        instance.enter(Phase.STOPPED, self.now(), "Instance was outbid and stopped (preempted)")
        self.faults.take_offer(instance.account, instance.offer_id)
        self._save(instance)
        return instance

    def tick(self) -> list[int]:
        """Apply the transitions that are due, but for boots that end (see `due_boots`);
        return the ids whose phase changed."""
        now = self.now()
        changed: list[int] = []
        for instance in self._all_live():
            if self._advance_pending(instance, now):
                changed.append(instance.id)
            elif instance.phase is Phase.SCHEDULING:
                offer = self.market.offers[instance.offer_id]
                if self._can_hold(instance.account, offer, exclude=instance.id):
                    self._begin_loading(instance, self.accounts[instance.account], now)
                    changed.append(instance.id)
        if changed:
            with self.store.transaction():
                for instance_id in changed:
                    self._save(self.instances[instance_id])
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

    def plan_ports(self, instance: Instance) -> dict[str, int]:
        """Host ports for the SSH proxy, the direct 22/tcp and every `-p` mapping, keeping the
        ones the instance had."""
        used = self._used_ports() - set(instance.ports.values())
        ports: dict[str, int] = {}
        for name in ("ssh", "22/tcp", *envflags.port_mappings(instance.env)):
            port = instance.ports.get(name) or self._allocate_port(used)
            used.add(port)
            ports[name] = port
        return ports

    def host_env(self, instance: Instance, ports: dict[str, int], api_url: str) -> dict[str, str]:
        """The environment Vast gives the container, plus the user's `-e` variables."""
        env = envflags.user_variables(instance.env)
        env.setdefault("VAST_URL", api_url)
        env.update(
            {
                "CONTAINER_ID": str(instance.id),
                "CONTAINER_API_KEY": instance.container_key,
                "VAST_CONTAINERLABEL": f"C.{instance.id}",
                "PUBLIC_IPADDR": LOOPBACK,
            }
        )
        for name, port in ports.items():
            if name != "ssh":
                number, proto = name.split("/")
                env[f"VAST_{proto.upper()}_PORT_{number}"] = str(port)
        return env

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

    def instance_json(self, instance: Instance) -> dict[str, Any]:
        return instance_view(instance, self.market, self.now())

    def instance_columns(self) -> list[str]:
        if self._columns is None:
            self._columns = instance_columns(self.market)
        return self._columns

    # ---- ssh keys -----------------------------------------------------------------------

    def account_keys(self, account: Account) -> list[SshKey]:
        return sorted(
            (k for k in self.ssh_keys.values() if k.account == account.digest),
            key=lambda k: k.id,
        )

    def create_ssh_key(self, account: Account, public_key: str | None) -> SshKey:
        text = _valid_public_key(public_key)
        key = SshKey(
            id=self._take_id("ssh_key"),
            account=account.digest,
            account_id=account.id,
            key=text,
            created_at=self.now(),
        )
        self.ssh_keys[key.id] = key
        self.store.put("ssh_keys", key.id, asdict(key))
        return key

    def _own_key(self, account: Account, key_id: int) -> SshKey:
        key = self.ssh_keys.get(key_id)
        if key is None or key.account != account.digest:
            raise NoSshKey(f"No ssh key with id {key_id}")
        return key

    def update_ssh_key(self, account: Account, key_id: int, public_key: str | None) -> SshKey:
        key = self._own_key(account, key_id)
        key.key = _valid_public_key(public_key)
        self.store.put("ssh_keys", key.id, asdict(key))
        return key

    def delete_ssh_key(self, account: Account, key_id: int) -> None:
        self._own_key(account, key_id)
        del self.ssh_keys[key_id]
        self.store.delete("ssh_keys", key_id)

    def attach_ssh_key(self, account: Account, instance_id: int, public_key: str | None) -> int:
        instance = self._require(account, instance_id)
        text = _valid_public_key(public_key)
        for key in self.account_keys(account):
            if _same_key(key.key, text):
                if key.id in instance.detached_key_ids:
                    instance.detached_key_ids.remove(key.id)
                    self._save(instance)
                return key.id
        for attached in instance.attached_keys:
            if _same_key(attached["key"], text):
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

    # ---- ledger -------------------------------------------------------------------------

    def ledger(self, api_key: str | None = None) -> dict[str, Any]:
        """Every instance ever created (optionally of one account) and what it cost."""
        owner = self.digest(api_key) if api_key is not None else None
        instances = [i for i in self.instances.values() if owner is None or i.account == owner]
        return ledger_report(instances, self.market, self.now())

    def internal_json(self, instance_id: int) -> dict[str, Any]:
        """What the simulator knows about an instance (admin only), secrets masked."""
        instance = self.instances.get(instance_id)
        if instance is None:
            raise NotFound(f"no instance {instance_id}")
        return internal_view(
            instance,
            account=self.accounts[instance.account],
            folder=self.instance_dir(instance_id),
            authorized_keys=self.authorized_keys(instance_id),
        )

    def gpu_names(self) -> Iterable[str]:
        return self.market.gpu_names


def _same_key(a: str, b: str) -> bool:
    return a.split()[:2] == b.split()[:2]


def _valid_public_key(text: str | None) -> str:
    if text is None or not text.strip():
        raise NoSshKey("No ssh key provided")
    text = text.strip()
    parts = text.split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES or len(parts[1]) < 16:
        raise BadRequest(
            "Invalid ssh key: expected an OpenSSH public key line such as "
            "'ssh-ed25519 AAAAC3Nz... comment' (the contents of a .pub file)"
        )
    return text
