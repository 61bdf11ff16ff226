"""N instances under pulumi-vast's provider host against the SDK's stock host.

    python benchmarks/hosts.py --instances 16 --boot-delay 5

Users of Pulumi's own CLI run dynamic providers under the SDK's stock host, `python -m
pulumi.dynamic`, which serves 4 calls at once; `./dev`'s engine runs ours (64). Against one
simulator (Vast's rate limits on), the same program (`instances.py`'s) goes through `up`,
a no-change `preview`, `refresh` and `destroy` under each host, one after the other; this
prints the seconds of each, the stock host's time over ours, and the instances left alive
in each account afterwards (the ledger: must be 0).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from instances import OPERATIONS, Run, bench_simulator, run_pulumi

from pulumi_vast.engine.workspace import stock_provider_host
from pulumi_vast.sim.options import DEFAULT_CREATED_DELAY

HOSTS = ("pulumi-vast host", "SDK stock host")


def measure(
    count: int, boot_delay: float, created_delay: float
) -> tuple[dict[str, Run], dict[str, int]]:
    """(each host's run, each host's instances alive afterwards)."""
    # As ./dev runs the engine: room for every boot at once, which only our host uses.
    os.environ["PULUMI_PARALLEL"] = str(max(count, 8))
    with tempfile.TemporaryDirectory(prefix="vast-hosts-") as scratch:
        root = Path(scratch)
        with bench_simulator(root, count, boot_delay, created_delay) as sim:
            keys = {host: sim.admin.new_account() for host in HOSTS}
            envs = {HOSTS[0]: {}, HOSTS[1]: stock_provider_host(root / "stock-bin")}
            runs = {
                host: run_pulumi(
                    sim, keys[host], count, root / str(index), env=envs[host], operations=OPERATIONS
                )
                for index, host in enumerate(HOSTS)
            }
            alive = {
                host: int(sim.admin.ledger(key)["totals"]["alive"]) for host, key in keys.items()
            }
    return runs, alive


def report(count: int, boot: float, runs: dict[str, Run], alive: dict[str, int]) -> str:
    ours, stock = (runs[host] for host in HOSTS)
    lines = [
        f"provider hosts: {count} instances, boot delay {boot:g} s (created + loading), "
        "Vast rate limits on (simulator)",
        "",
        f"operation | {HOSTS[0]} | {HOSTS[1]} | stock / ours",
        "---|---|---|---",
    ]
    for operation in OPERATIONS:
        mine, theirs = ours.seconds[operation], stock.seconds[operation]
        lines.append(f"{operation} | {mine:7.2f} s | {theirs:7.2f} s | {theirs / mine:5.2f}x")
    lines += ["", f"instances left alive after the runs (ledger, per host): {alive}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=16, help="stack size")
    parser.add_argument("--boot-delay", type=float, default=5.0, help="seconds loading")
    parser.add_argument(
        "--created-delay",
        type=float,
        default=DEFAULT_CREATED_DELAY,
        help="seconds a new instance spends before loading (no status, then created)",
    )
    args = parser.parse_args(argv)
    runs, alive = measure(args.instances, args.boot_delay, args.created_delay)
    print(report(args.instances, args.created_delay + args.boot_delay, runs, alive))
    return 0 if not any(alive.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
