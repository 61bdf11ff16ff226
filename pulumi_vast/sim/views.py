"""What the API shows of the records: instance rows and the current user (and, to the admin
routes, an instance's record with its secrets masked).

An instance row is its offer's machine fields (priced for its disk) overlaid with the
contract's own: states, ports, env, prices, timestamps. The field set and types follow
openapi's instance schemas and what the official CLI displays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pulumi_vast.sim.marketplace import Market
from pulumi_vast.sim.masking import HIDDEN, mask_env, mask_key
from pulumi_vast.sim.records import (
    DEFAULT_IMAGE,
    LOOPBACK,
    Account,
    Instance,
    Phase,
    SshKey,
)

__all__ = [
    "FILTERABLE_INSTANCE_COLUMNS",
    "instance_columns",
    "instance_view",
    "internal_view",
    "user_view",
]

FILTERABLE_INSTANCE_COLUMNS = frozenset(
    {
        "id",
        "actual_status",
        "intended_status",
        "cur_state",
        "next_state",
        "label",
        "gpu_name",
        "verification",
        "machine_id",
        "host_id",
        "image_uuid",
        "template_id",
        "template_hash_id",
        "start_date",
        "is_bid",
        "disk_space",
        "geolocation",
    }
)
"""Columns stored on the contract record (openapi: computed ones such as dph_total and
num_gpus are not filterable)."""
_OFFER_ONLY_FIELDS = (
    "ask_contract_id",
    "bundled_results",
    "rented",
    "rn",
    "dph_total_adj",
    "discount_rate",
    "discounted_dph_total",
    "discounted_hourly",
    "avail_vol_ask_id",
    "avail_vol_dph",
    "avail_vol_size",
    "datacenter",
    "verified",
    "vericode",
)
_STATES: dict[Phase, tuple[str, str]] = {
    Phase.NEW: ("stopped", "running"),
    Phase.CREATED: ("stopped", "running"),
    Phase.LOADING: ("running", "running"),
    Phase.RUNNING: ("running", "running"),
    Phase.STOPPED: ("stopped", "stopped"),
    Phase.SCHEDULING: ("stopped", "running"),
    Phase.OFFLINE: ("running", "running"),
    Phase.EXITED: ("running", "running"),
}
"""(cur_state, next_state) of the contract in each phase."""


def instance_view(
    instance: Instance,
    market: Market,
    now: float,
    volume_info: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The instance as `GET /api/v0/instances/{id}/` and the v1 list return it
    (`volume_info`: the volumes it mounts, as the row lists them)."""
    offer = market.offers[instance.offer_id]
    row = market.render(
        offer,
        now=now,
        storage_gb=instance.disk,
        offer_type="bid" if instance.is_bid else "on-demand",
        rented=True,
    )
    for name in _OFFER_ONLY_FIELDS:
        row.pop(name, None)
    running = instance.phase is Phase.RUNNING
    cur_state, next_state = _STATES.get(instance.phase, ("stopped", "stopped"))
    last_start = instance.transitions[-1][0] if running else None
    pricing = {
        "gpuCostPerHour": instance.gpu_dph if running else 0,
        "diskHour": instance.storage_dph,
        "totalHour": instance.dph_total if running else instance.storage_dph,
        "discountTotalHour": 0,
        "discountedTotalPerHour": instance.dph_total if running else instance.storage_dph,
    }
    row.update(
        {
            "id": instance.id,
            "actual_status": None if instance.phase is Phase.NEW else str(instance.phase),
            "intended_status": instance.intended,
            "cur_state": cur_state,
            "next_state": next_state,
            "status_msg": instance.status_msg,
            "label": instance.label,
            "template_id": instance.template_id,
            "template_hash_id": instance.template_hash_id,
            "template_name": instance.template_name,
            "image_uuid": instance.image,
            "image_args": instance.image_args,
            "image_runtype": instance.runtype,
            "extra_env": [[key, value] for key, value in instance.env.items()],
            "onstart": instance.onstart or "",
            "jupyter_token": instance.jupyter_token,
            "public_ipaddr": LOOPBACK,
            "local_ipaddrs": f"{LOOPBACK}\n",
            "ssh_host": LOOPBACK,
            "ssh_idx": "1",
            "ssh_port": instance.ports["ssh"],
            "machine_dir_ssh_port": instance.ports["ssh"],
            "ports": (
                {
                    name: [{"HostIp": "0.0.0.0", "HostPort": str(port)}]
                    for name, port in instance.ports.items()
                    if name != "ssh"
                }
                if running
                else None
            ),
            "start_date": instance.created_at,
            "uptime_mins": (now - last_start) / 60 if last_start is not None else None,
            "gpu_totalram": row["gpu_total_ram"],
            "gpu_util": 0.0 if running else None,
            "gpu_temp": 34.0 if running else None,
            "cpu_util": 0.0,
            "mem_limit": None,
            "mem_usage": None,
            "vmem_usage": None,
            "disk_space": instance.disk,
            "disk_util": 0.0,
            "disk_usage": 0.0,
            "direct_port_start": -1,
            "direct_port_end": -1,
            "rentable": True,
            "min_bid": offer.min_bid,
            "is_bid": instance.is_bid,
            "dph_base": instance.gpu_dph,
            "dph_total": instance.dph_total,
            "dlperf_per_dphtotal": row["dlperf"] / instance.dph_total,
            "flops_per_dphtotal": row["total_flops"] / instance.dph_total,
            "storage_total_cost": instance.storage_dph,
            "search": pricing,
            "instance": pricing,
            "credit_balance": None,
            "credit_discount": None,
            "client_run_time": instance.costs(now).running_seconds / 3600,
            "host_run_time": max(0.0, now - market.epoch) / 3600,
            "country_code": offer.machine.country,
            "volume_info": list(volume_info),
        }
    )
    return row


def instance_columns(market: Market) -> list[str]:
    """Every column an instance row has (also when an account has no instance)."""
    offer = next(iter(market))
    sample = Instance(
        id=0,
        account="",
        account_id=0,
        offer_id=offer.id,
        machine_id=offer.machine.id,
        num_gpus=offer.num_gpus,
        image=DEFAULT_IMAGE,
        disk=10.0,
        env={},
        onstart=None,
        label=None,
        runtype="ssh",
        image_args=[],
        template_hash_id=None,
        is_bid=False,
        gpu_dph=offer.dph_base,
        storage_dph=0.0,
        created_at=0.0,
        phase=Phase.STOPPED,
        intended="stopped",
        container_key="",
        jupyter_token="",
        ports={"ssh": 0},
    )
    return list(instance_view(sample, market, 0.0))


def internal_view(
    instance: Instance, *, account: Account, folder: Path, authorized_keys: Sequence[str]
) -> dict[str, Any]:
    """The instance as `GET /_sim/instances/{id}` shows it: its record, its owner, folder
    and the keys that may log in, with every secret masked (`masking`)."""
    row = asdict(instance)
    row.pop("account")
    row["transitions"] = [[at, str(phase)] for at, phase in instance.transitions]
    row["phase"] = str(instance.phase)
    row.update(
        {
            "account_key": account.key_hint,
            "container_key": mask_key(instance.container_key),
            "jupyter_token": HIDDEN,
            "env": mask_env(instance.env),
            "account_env": mask_env(instance.account_env),
            "onstart": HIDDEN if instance.onstart else instance.onstart,
            "folder": str(folder),
            "authorized_keys": list(authorized_keys),
        }
    )
    return row


def user_view(account: Account, keys: Sequence[SshKey], spent: float) -> dict[str, Any]:
    """The account as `GET /api/v0/users/current/` returns it."""
    balance = round(account.credit - spent, 6)
    return {
        "id": account.id,
        "key_id": account.id * 10 + 1,
        "email": account.email,
        "username": f"user{account.id}",
        "fullname": f"Simulated User {account.id}",
        "balance": balance,
        "credit": balance,
        "balance_threshold": 0.0,
        "balance_threshold_enabled": False,
        "billed_expected": 0.0,
        "billed_verified": 0.0,
        "billing_creditonly": True,
        "can_pay": True,
        "email_verified": True,
        "got_signup_credit": True,
        "has_billing": True,
        "has_payout": False,
        "host_agreement_accepted": False,
        "paid_expected": 0.0,
        "paid_verified": 0.0,
        "password_resettable": False,
        "ssh_key": keys[-1].key if keys else "",
        "sid": f"sim-{account.id}",
        "user": f"user{account.id}",
    }
