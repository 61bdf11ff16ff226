"""The engine's own floor: wall time of pulumi operations on N trivial dynamic resources.

    python benchmarks/engine_floor.py --resources 100

The resources are files written by a dynamic provider that does nothing else, imported
by reference like pulumi_vast's providers (not pickled by value), so what is measured is
the CLI, our language host and provider plugin, and the state backend. The project's
benchmark compares its own figures with these (ratios), in the same process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pulumi_vast.engine.workspace import PulumiWorkspace

__all__ = ["OPERATIONS", "engine_floor", "format_table", "main"]

OPERATIONS = ("up", "preview", "refresh", "destroy")

_PROVIDER_MODULE = '''
"""A dynamic provider whose resources are empty files: nothing worth timing."""
from pathlib import Path

import pulumi.dynamic as dyn


class FloorProvider(dyn.ResourceProvider):
    def create(self, props):
        Path(props["path"]).write_text(str(props["value"]))
        return dyn.CreateResult(id_=props["path"], outs=props)

    def diff(self, _id, olds, news):
        return dyn.DiffResult(changes=olds.get("value") != news.get("value"))

    def read(self, id_, props):
        return dyn.ReadResult(id_ if Path(id_).exists() else None, props)

    def delete(self, id_, _props):
        Path(id_).unlink(missing_ok=True)


class Floor(dyn.Resource, module="floor", name="File"):
    def __init__(self, name, path, value):
        super().__init__(FloorProvider(), name, {"path": path, "value": value})
'''

_PROGRAM = """
import pulumi
from floorstore import Floor

config = pulumi.Config()
files = config.require("files")
for index in range(config.require_int("resources")):
    Floor(f"file-{index}", f"{files}/{index}", index)
"""


def engine_floor(resources: int = 100, *, workdir: Path | None = None) -> dict[str, float]:
    """Seconds of wall time for `up`, no-change `preview`, `refresh` and `destroy`."""
    with tempfile.TemporaryDirectory(prefix="engine-floor-") as scratch:
        root = workdir or Path(scratch)
        project = root / "project"
        project.mkdir(parents=True)
        (project / "Pulumi.yaml").write_text("name: engine-floor\nruntime: python\n")
        (project / "__main__.py").write_text(_PROGRAM)
        (project / "floorstore.py").write_text(_PROVIDER_MODULE)
        (root / "files").mkdir()
        (root / "backend").mkdir()
        ws = PulumiWorkspace(
            project,
            backend_url=(root / "backend").as_uri(),
            pulumi_home=root / "pulumi-home",
            env={"PYTHONPATH": str(project)},  # the provider plugin imports floorstore too
        )
        ws.init_stack("floor")
        ws.set_config("files", str(root / "files"))
        ws.set_config("resources", str(resources))

        steps: dict[str, Callable[[], object]] = {
            "up": ws.up,
            "preview": lambda: ws.preview("--expect-no-changes"),
            "refresh": ws.refresh,
            "destroy": ws.destroy,
        }
        figures: dict[str, float] = {"resources": float(resources)}
        for operation in OPERATIONS:
            started = time.perf_counter()
            steps[operation]()
            figures[f"{operation}_s"] = time.perf_counter() - started
        return figures


def format_table(figures: dict[str, float]) -> str:
    lines = [f"engine floor, {int(figures['resources'])} dynamic resources", "operation  wall time"]
    lines += [f"{operation:<10} {figures[f'{operation}_s']:6.2f} s" for operation in OPERATIONS]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=100)
    args = parser.parse_args(argv)
    print(format_table(engine_floor(args.resources)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
