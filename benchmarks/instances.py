"""N GPU instances through pulumi-vast, against the floor, the physical bound and the CLI.

    python benchmarks/instances.py --instances 16 32 --boot-delay 5

Against one simulator (boot delay B: a new instance's pending time before loading, the
`--created-delay`, plus its loading time, the `--boot-delay`; Vast's rate limits on), in
one process, it measures:

- pulumi-vast: `pulumi up` of N instances from one program (one query), a no-change
  `preview`, `refresh` and `destroy`, with the API calls each made (simulator counters);
- the engine's own floor for N trivial dynamic resources (`engine_floor.py`);
- the physical bound: B plus the API time of N creates issued back to back (for destroy,
  of N destroys; for refresh, of one listing);
- a sequential loop of the official `vastai` CLI doing the same work: search, then for
  each instance create and poll `show instance` until running; then destroy each.

and prints one table per N plus the targets: `up` within 1.5x the physical bound (1.2x from
32 instances on, where the engine's fixed costs weigh less) and at least 4x faster than the
CLI loop, a no-change `preview` with 0 API calls, and a `refresh` whose listing calls do
not grow with N (one per 25 instances, Vast's page size).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_floor import engine_floor

from pulumi_vast.api import CHEAPEST_FIRST, CreateInstanceRequest, VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.options import DEFAULT_CREATED_DELAY
from pulumi_vast.sim.testing import SimAdmin, SimulatorProcess

QUERY = "gpu_ram>=8 num_gpus=1"
INSTANCES_PER_FLEET = 16
"""Instances of QUERY one copy of the simulator's seeded fleet has room for, with offers to
spare (21 match): a larger stack gets a larger market (`market_scale`)."""
IMAGE = "vastai/base-image"
DISK_GB = 10
OPERATIONS = ("up", "preview", "refresh", "destroy")
PIPELINE_UP = "up --skip-preview"
"""How a GitOps pipeline applies a change whose preview already ran on the pull request."""
PAGE_SIZE = 25
CLI_POLL_S = 1.0
UP_TARGETS = ((32, 1.2), (0, 1.5))
"""(from this many instances on, `up` within this many times the physical bound)."""


def up_target(count: int) -> float:
    return next(target for least, target in UP_TARGETS if count >= least)


_PROGRAM = f'''
import pulumi
import pulumi_vast as vast

for index in range(pulumi.Config().require_int("instances")):
    vast.Instance(f"gpu-{{index}}", query="{QUERY}", image="{IMAGE}", disk_gb={DISK_GB})
'''


@dataclass
class Run:
    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run_pulumi(
    sim: SimulatorProcess,
    key: str,
    count: int,
    root: Path,
    *,
    env: Mapping[str, str] | None = None,
    operations: Sequence[str] = (*OPERATIONS, PIPELINE_UP),
) -> Run:
    """``operations`` of a stack of ``count`` instances, in order, timed; then destroyed."""
    project = root / "project"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: vast-bench\nruntime: python\n")
    (project / "__main__.py").write_text(_PROGRAM)
    (root / "backend").mkdir()
    ws = PulumiWorkspace(
        project,
        backend_url=(root / "backend").as_uri(),
        pulumi_home=root / "pulumi-home",
        env=env,
    )
    ws.init_stack("bench")
    ws.set_config("instances", str(count))
    ws.set_config("vast:apiUrl", sim.url)
    ws.set_config("vast:apiKey", key, secret=True)
    steps: dict[str, Callable[[], object]] = {
        "up": ws.up,
        "preview": lambda: ws.preview("--expect-no-changes"),
        "refresh": ws.refresh,
        "destroy": ws.destroy,
    }
    steps[PIPELINE_UP] = lambda: ws.run("up", "--yes", "--skip-preview", "--non-interactive")
    run = Run()
    for operation in operations:
        sim.admin.reset_request_counts(key)
        run.seconds[operation] = _timed(steps[operation])
        run.calls[operation] = sim.admin.request_counts(key)
    ws.destroy()
    return run


def physical_bound(sim: SimulatorProcess, key: str, count: int, boot_delay: float) -> Run:
    client = VastClient(sim.url, key)
    offers = client.offers.search(QUERY, order=CHEAPEST_FIRST, limit=count, storage_gb=DISK_GB)
    request = CreateInstanceRequest(image=IMAGE, disk=DISK_GB, runtype="ssh_proxy")
    ids: list[int] = []
    creates = _timed(lambda: ids.extend(client.instances.create(o.id, request) for o in offers))
    listing = _timed(client.instances.list)
    destroys = _timed(lambda: [client.instances.destroy(i) for i in ids])
    return Run(
        seconds={
            "up": boot_delay + creates,
            "preview": 0.0,
            "refresh": listing,
            "destroy": destroys,
        }
    )


def cli_loop(sim: SimulatorProcess, key: str, count: int, home: Path) -> Run:
    binary = Path(sys.executable).parent / "vastai"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "VAST_URL": sim.url,
        "VASTAI_NO_UPDATE_CHECK": "1",
    }

    def vastai(*args: str) -> str:
        argv = [str(binary), "--url", sim.url, "--api-key", key, "--raw", *args]
        return subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout

    ids: list[int] = []

    def up() -> None:
        offers = json.loads(vastai("search", "offers", QUERY, "-o", "dph", "--limit", str(count)))
        for offer in offers[:count]:
            created = vastai(
                *("create", "instance", str(offer["id"])),
                *("--image", IMAGE, "--disk", str(DISK_GB), "--ssh"),
            )
            ids.append(int(json.loads(created)["new_contract"]))
            while (
                json.loads(vastai("show", "instance", str(ids[-1])))["actual_status"] != "running"
            ):
                time.sleep(CLI_POLL_S)

    def destroy() -> None:
        for instance_id in ids:
            vastai("destroy", "instance", str(instance_id), "--yes")

    run = Run()
    for operation, action in (("up", up), ("destroy", destroy)):
        sim.admin.reset_request_counts(key)
        run.seconds[operation] = _timed(action)
        run.calls[operation] = sim.admin.request_counts(key)
    return run


def _answered(calls: dict[str, Any]) -> tuple[int, int]:
    """(requests answered, of which 429s) over all routes."""
    total = sum(route["total"] for route in calls.values())
    limited = sum(route["by_status"].get("429", 0) for route in calls.values())
    return total, limited


def _cell(value: float | None) -> str:
    return f"{value:7.2f} s" if value is not None else "      —  "


def report(
    count: int, boot_delay: float, ours: Run, floor: dict[str, float], bound: Run, cli: Run | None
) -> str:
    lines = [
        f"pulumi-vast benchmark: {count} instances, boot delay {boot_delay:g} s "
        "(created + loading), "
        "Vast rate limits on (simulator)",
        "",
        "operation | pulumi-vast | engine floor | physical bound | vastai CLI loop | "
        "API calls (429s)",
        "---|---|---|---|---|---",
    ]
    for operation in (*OPERATIONS, PIPELINE_UP):
        total, limited = _answered(ours.calls[operation])
        lines.append(
            " | ".join(
                [
                    operation,
                    _cell(ours.seconds[operation]),
                    _cell(floor.get(f"{operation}_s")),
                    _cell(bound.seconds.get(operation.split()[0])),
                    _cell(cli.seconds.get(operation) if cli else None),
                    f"{total} ({limited})",
                ]
            )
        )
    up = ours.seconds["up"]
    preview_calls = _answered(ours.calls["preview"])[0]
    listing = ours.calls["refresh"].get("list_instances", {}).get("by_status", {}).get("200", 0)
    other_refresh = {k for k in ours.calls["refresh"] if k != "list_instances"}
    pipeline_up = ours.seconds[PIPELINE_UP]
    lines += [
        "",
        f"up vs physical bound: {up / bound.seconds['up']:.2f}x (target <= {up_target(count)}x); "
        f"{PIPELINE_UP}: {pipeline_up / bound.seconds['up']:.2f}x",
        f"up minus the engine floor vs physical bound: "
        f"{(up - floor['up_s']) / bound.seconds['up']:.2f}x",
    ]
    if cli:
        lines.append(f"up vs vastai CLI loop: {cli.seconds['up'] / up:.1f}x faster (target >= 4x)")
    lines += [
        f"no-change preview: {preview_calls} API calls (target 0)",
        f"refresh: {listing} answered listing call(s) for {count} instances, "
        f"other routes: {sorted(other_refresh) or 'none'} "
        f"(target: constant, {math.ceil(count / PAGE_SIZE)} per {PAGE_SIZE} instances)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--instances", type=int, nargs="+", default=[16, 32], help="stack sizes to measure"
    )
    parser.add_argument("--boot-delay", type=float, default=5.0, help="seconds loading")
    parser.add_argument(
        "--created-delay",
        type=float,
        default=DEFAULT_CREATED_DELAY,
        help="seconds a new instance spends before loading (no status, then created)",
    )
    parser.add_argument("--skip-cli", action="store_true", help="skip the vastai CLI loop")
    args = parser.parse_args(argv)
    for count in args.instances:
        measure(count, args.boot_delay, args.created_delay, skip_cli=args.skip_cli)
    return 0


def market_scale(count: int) -> int:
    """Copies of the seeded fleet a simulator lists for ``count`` instances of QUERY."""
    return max(1, math.ceil(count / INSTANCES_PER_FLEET))


def bench_simulator(
    root: Path, count: int, boot_delay: float, created_delay: float
) -> SimulatorProcess:
    """A simulator for ``count`` instances of QUERY: Vast's rate limits on, its world in
    ``root``/sim, and a market with offers enough for them."""
    return SimulatorProcess.start(
        root / "sim",
        boot_delay=boot_delay,
        created_delay=created_delay,
        rate_limits=True,
        market_scale=market_scale(count),
    )


def measure(count: int, boot_delay: float, created_delay: float, *, skip_cli: bool) -> None:
    # Booting instances wait in parallel; give the engine room for all of them.
    os.environ["PULUMI_PARALLEL"] = str(max(count, 8))
    boot = created_delay + boot_delay
    with tempfile.TemporaryDirectory(prefix="vast-bench-") as scratch:
        root = Path(scratch)
        floor = engine_floor(count, workdir=root / "floor")
        with bench_simulator(root, count, boot_delay, created_delay) as sim:
            admin: SimAdmin = sim.admin
            keys = {name: admin.new_account() for name in ("pulumi-vast", "bound", "vastai")}
            ours = run_pulumi(sim, keys["pulumi-vast"], count, root / "ours")
            bound = physical_bound(sim, keys["bound"], count, boot)
            cli = None if skip_cli else cli_loop(sim, keys["vastai"], count, root / "cli-home")
            leaks = {name: admin.ledger(key)["totals"]["alive"] for name, key in keys.items()}
    print(report(count, boot, ours, floor, bound, cli))
    print(f"instances left alive after the runs (ledger, per account): {leaks}\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
