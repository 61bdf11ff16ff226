"""`pulumi-vast cost --stack S`: what each resource of a stack has cost so far, and costs now.

    pulumi-vast cost --stack dev
    pulumi-vast cost --stack team/gpu/prod --cwd infra --days 30 --json

Run in the stack's project folder (or --cwd), with what its backend needs
(PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE...): the stack's state and its `vast:`
settings come from the `pulumi` CLI. The numbers come from Vast: "so far" is the account's
charges per contract over the last --days (GET /api/v0/charges/, what `vastai show
invoices-v1 --charges` shows; an instance the state still holds but Vast no longer has
still shows what it cost), "per hour" what it bills now (`dph_total` while it runs, its
disk's `storage_total_cost` when stopped, 0 once gone).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pulumi_vast.api import VastClient, VastError
from pulumi_vast.resources._connection import connection_for
from pulumi_vast.tools._stack import StackError, StackView, find_pulumi, read_stack

__all__ = ["CostRow", "register", "stack_costs"]

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class CostRow:
    resource: str
    kind: str
    id: int
    status: str
    per_hour: float
    so_far: float


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cost",
        help="what each resource of a stack has cost so far and costs per hour",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser)
    parser.add_argument(
        "--days",
        type=float,
        default=DEFAULT_DAYS,
        help=f"how far back charges count (default {DEFAULT_DAYS})",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="the stack, as `pulumi --stack` takes it")
    parser.add_argument(
        "--cwd", type=Path, default=Path("."), help="the project folder (default: here)"
    )
    parser.add_argument("--pulumi", help="the pulumi CLI (default: beside this Python, or PATH)")


def run(args: argparse.Namespace) -> int:
    try:
        stack = read_stack(args.stack, cwd=args.cwd, pulumi=find_pulumi(args.pulumi))
        rows = stack_costs(stack, connection_for(stack.settings).client, days=args.days)
    except (StackError, VastError) as exc:
        print(f"pulumi-vast cost: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
        return 0
    print(_table(rows) if rows else f"stack {args.stack} holds nothing that bills")
    per_hour = sum(row.per_hour for row in rows)
    print(
        f"\ntotal: {sum(row.so_far for row in rows):.3f} USD so far (last {args.days:g} days); "
        f"{per_hour:.4f} USD/h now ({per_hour * 24:.2f} USD/day)"
    )
    return 0


def stack_costs(stack: StackView, client: VastClient, *, days: float) -> list[CostRow]:
    """One row per instance and volume the stack's state holds."""
    instances = {live.id: live for live in client.instances.list()}
    now = client.server_time()  # after an answer: Vast's clock
    charges = {
        charge.contract: charge.amount
        for charge in client.charges.list(now - days * 86400, now + 60)
        if charge.contract is not None
    }
    rows: list[CostRow] = []
    for resource in stack.instances:
        instance_id = resource.instance_id
        assert instance_id is not None
        live = instances.get(instance_id)
        if live is None:
            status, per_hour = "gone", 0.0
        elif live.intended_status == "stopped":
            status, per_hour = live.actual_status or "stopped", live.storage_total_cost or 0.0
        else:
            status, per_hour = live.actual_status or "", live.dph_total or 0.0
        so_far = charges.get(("instance", instance_id), 0.0)
        rows.append(CostRow(resource.name, "instance", instance_id, status, per_hour, so_far))
    volumes = [r for r in stack.resources if r.kind in ("Volume", "NetworkVolume")]
    if volumes:
        listed = {v.id: v for v in [*client.volumes.list(), *client.network_volumes.list()]}
        for resource in volumes:
            volume_id = int(resource.outputs.get("volume_id") or 0)
            if not volume_id:
                continue
            volume = listed.get(volume_id)
            rows.append(
                CostRow(
                    resource.name,
                    "volume",
                    volume_id,
                    (volume.status or "") if volume is not None else "gone",
                    (volume.storage_total_cost or 0.0) if volume is not None else 0.0,
                    charges.get(("volume", volume_id), 0.0),
                )
            )
    return rows


_COLUMNS = ("resource", "kind", "id", "status", "$/h now", "so far $")


def _table(rows: list[CostRow]) -> str:
    cells = [
        [r.resource, r.kind, str(r.id), r.status, f"{r.per_hour:.4f}", f"{r.so_far:.3f}"]
        for r in rows
    ]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(_COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)
