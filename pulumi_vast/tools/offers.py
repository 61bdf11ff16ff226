"""`pulumi-vast offers QUERY`: what a query would rent right now, best first, with its cost.

    pulumi-vast offers 'gpu_ram>=24 num_gpus=1 reliability>0.95' --order dph+ --hours 10
    pulumi-vast offers 'gpu_name in [RTX_4090,A100_SXM4]' --url local
    pulumi-vast offers --task 'params_b=7 precision=bf16' --hours 10 --url local

With `--task` (the fields of `vast.Task`, as `name=value` words; `--hours` are its hours on
one RTX 3090) the query is optional: the offers meeting the task's needs are searched
across GPU tiers and ranked by estimated total cost, each with the hours it would take
there; `!` marks a budget pick (reliability under 0.97).

The query and order use the syntax `Instance(query=..., order=...)` takes; a bad one is
refused with the valid choices. `--url` defaults to VAST_URL (else the real service);
`local` means the embedded simulator (`.state/sim`). Nothing matching exits 1, saying what
to loosen. Programs get the same list from `pulumi_vast.get_offers`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pulumi_vast.api import QueryError, VastError
from pulumi_vast.market.task import Requirements
from pulumi_vast.resources._lookup import RankedOffer, ranked_offers
from pulumi_vast.resources._problems import InvalidInputs
from pulumi_vast.resources._settings import ProviderSettings
from pulumi_vast.resources._task import Task

__all__ = ["register"]

_COLUMNS = ("offer", "gpu", "$/h", "est. cost", "reliability", "dlperf", "cuda", "where")
_TASK_COLUMNS = (
    "#",
    "offer",
    "gpu",
    "$/h",
    "est. hours",
    "est. total",
    "reliability",
    "dlperf",
    "cuda",
    "where",
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "offers",
        help="rank the offers a query matches, with what each would cost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "query", nargs="?", help="offer query, e.g. 'gpu_ram>=24 dph<=0.5' (optional with --task)"
    )
    parser.add_argument(
        "--task",
        help="a task instead of (or besides) a query: 'params_b=7 precision=bf16' (or "
        "min_vram_gb=40; also disk_gb, cuda, num_gpus); --hours are its hours on one RTX 3090",
    )
    parser.add_argument("--order", default="dph+", help="ranking: dph+ (default), dlperf-...")
    parser.add_argument("--limit", type=int, default=10, help="offers shown (default 10)")
    parser.add_argument(
        "--disk", type=float, default=10.0, help="disk GB: offers need room for it (default 10)"
    )
    parser.add_argument("--hours", type=float, default=24.0, help="hours to estimate (default 24)")
    parser.add_argument("--bid", action="store_true", help="interruptible (bid) prices")
    parser.add_argument("--url", help="API URL; `local` for the simulator (default VAST_URL)")
    parser.add_argument(
        "--data",
        type=Path,
        help="simulator data for --url local (default: $PULUMI_VAST_SIM_DATA, else "
        "~/.local/state/pulumi-vast/sim)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # What a stack's provider would do: its settings (VAST_URL, VAST_API_KEY, `local`) and
    # its search, ranked the same way: the search programs make with `get_offers`.
    try:
        settings = ProviderSettings.from_config(
            {"vast:apiUrl": args.url, "vast:simDataDir": args.data}
        )
    except ValueError as exc:  # a bad --url or VAST_URL, named
        print(f"pulumi-vast offers: {exc}", file=sys.stderr)
        return 2
    if args.query is None and args.task is None:
        print("pulumi-vast offers: give a QUERY, or --task", file=sys.stderr)
        return 2
    try:
        needs = _task(args.task, args.hours) if args.task is not None else None
    except (InvalidInputs, ValueError) as exc:
        print(f"pulumi-vast offers: --task: {exc}", file=sys.stderr)
        return 2
    try:
        ranked = ranked_offers(
            settings,
            args.query,
            order=args.order,
            limit=args.limit,
            disk_gb=args.disk,
            hours=args.hours,
            bid=args.bid,
            task=needs,
        )
    except QueryError as exc:
        print(f"pulumi-vast offers: {exc}", file=sys.stderr)
        return 2
    except VastError as exc:
        print(f"pulumi-vast offers: {exc}", file=sys.stderr)
        return 1
    rows = [_row(offer, rank) for rank, offer in enumerate(ranked, 1)]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif ranked and needs is not None:
        print(f"the task needs {needs.summary()}\n")
        print(_table(rows, _TASK_COLUMNS))
        best = ranked[0]
        print(
            f"\nbest: {best.description}: ~{best.hours:.1f} h, ${best.estimated_cost:.2f} in "
            "all" + (" (budget pick: reliability under 0.97)" if best.budget_pick else "")
        )
    elif ranked:
        print(_table(rows, _COLUMNS))
        print(f"\nbest: {ranked[0].description}")
    if not ranked:
        print(f"pulumi-vast offers: {_nothing_matches(args)}", file=sys.stderr)
        return 1
    return 0


def _task(text: str, hours: float) -> Requirements:
    """The needs of a task given as `name=value` words (numbers as numbers)."""
    fields: dict[str, Any] = {"hours": hours}
    for word in text.replace(",", " ").split():
        name, sep, value = word.partition("=")
        if not sep:
            raise ValueError(f"{word!r} is not name=value, e.g. 'params_b=7 precision=bf16'")
        fields[name] = _number(value)
    return Task(**fields).requirements()


def _number(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _nothing_matches(args: argparse.Namespace) -> str:
    if args.task is not None:
        return (
            f"no offer meets the task {args.task!r} right now; split it over more GPUs "
            "(num_gpus=), load it in a lower precision (precision=int8 or int4), or try "
            "again later"
        )
    kind = "interruptible (--bid)" if args.bid else "on-demand"
    return (
        f"no {kind} offer matches {args.query!r} with {args.disk:g} GB of disk right now; "
        "loosen a condition (a price cap, reliability, GPU RAM or count, CUDA version), ask "
        "for less disk (--disk), or try again later"
    )


def _row(offer: RankedOffer, rank: int) -> dict[str, Any]:
    return {
        "#": rank,
        "offer": offer.offer_id,
        "gpu": f"{offer.num_gpus}x {offer.gpu_name}",
        "$/h": round(offer.per_hour, 4),
        "est. hours": round(offer.hours, 1),
        "est. cost": round(offer.estimated_cost, 2),
        "est. total": round(offer.estimated_cost, 2),
        "reliability": offer.reliability,
        "budget pick": offer.budget_pick,
        "dlperf": offer.dlperf,
        "cuda": offer.cuda,
        "where": offer.geolocation,
    }


def _cell(row: dict[str, Any], column: str) -> str:
    if column == "reliability" and row["budget pick"]:
        return f"{row[column]} !"
    return str(row[column])


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    cells = [[_cell(row, column) for column in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)
