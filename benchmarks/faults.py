"""The fault matrix: every operation under every way the marketplace bites, and the ledger.

    python benchmarks/faults.py                    # every cell
    python benchmarks/faults.py --only up:500s     # cells whose name contains a pattern

For each cell (operation x fault) a fresh account on one simulator runs a stack of two
instances with the repository's program through the real pulumi CLI: it brings the stack to
the state the operation starts from, switches the fault on, runs the operation, switches the
fault off, converges (`up`, then `refresh` and `up` must be clean), destroys, and reads the
ledger. A cell passes when nothing is left billing at the end and no resource of the stack
was rented more than once per intended create (a leak or a double rental shows here even if
the operation itself succeeded). It prints one row per cell: the operation's exit status,
whether it converged, how many instances the account rented in all (two per create the
program asked for, plus any replaced boot), and what was left billing.

This is a tool for a person (minutes of wall time), not a test: the suite's
tests/e2e/test_leaks.py holds the cells that guard regressions.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin, SimulatorProcess

REPO = Path(__file__).resolve().parents[1]
QUERY = "gpu_ram>=24 num_gpus=1 reliability>0.95"
NAMES = ("a", "b")
OPERATIONS = ("up", "refresh", "destroy", "replace")


@dataclass(frozen=True)
class Fault:
    name: str
    switch_on: Callable[[SimAdmin, str], None]
    strike: Callable[[SimAdmin, int], None] | None = None
    """Done to the first instance the operation rents (host lost, preemption)."""
    bid: bool = False


def _faults(admin: SimAdmin, key: str, **faults: Any) -> None:
    admin.set_faults(key, **faults)


def _first_new_instance(admin: SimAdmin, key: str, before: set[int]) -> int | None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ids = {int(r["id"]) for r in admin.ledger(key)["instances"]} - before
        if ids:
            return min(ids)
        time.sleep(0.2)
    return None


FAULTS = (
    Fault("429 storm", lambda a, k: a.set_rate_limits(k, True, burst=1)),
    Fault("500s", lambda a, k: _faults(a, k, errors={"*": {"count": 6, "status": 500}})),
    Fault("503s", lambda a, k: _faults(a, k, errors={"*": {"count": 6, "status": 503}})),
    Fault("lost create", lambda a, k: _faults(a, k, lost={"create_instance": {"count": 1}})),
    Fault("lost destroy", lambda a, k: _faults(a, k, lost={"destroy_instance": {"count": 1}})),
    Fault("lost listing", lambda a, k: _faults(a, k, lost={"list_instances": {"count": 1}})),
    Fault("stuck boot", lambda a, k: _faults(a, k, stuck_loading=True)),
    Fault("host lost", lambda a, k: None, strike=SimAdmin.host_lost),
    Fault("preempted", lambda a, k: None, strike=SimAdmin.preempt, bid=True),
)


@dataclass
class Cell:
    operation: str
    fault: str
    status: int = 0
    converged: bool = False
    rented: int = 0
    left: int = 0
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.converged and self.left == 0


def _instances(image: str, bid: bool) -> list[dict[str, Any]]:
    extra: dict[str, Any] = {"bid_price": 5.0} if bid else {}
    return [
        {
            "name": name,
            "query": QUERY,
            "image": image,
            "disk_gb": 10,
            "ready": {"timeout": 20},
            **extra,
        }
        for name in NAMES
    ]


def _stack(root: Path, sim: SimulatorProcess, key: str) -> PulumiWorkspace:
    project = root / "project"
    (project / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, project / name)
    # Pulumi.yaml's `virtualenv: .venv`: this environment, as in the repository.
    (project / ".venv").symlink_to(sys.prefix)
    (root / "backend").mkdir()
    ws = PulumiWorkspace(
        project, backend_url=(root / "backend").as_uri(), pulumi_home=root / "home"
    )
    ws.init_stack("faults")
    ws.set_config("vast:apiUrl", sim.url)
    ws.set_config("vast:apiKey", key, secret=True)
    return ws


def _write(ws: PulumiWorkspace, instances: list[dict[str, Any]]) -> None:
    path = ws.project_dir / "stacks" / "Pulumi.faults.yaml"
    document = yaml.safe_load(path.read_text()) if path.exists() else {"config": {}}
    document.setdefault("config", {})["pulumi-vast:instances"] = instances
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def run_cell(sim: SimulatorProcess, operation: str, fault: Fault, root: Path) -> Cell:
    admin = sim.admin
    key = admin.new_account(boot_delay=2)
    ws = _stack(root, sim, key)
    cell = Cell(operation, fault.name)
    _write(ws, _instances("vastai/base-image", fault.bid))
    if operation != "up":
        ws.up()
    if operation == "replace":
        _write(ws, _instances("vastai/other-image", fault.bid))
    before = {int(r["id"]) for r in admin.ledger(key)["instances"]}
    fault.switch_on(admin, key)
    watcher = None
    if fault.strike is not None and operation in ("up", "replace"):
        watcher = threading.Thread(target=_strike, args=(admin, key, before, fault.strike))
        watcher.start()
    verb = {"replace": "up"}.get(operation, operation)
    done = ws.run(verb, "--yes", "--non-interactive", "--color", "never", check=False)
    cell.status = done.returncode
    if watcher is not None:
        watcher.join()
    admin.clear_faults(key)
    admin.set_rate_limits(key, True)
    if fault.name == "preempted":  # outbid for good at that bid: rent on demand instead
        _write(ws, _instances("vastai/base-image", False))
    converge = [ws.run("cancel", "--yes", "--non-interactive", check=False)]
    if operation != "destroy":
        converge += [ws.up(check=False), ws.refresh(check=False), ws.up(check=False)]
    cell.converged = all(step.returncode == 0 for step in converge[1:])
    if not cell.converged:
        cell.note = next(s.stdout + s.stderr for s in converge[1:] if s.returncode)[-300:]
    ws.destroy(check=False)
    rows = admin.ledger(key)["instances"]
    cell.rented = len(rows)
    cell.left = sum(1 for row in rows if row.get("destroyed_at") is None)
    return cell


def _strike(
    admin: SimAdmin, key: str, before: set[int], strike: Callable[[SimAdmin, int], None]
) -> None:
    struck = _first_new_instance(admin, key, before)
    if struck is not None:
        strike(admin, struck)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run cells whose 'op:fault' contains this")
    args = parser.parse_args(argv)
    cells: list[Cell] = []
    with (
        tempfile.TemporaryDirectory(prefix="vast-faults-") as tmp,
        SimulatorProcess.start(Path(tmp) / "sim", boot_delay=2, rate_limits=True) as sim,
    ):
        for operation in OPERATIONS:
            for fault in FAULTS:
                name = f"{operation}:{fault.name}"
                if args.only and args.only not in name:
                    continue
                root = Path(tmp) / name.replace(":", "-").replace(" ", "-")
                cell = run_cell(sim, operation, fault, root)
                cells.append(cell)
                print(_row(cell), flush=True)
    failed = [c for c in cells if not c.passed]
    print(f"\n{len(cells) - len(failed)} of {len(cells)} cells converged with nothing leaked")
    return 1 if failed else 0


def _row(cell: Cell) -> str:
    verdict = "ok" if cell.passed else "FAIL"
    return (
        f"{verdict:4} {cell.operation:8} {cell.fault:13} exit {cell.status:3}  "
        f"converged {'yes' if cell.converged else 'no ':3}  rented {cell.rented:2}  "
        f"left {cell.left}  {cell.note}"
    )


if __name__ == "__main__":
    sys.exit(main())
