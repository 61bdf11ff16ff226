"""`pulumi-vast sim`: serve the local Vast simulator, and inspect or stop one.

    pulumi-vast sim [--port P] [--host H] [--data DIR] [--api-key K] [--boot-delay S]
                    [--created-delay S] [--rate-limits on|off] [--seed N]
                    [--market-scale N]
                                                           serve in the foreground
    pulumi-vast sim status [--data DIR]                    is one serving DIR?
    pulumi-vast sim stop [--data DIR]                      stop it (SIGTERM, waits)
    pulumi-vast sim ledger [--data DIR | --url URL [--token T]] [--json]
                                                           instances, volumes, their cost

The admin routes (`/_sim/...`, see `pulumi_vast.sim.admin`) take the token kept in the data
folder's `admin.token`; `ledger` reads it from `--data` unless `--token` gives it.

Where its world is: the data folder (`--data`; default $PULUMI_VAST_SIM_DATA, else
~/.local/state/pulumi-vast/sim). `vast:apiUrl: local` and `pulumi-vast offers --url local`
start a simulator there on demand, detached; it exits after an hour without requests
while no instance loads or runs, or at once with `pulumi-vast sim stop`.

What it runs: each instance it rents gets a real SSH server, and the instance's onstart
script and SSH sessions run as commands ON THIS MACHINE, AS YOU. They run in the
instance's own folder under the data folder (also their HOME), with only Vast's variables
and the instance's env; the simulator itself restarts without the rest of your
environment (AWS_*, PULUMI_*, VAST_API_KEY...) and works in its data folder, so those
commands cannot read your secrets from it. It is not a sandbox: those commands can read
and write whatever your user can. Rent only what you would run yourself.

`python -m pulumi_vast.sim` takes the same arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import ipaddress
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from pulumi_vast._sim_home import SIM_DATA_ENV, default_sim_data_dir
from pulumi_vast.sim.datadir import ADMIN_TOKEN_FILE, read_admin_token
from pulumi_vast.sim.options import (
    DEFAULT_BOOT_DELAY,
    DEFAULT_CREATED_DELAY,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_SEED,
    SimOptions,
)
from pulumi_vast.sim.reading import DEFAULT_BODY_TIMEOUT

__all__ = ["build_parser", "exposure_warning", "format_ledger", "main", "register"]


def register(subparsers: Any) -> None:
    """Add the `sim` command to `pulumi-vast`'s sub-commands."""
    parser = subparsers.add_parser(
        "sim",
        help="serve the local Vast simulator (or: sim status|stop|ledger)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _configure(parser)


def build_parser(prog: str = "python -m pulumi_vast.sim") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _configure(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; another exposes the simulator)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = free)"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=default_sim_data_dir(),
        help=f"data folder: state, logs, instance folders (default ${SIM_DATA_ENV}, else "
        "$XDG_STATE_HOME/pulumi-vast/sim; here %(default)s)",
    )
    parser.add_argument("--api-key", help="accept only this API key (default: any key)")
    parser.add_argument(
        "--boot-delay",
        type=float,
        default=DEFAULT_BOOT_DELAY,
        help=f"seconds an instance loads before running (default {DEFAULT_BOOT_DELAY:g})",
    )
    parser.add_argument(
        "--created-delay",
        type=float,
        default=DEFAULT_CREATED_DELAY,
        help="seconds a new instance spends before loading, half with no status, half "
        f"'created' (default {DEFAULT_CREATED_DELAY:g})",
    )
    parser.add_argument(
        "--rate-limits", choices=("on", "off"), default="on", help="Vast's per-route rate limits"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="marketplace seed")
    parser.add_argument(
        "--market-scale",
        type=int,
        default=1,
        help="copies of the seeded fleet on the market (default 1; more for large stacks)",
    )
    parser.add_argument(
        "--log-level", default="warning", choices=("debug", "info", "warning", "error")
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=DEFAULT_BODY_TIMEOUT,
        help="seconds a client gets to send a request body before a 408 "
        f"(default {DEFAULT_BODY_TIMEOUT:g})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        help="exit after this many seconds without requests while no instance loads or runs",
    )
    parser.set_defaults(handler=_serve)
    commands = parser.add_subparsers(dest="sim_command", metavar="COMMAND")
    status = commands.add_parser("status", help="say whether a simulator serves the data folder")
    _data_argument(status)
    status.set_defaults(handler=_status)
    stop = commands.add_parser("stop", help="stop the simulator serving the data folder")
    _data_argument(stop)
    stop.set_defaults(handler=_stop)
    ledger = commands.add_parser(
        "ledger", help="every instance and volume ever rented, and its cost"
    )
    _data_argument(ledger)
    ledger.add_argument("--url", default=argparse.SUPPRESS, help="a running simulator's URL")
    ledger.add_argument(
        "--token", help="its admin token (default: the one in the data folder's admin.token)"
    )
    ledger.add_argument("--json", action="store_true", help="print the ledger as JSON")
    ledger.set_defaults(handler=_ledger)


def _data_argument(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS keeps `sim --data X status` working: a sub-command default would override it.
    parser.add_argument("--data", type=Path, default=argparse.SUPPRESS, help="data folder")


def _serve(args: argparse.Namespace) -> int:
    from pulumi_vast.sim.server import AlreadyServing, confine_process, serve

    confine_process(args.data)
    options = SimOptions(
        host=args.host,
        port=args.port,
        data_dir=args.data,
        api_key=args.api_key,
        boot_delay=args.boot_delay,
        created_delay=args.created_delay,
        rate_limits=args.rate_limits == "on",
        seed=args.seed,
        market_scale=args.market_scale,
        log_level=args.log_level,
        idle_timeout=args.idle_timeout,
        body_timeout=args.body_timeout,
    )

    def announce(url: str) -> None:
        data_dir = options.data_dir.expanduser().resolve()
        print(f"pulumi-vast sim: serving {url} (data {data_dir})", file=sys.stderr)
        # The token is a secret: shown on a terminal, never written to a log.
        shown = read_admin_token(data_dir) if sys.stderr.isatty() else "<token>"
        print(
            f"pulumi-vast sim: admin routes take 'Authorization: Bearer {shown}' "
            f"(the token is in {data_dir / ADMIN_TOKEN_FILE})",
            file=sys.stderr,
        )

    warning = exposure_warning(options.host)
    if warning is not None:
        print(f"pulumi-vast sim: WARNING: {warning}", file=sys.stderr)
    try:
        return serve(options, on_ready=announce)
    except AlreadyServing as exc:
        print(f"pulumi-vast sim: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"pulumi-vast sim: cannot listen on {args.host}:{args.port}: {exc.strerror}; "
            "pass --port 0 for a free port",
            file=sys.stderr,
        )
        return 1


def exposure_warning(host: str) -> str | None:
    """What serving on `host` exposes, unless it is a loopback address."""
    if host == "localhost":
        return None
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return None
    return (
        f"--host {host} is not a loopback address: anyone who can reach it can use the "
        "simulator's API with any key (unless --api-key is given) and rent instances whose "
        f"onstart scripts run commands as {getpass.getuser()} on this machine. Their SSH "
        "servers, which also run commands as this user, listen on 127.0.0.1 only. "
        "Serve on 127.0.0.1 unless you mean that."
    )


def _status(args: argparse.Namespace) -> int:
    from pulumi_vast.sim.server import live_server

    info = live_server(args.data)
    if info is None:
        print(f"no simulator serves {args.data}")
        return 1
    print(f"simulator serving {info.url} (pid {info.pid}, data {info.data_dir})")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from pulumi_vast.sim.server import stop_server

    info = stop_server(args.data)
    if info is None:
        print(f"no simulator serves {args.data}")
    else:
        print(f"stopped the simulator at {info.url} (pid {info.pid})")
    return 0


def _ledger(args: argparse.Namespace) -> int:
    try:
        ledger = _read_ledger(getattr(args, "url", None), args.data, args.token)
    except (LookupError, httpx.HTTPError) as exc:
        print(f"pulumi-vast sim ledger: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(ledger, indent=2) if args.json else format_ledger(ledger))
    return 0


def _read_ledger(url: str | None, data_dir: Path, token: str | None) -> dict[str, Any]:
    from pulumi_vast.sim.server import live_server
    from pulumi_vast.sim.testing import SimAdmin

    if url is None:
        info = live_server(data_dir)
        url = info.url if info is not None else None
    if url is None:
        return _offline_ledger(data_dir)
    admin = SimAdmin(url, token=token or read_admin_token(data_dir), timeout=10)
    try:
        return admin.ledger()
    except RuntimeError as exc:
        raise LookupError(str(exc)) from exc
    finally:
        admin.close()


def _offline_ledger(data_dir: Path) -> dict[str, Any]:
    """The ledger read from the data folder's database when no simulator serves it."""
    import sqlite3

    from pulumi_vast.sim.models import SimBackend
    from pulumi_vast.sim.store import DB_NAME, Store

    data_dir = data_dir.expanduser().resolve()
    if not (data_dir / DB_NAME).exists():
        raise LookupError(f"no simulator data in {data_dir} (and no --url)")
    try:
        store = Store(data_dir, readonly=True)
        backend = SimBackend(store, data_dir=data_dir, seed=DEFAULT_SEED, default_boot_delay=0)
        return backend.ledger()
    except sqlite3.Error as exc:
        raise LookupError(f"cannot read {data_dir / DB_NAME}: {exc}") from exc


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def format_ledger(ledger: dict[str, Any]) -> str:
    """A readable table of the instances, one of the volumes if any, then the totals."""
    instances = [
        (
            str(entry["id"]),
            str(entry["account_id"]),
            (entry["label"] or "-")[:24],
            f"{entry['num_gpus']}x {entry['gpu_name']}",
            f"{entry['dph_total']:.4f}",
            entry["status"],
            _when(entry["created_at"]),
            _duration(entry["running_seconds"]),
            f"${entry['total_cost']:.4f}",
        )
        for entry in ledger["instances"]
    ]
    header = (
        "ID",
        "ACCOUNT",
        "LABEL",
        "GPU",
        "$/HR",
        "STATUS",
        "CREATED (UTC)",
        "RUN TIME",
        "COST",
    )
    lines = _table(header, instances)
    volumes = [
        (
            str(entry["id"]),
            str(entry["account_id"]),
            (entry["label"] or "-")[:24],
            entry["type"],
            f"{entry['size']:g} GB",
            f"{entry['storage_dph']:.4f}",
            entry["status"],
            _when(entry["created_at"]),
            _when(entry["deleted_at"]),
            f"${entry['total_cost']:.4f}",
        )
        for entry in ledger.get("volumes", [])
    ]
    if volumes:
        volume_header = (
            "VOLUME",
            "ACCOUNT",
            "NAME",
            "TYPE",
            "SIZE",
            "$/HR",
            "STATUS",
            "CREATED (UTC)",
            "DELETED (UTC)",
            "COST",
        )
        lines += ["", *_table(volume_header, volumes)]
    totals = ledger["totals"]
    lines.append("")
    lines.append(
        f"instances: {totals['instances']} ever, {totals['alive']} not destroyed, "
        f"{totals['running']} running; volumes: {totals.get('volumes', 0)} ever, "
        f"{totals.get('volumes_alive', 0)} not deleted; billing now: {totals['billing']} "
        f"at ${totals['dph_now']:.4f}/h; total cost: ${totals['total_cost']:.4f}"
    )
    return "\n".join(lines)
