"""Renting an instance as one transaction: choose, rent, wait until ready, or leave nothing.

The marketplace is flaky in known ways (NOTES.md "Field notes"): offers vanish between
search and rent, a create's response can be lost after the server acted on it, a host can
die while the instance boots. A `Rental` absorbs those and either returns a ready instance
or raises after destroying whatever it rented, so a failed `pulumi up` never leaves a
billing instance behind.

When even that fails (Vast refuses every attempt to destroy), the instance is never
forgotten: the create raises `CreatedButFailed`, so the engine keeps it in the state to be
replaced, refreshed or destroyed later, and it carries its owner's tags (`_owner`), so the
next run of the stack finds it even where the engine could not record it. A rental that
finds an instance of its own resource left by an interrupted run adopts it when it is what
this create asks for, and destroys it otherwise, before renting anything.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_vast import _stopping as stopping
from pulumi_vast import remote
from pulumi_vast._partial import CreatedButFailed
from pulumi_vast.api import (
    OFFER_FIELDS,
    APIError,
    CreateInstanceRequest,
    InstanceCreatedWithError,
    Offer,
    ResponseLost,
    Runtype,
    VastError,
    VolumeAttachment,
)
from pulumi_vast.api import Instance as LiveInstance
from pulumi_vast.api.units import gib
from pulumi_vast.market import describe_offer
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._connection import Connection
from pulumi_vast.resources._errors import RentalFailed
from pulumi_vast.resources._fields import known
from pulumi_vast.resources._offers import OfferSearch
from pulumi_vast.resources._owner import SPEC_TAG_ENV, Owner, spec_digest
from pulumi_vast.resources._ttl import EXPIRES_ENV, deadline, expiry_of, iso
from pulumi_vast.resources._waiting import (
    InstanceFailed,
    InstanceOutbid,
    NotRunningInTime,
    Readiness,
    wait_until_ready,
)

__all__ = [
    "MAX_CANDIDATES",
    "SEARCH_MAX_AGE",
    "TAG_ENV",
    "Rental",
    "RentalFailed",
    "RentalOutcome",
    "expected_outputs",
    "failed_outputs",
    "instance_outputs",
    "offer_snapshot",
    "plan_request",
]

TAG_ENV = "PULUMI_VAST_TAG"
"""Env var carrying a create's unique tag, so a create whose answer was lost can be found."""
MAX_CANDIDATES = 25
"""Matching offers tried, best first, when offers are taken under us."""
SEARCH_MAX_AGE = 10.0
"""Seconds a search may serve parallel creates (taken offers are skipped anyway)."""
MAX_BOOT_FAILURES = 3
"""Instances allowed to die while booting (host lost, image failure) before giving up."""
LOST_ANSWER_PATIENCE = 30.0
"""Seconds to look for the instance of a create whose answer was lost before giving up."""
_OFFER_GONE_ERRORS = frozenset({"no_such_ask", "ask_not_available", "offer_unavailable"})
_RUNTYPES: dict[tuple[str, bool], Runtype] = {
    ("ssh", False): "ssh_proxy",
    ("ssh", True): "ssh_direct",
    ("jupyter", False): "jupyter_proxy",
    ("jupyter", True): "jupyter_direct",
    ("args", False): "args",
    ("args", True): "args",
}


def plan_request(args: Any) -> CreateInstanceRequest:
    """The create body for resolved `InstanceArgs` (the tag is added per attempt)."""
    mounts = known(args.volumes) or []
    return CreateInstanceRequest(
        volume=(
            VolumeAttachment.link(int(known(mounts[0].volume)), known(mounts[0].path))
            if mounts
            else None
        ),
        image=known(args.image),
        template_hash_id=known(args.template),
        disk=float(known(args.disk_gb)),
        env=dict(known(args.env) or {}),
        ports=tuple(str(port) for port in known(args.ports) or []),
        onstart=known(args.onstart),
        runtype=_RUNTYPES[(known(args.runtype), bool(known(args.direct)))],
        label=known(args.label),
        price=known(args.bid_price),
    )


@dataclass(frozen=True)
class RentalOutcome:
    instance: LiveInstance
    offer: dict[str, Any]
    note: str


@dataclass
class Rental:
    connection: Connection
    request: CreateInstanceRequest
    search: OfferSearch
    readiness: Readiness
    ssh_keys: tuple[str, ...] = ()
    """Public keys to attach to the instance (besides the account's)."""
    owner: Owner | None = None
    """The stack and resource renting; None for a state written before owners existed."""
    max_hours: float | None = None
    """The TTL: its deadline, counted on Vast's clock from the first attempt to rent, is
    given to the instance as a tag (`_ttl`)."""
    expires_at: int | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = stopping.sleep
    notes: list[str] = field(default_factory=list)

    @property
    def spec(self) -> str:
        """Digest of what this create asks for: an instance left behind is adopted only
        when its digest is the same."""
        return spec_digest(
            {
                "request": self.request.model_dump(mode="json", exclude={"label", "env"}),
                "env": sorted(self.request.env.items()),
                "search": [
                    self.search.query.render() if self.search.query else None,
                    self.search.offer_id,
                    self.search.disk_gb,
                    self.search.bid,
                ],
            }
        )

    def run(self) -> RentalOutcome:
        # Counted, so that a stock provider host orphaned by its engine waits for the
        # rollback before it exits (`stopping.guard_unhosted`).
        with stopping.in_flight():
            return self._run()

    def _run(self) -> RentalOutcome:
        adopted = self._left_behind()
        if adopted is not None:
            return adopted
        candidates = self._candidates()
        offers = self.connection.offers
        attempts = boot_failures = shared = 0
        for offer in candidates:
            if attempts >= MAX_CANDIDATES:
                break
            stopping.check()  # nothing new is rented once the engine has gone
            if not offers.claim(offer.id):
                shared += 1  # another create of this stack is renting it right now
                continue
            attempts += 1
            try:
                instance_id = self._rent(offer)
            except BaseException:
                offers.release(offer.id)
                raise
            if instance_id is None:
                continue  # taken by someone else: it stays claimed, it is gone anyway
            try:
                live = self._until_ready(instance_id)
            except InstanceOutbid as exc:
                self._destroy(instance_id, reason=str(exc), offer=offer)
                raise RentalFailed(
                    f"{exc}. It was destroyed: raise bid_price to at least the current "
                    "minimum, or rent on demand (drop bid_price)"
                ) from None
            except InstanceFailed as exc:
                # The host failed us: destroy, and keep its offer claimed so no create here
                # picks it again.
                self._destroy(instance_id, reason=str(exc), offer=offer)
                boot_failures += 1
                self.notes.append(f"instance {instance_id} on offer {offer.id} failed: {exc}")
                if boot_failures >= MAX_BOOT_FAILURES:
                    raise RentalFailed(
                        self._story("instances kept failing while booting")
                    ) from None
                continue
            except BaseException as exc:
                try:
                    self._destroy(instance_id, reason=_reason(exc), offer=offer)
                finally:
                    offers.release(offer.id)
                raise
            if shared:
                self.notes.append(f"{shared} better offers went to other instances of this stack")
            return RentalOutcome(live, offer_snapshot(offer), self._note(offer, candidates))
        raise RentalFailed(
            self._story(f"none of the {len(candidates)} matching offers could be rented")
        )

    def _candidates(self) -> list[Offer]:
        search = self.search
        offers = self.connection.offers.ranked(search, max_age=SEARCH_MAX_AGE)
        if offers:
            return offers
        if search.offer_id is not None:
            raise RentalFailed(
                f"offer {search.offer_id} is not on the market (rented or withdrawn)"
            )
        assert search.query is not None
        raise RentalFailed(
            f"no offer on the market matches {search.query.render()!r} with "
            f"{search.disk_gb:g} GB of disk; loosen the query (price cap, reliability, GPU "
            "RAM) or disk_gb, or try again later"
        )

    def _rent(self, offer: Offer) -> int | None:
        """The new instance's id, or None when the offer was taken meanwhile."""
        tag = secrets.token_hex(8)
        tags = {TAG_ENV: tag, SPEC_TAG_ENV: self.spec}
        if self.owner is not None:
            tags.update(self.owner.tags())
        if self.max_hours is not None:
            if self.expires_at is None:  # after the search: the service's clock is known
                now = self.connection.client.server_time()
                self.expires_at = deadline(self.max_hours, now=now)
            tags[EXPIRES_ENV] = str(self.expires_at)
        request = self.request.model_copy(update={"env": {**(self.request.env or {}), **tags}})
        progress.status(f"renting {describe_offer(offer.model_dump())}")
        try:
            return self.connection.client.instances.create(offer.id, request)
        except InstanceCreatedWithError as exc:
            # Refused, yet created (an underbid interruptible is created stopped): never
            # leave it behind.
            self._destroy(exc.instance_id, reason=str(exc), offer=offer)
            raise RentalFailed(f"renting offer {offer.id} failed: {exc}") from exc
        except ResponseLost as exc:
            return self._find_lost(offer, tag, exc)
        except APIError as exc:
            if _offer_gone(exc):
                self.notes.append(f"offer {offer.id} was taken before we could rent it")
                return None
            # A refusal that did not name an instance may still have left one.
            leftover = self._find_tagged(tag, patience=0.0)
            if leftover is not None:
                self._destroy(leftover, reason=str(exc), offer=offer)
            raise RentalFailed(f"renting offer {offer.id} failed: {exc}") from exc

    def _find_lost(self, offer: Offer, tag: str, lost: ResponseLost) -> int:
        """The instance of a create whose answer was lost. The create is never sent again:
        it may have rented the offer, and a second one would rent another."""
        label = self.request.label or ""
        try:
            found = self._find_tagged(tag, patience=LOST_ANSWER_PATIENCE)
        except VastError as exc:
            raise RentalFailed(
                _maybe_rented(offer, tag, label, f"looking for it failed too ({exc})")
            ) from lost
        if found is None:
            raise RentalFailed(
                _maybe_rented(offer, tag, label, f"none showed up in {LOST_ANSWER_PATIENCE:.0f}s")
            ) from lost
        return found

    def _find_tagged(self, tag: str, *, patience: float) -> int | None:
        """The id of the instance carrying ``tag``, looking for up to ``patience`` seconds."""
        seen = self.clock()
        deadline = seen + patience
        while True:
            snapshot = self.connection.watcher.snapshot(after=seen)
            seen = snapshot.started
            for instance in snapshot.value.values():
                if instance.extra_env.get(TAG_ENV) == tag:
                    return instance.id
            if self.clock() >= deadline:
                return None
            self.sleep(1.0)

    def _until_ready(self, instance_id: int) -> LiveInstance:
        for key in self.ssh_keys:
            self.connection.client.instances.attach_ssh_key(instance_id, key)
        try:
            return wait_until_ready(
                self.connection.watcher,
                instance_id,
                self.readiness,
                clock=self.clock,
                sleep=self.sleep,
            )
        except NotRunningInTime as exc:
            raise RentalFailed(
                f"{exc}; it was destroyed. Raise ready.timeout, or pick offers with a faster boot"
            ) from None

    def _left_behind(self) -> RentalOutcome | None:
        """Instances of this resource that an interrupted run left: the one that is what
        this create asks for (and healthy) is adopted, the others are destroyed."""
        owner = self.owner
        if owner is None:
            return None
        found = sorted(
            (
                live
                for live in self.connection.watcher.since_destroyed().value.values()
                if owner.owns(live)
            ),
            key=lambda live: live.id,
        )
        adoptable = [live for live in found if self._adoptable(live)]
        for live in found:
            if live not in adoptable[:1]:
                self._destroy(
                    live.id,
                    reason="it was left by an interrupted run of this stack and is not what "
                    f"{owner.resource} asks for now",
                    offer=None,
                )
        if not adoptable:
            return None
        live = adoptable[0]
        progress.warn(
            f"adopting instance {live.id}: left by an interrupted run of this stack, it is what "
            f"{owner.resource} asks for"
        )
        try:
            ready = self._until_ready(live.id)
        except Exception as exc:
            self._destroy(
                live.id, reason=f"the adopted instance did not get ready: {exc}", offer=None
            )
            return None
        label = self.request.label
        if label is not None and ready.label != label:
            self.connection.client.instances.set_label(live.id, label)
            ready = ready.model_copy(update={"label": label})
        note = f"adopted instance {live.id}, left by an interrupted run of this stack"
        return RentalOutcome(ready, offer_snapshot(ready), note)

    def _adoptable(self, live: LiveInstance) -> bool:
        return (
            live.extra_env.get(SPEC_TAG_ENV) == self.spec
            and live.intended_status != "stopped"
            and not live.is_failed
            and not live.looks_outbid
        )

    def _destroy(self, instance_id: int, *, reason: str, offer: Offer | None) -> None:
        """Give the instance back; when Vast keeps refusing (the client has retried), raise
        `CreatedButFailed` so that it is kept in the state instead of forgotten."""
        progress.warn(f"destroying instance {instance_id}: {reason}")
        try:
            self.connection.client.instances.destroy(instance_id)
        except Exception as exc:
            story = (
                f"instance {instance_id} may still be billing: destroying it after '{reason}' "
                f"failed: {exc}. It is kept in the state, so the next `pulumi up` replaces it "
                f"and `pulumi destroy` destroys it (by hand: vastai destroy instance "
                f"{instance_id})"
            )
            outputs = failed_outputs(instance_id, offer=offer, failure=story)
            raise CreatedButFailed(story, resource_id=str(instance_id), outputs=outputs) from exc

    def _note(self, offer: Offer, candidates: list[Offer]) -> str:
        if self.search.offer_id is not None:
            chosen = f"offer {offer.id} as requested"
        elif offer.id == candidates[0].id:
            chosen = (
                f"best of {len(candidates)} matching offers by {_order_text(self.search.order)}"
            )
        else:
            chosen = f"next best by {_order_text(self.search.order)}, offer {offer.id}"
        return "; ".join([chosen, *self.notes])

    def _story(self, headline: str) -> str:
        return headline + (": " + "; ".join(self.notes) if self.notes else "")


def _maybe_rented(offer: Offer, tag: str, label: str, what: str) -> str:
    return (
        f"renting offer {offer.id}: Vast's answer was lost, so it may have rented it; "
        f"looking for an instance tagged {TAG_ENV}={tag} (label {label!r}), {what}. "
        "If one appears it bills: destroy it (vastai destroy instance ID) or adopt it with "
        "import_. Nothing was rented twice"
    )


def _order_text(order: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{name} {direction}" for name, direction in order)


def _offer_gone(exc: APIError) -> bool:
    return exc.status in (404, 410) or (exc.error or "") in _OFFER_GONE_ERRORS


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return str(exc) or type(exc).__name__


def offer_snapshot(rented: Offer | LiveInstance) -> dict[str, Any]:
    """The queryable offer fields of an offer, or of an instance (which repeats its offer's
    GPU, price and host fields): what a changed query is judged against later."""
    row = rented.as_row()
    if isinstance(rented, LiveInstance):
        row.pop("id", None)  # the instance's id, not its offer's
    return {name: row[name] for name in OFFER_FIELDS if row.get(name) is not None}


def instance_outputs(
    instance: LiveInstance,
    *,
    offer: Mapping[str, Any],
    selection: str,
    private_key_file: Path | None,
) -> dict[str, Any]:
    """The `Instance` resource's outputs for a live instance."""
    expiry = expiry_of(instance.extra_env)
    endpoints = instance.ssh_endpoints()
    gateway = endpoints[0] if endpoints else None
    command = (
        remote.ssh_command(
            remote.SshTarget(host=gateway.host, port=gateway.port, private_key=private_key_file),
        )
        if gateway is not None
        else ""
    )
    return {
        "instance_id": instance.id,
        "offer_id": int(offer["id"]) if offer.get("id") else None,
        "gpu_name": instance.gpu_name or offer.get("gpu_name") or "",
        "num_gpus": int(instance.num_gpus or offer.get("num_gpus") or 0),
        "gpu_ram_gib": gib(float(instance.gpu_ram or offer.get("gpu_ram") or 0)),
        "dph_total": float(instance.dph_total or offer.get("dph_total") or 0),
        "storage_dph": float(instance.storage_total_cost or 0),
        "machine_id": int(instance.machine_id or offer.get("machine_id") or 0),
        "host_id": int(instance.host_id or offer.get("host_id") or 0),
        "public_ip": instance.public_ipaddr or "",
        "ssh_host": gateway.host if gateway else "",
        "ssh_port": gateway.port if gateway else 0,
        "ssh_command": command,
        "status": instance.actual_status or "",
        "selection": selection,
        "offer": dict(offer),
        "label": instance.label or "",
        "failure": "",
        "expires_at": iso(expiry) if expiry is not None else None,
    }


FROM_THE_OFFER = (
    "offer_id",
    "gpu_name",
    "num_gpus",
    "gpu_ram_gib",
    "machine_id",
    "host_id",
    "storage_dph",
)
"""The outputs of an `Instance` that its offer tells before it is rented."""


def expected_outputs(offer: Offer, *, per_hour: float) -> dict[str, Any]:
    """The outputs renting ``offer`` will give, as far as the offer tells beforehand: what a
    preview shows instead of unknowns. ``per_hour`` is its estimated price, disk included."""
    outputs = instance_outputs(
        LiveInstance(id=0), offer=offer_snapshot(offer), selection="", private_key_file=None
    )
    return {
        **{name: outputs[name] for name in FROM_THE_OFFER},
        "dph_total": per_hour,
        # Priced for the disk searched with (its snapshot keeps only queryable fields).
        "storage_dph": float(offer.storage_total_cost or 0),
    }


def failed_outputs(instance_id: int, *, offer: Offer | None, failure: str) -> dict[str, Any]:
    """Outputs for an instance kept in the state only to be replaced or destroyed."""
    snapshot = offer_snapshot(offer) if offer is not None else {}
    outputs = instance_outputs(
        LiveInstance(id=instance_id, actual_status="unknown"),
        offer=snapshot,
        selection="",
        private_key_file=None,
    )
    outputs["failure"] = failure
    return outputs
