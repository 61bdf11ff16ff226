"""`pulumi up` of an N-node training cluster against the physical bound.

    python benchmarks/clusters.py --nodes 4 --boot-delay 5

Against one simulator (boot delay B: `--created-delay` plus `--boot-delay`; Vast's rate
limits on), in one process, it measures `pulumi up` of one `TrainingCluster` of N nodes
(search, overlay, N instances on it, each ready over SSH, rank 0's address read over SSH),
then a no-change `preview` and `destroy`, with the API calls each made; and the physical
bound of the same `up`: B plus the API time of one search, the overlay's create and N
instance creates on it issued back to back; and the engine's own floor (`engine_floor.py`,
one trivial dynamic resource). Target: `up` within 1.3x the bound; with 4 nodes the
engine's fixed cost is most of the difference, so `up` minus the floor is printed too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_floor import engine_floor
from instances import Run, _answered, _timed

from pulumi_vast.api import CHEAPEST_FIRST, CreateInstanceRequest, VastClient
from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.resources._gang import plan
from pulumi_vast.sim.options import DEFAULT_CREATED_DELAY
from pulumi_vast.sim.testing import SimulatorProcess
from pulumi_vast.stack import generate_key_pair

QUERY = "gpu_ram>=24 num_gpus=1 cluster_id>=0"
IMAGE = "vastai/base-image"
DISK_GB = 10
OPERATIONS = ("up", "preview", "destroy")
TARGET = 1.3

_PROGRAM = f'''
import pulumi
import pulumi_vast as vast

vast.TrainingCluster(
    "bench",
    nodes=pulumi.Config().require_int("nodes"),
    query="gpu_ram>=24",
    image="{IMAGE}",
    disk_gb={DISK_GB},
    ssh_keys=[open(pulumi.Config().require("pub")).read().strip()],
)
'''


def run_pulumi(sim: SimulatorProcess, key: str, nodes: int, root: Path) -> Run:
    project = root / "project"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: vast-bench-clusters\nruntime: python\n")
    (project / "__main__.py").write_text(_PROGRAM)
    (root / "backend").mkdir()
    generate_key_pair(root / "ssh" / "id_ed25519.pub")
    ws = PulumiWorkspace(
        project, backend_url=(root / "backend").as_uri(), pulumi_home=root / "pulumi-home"
    )
    ws.init_stack("bench")
    ws.set_config("nodes", str(nodes))
    ws.set_config("pub", str(root / "ssh" / "id_ed25519.pub"))
    ws.set_config("vast:apiUrl", sim.url)
    ws.set_config("vast:apiKey", key, secret=True)
    ws.set_config("vast:sshPrivateKeyFile", str(root / "ssh" / "id_ed25519"))
    steps = {
        "up": ws.up,
        "preview": lambda: ws.preview("--expect-no-changes"),
        "destroy": ws.destroy,
    }
    run = Run()
    for operation in OPERATIONS:
        sim.admin.reset_request_counts(key)
        run.seconds[operation] = _timed(steps[operation])
        run.calls[operation] = sim.admin.request_counts(key)
    return run


def physical_bound(sim: SimulatorProcess, key: str, nodes: int, boot_delay: float) -> float:
    """B plus the API time of one search, the overlay's create and N creates on it."""
    client = VastClient(sim.url, key)
    started = time.perf_counter()
    offers = client.offers.search(QUERY, order=CHEAPEST_FIRST, limit=100, storage_gb=DISK_GB)
    best = plan(offers, nodes)[0]
    client.overlays.create(best.cluster_id, "bound")
    request = CreateInstanceRequest(image=IMAGE, disk=DISK_GB, runtype="ssh_proxy", network="bound")
    ids = [client.instances.create(offer.id, request) for offer in best.offers[:nodes]]
    api = time.perf_counter() - started
    for instance_id in ids:
        client.instances.destroy(instance_id)
    for overlay in client.overlays.list():
        client.overlays.delete(overlay.id)
    return boot_delay + api


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=4, help="nodes of the training cluster")
    parser.add_argument("--boot-delay", type=float, default=5.0, help="seconds loading")
    parser.add_argument(
        "--created-delay",
        type=float,
        default=DEFAULT_CREATED_DELAY,
        help="seconds a new instance spends before loading (no status, then created)",
    )
    args = parser.parse_args(argv)
    os.environ["PULUMI_PARALLEL"] = str(max(args.nodes, 8))
    boot = args.created_delay + args.boot_delay
    with tempfile.TemporaryDirectory(prefix="vast-bench-clusters-") as scratch:
        root = Path(scratch)
        floor = engine_floor(1, workdir=root / "floor")
        with SimulatorProcess.start(
            root / "sim",
            boot_delay=args.boot_delay,
            created_delay=args.created_delay,
            rate_limits=True,
        ) as sim:
            keys = {name: sim.admin.new_account() for name in ("pulumi-vast", "bound")}
            ours = run_pulumi(sim, keys["pulumi-vast"], args.nodes, root / "ours")
            bound = physical_bound(sim, keys["bound"], args.nodes, boot)
            alive = {name: sim.admin.ledger(key)["totals"]["alive"] for name, key in keys.items()}
    print(
        f"training cluster benchmark: {args.nodes} nodes, boot delay {boot:g} s (created + "
        "loading), Vast rate limits on (simulator)\n"
    )
    print("operation | pulumi-vast | API calls (429s)\n---|---|---")
    for operation in OPERATIONS:
        total, limited = _answered(ours.calls[operation])
        print(f"{operation} | {ours.seconds[operation]:7.2f} s | {total} ({limited})")
    up = ours.seconds["up"]
    print(
        f"\nphysical bound of up: {bound:.2f} s; up vs bound: {up / bound:.2f}x "
        f"(target <= {TARGET}x)\nengine floor of up (1 resource): {floor['up_s']:.2f} s; up "
        f"minus the floor vs bound: {(up - floor['up_s']) / bound:.2f}x"
    )
    print(f"instances left alive after the runs (ledger, per account): {alive}")
    return 0 if not any(alive.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
