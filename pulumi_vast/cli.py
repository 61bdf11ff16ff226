"""`pulumi-vast`: the command-line tools around the Pulumi resources.

Sub-commands register themselves from their own module (the simulator's in
`pulumi_vast.sim.cli`, `offers`, `cost` and `reap` in `pulumi_vast.tools`); this one only assembles
the parser, loading just the module of the command being run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


_COMMANDS = {
    "sim": "pulumi_vast.sim.cli",
    "offers": "pulumi_vast.tools.offers",
    "cost": "pulumi_vast.tools.cost",
    "reap": "pulumi_vast.tools.reap",
}
"""Each command's module, imported only when it runs (the simulator never loads Pulumi)."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pulumi-vast", description="Tools for pulumi-vast: the local simulator and more."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in _COMMANDS.items():
        if command in (None, name):
            importlib.import_module(module).register(commands)
        else:
            commands.add_parser(name, help=f"see `pulumi-vast {name} --help`", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in _COMMANDS else None)
    args = parser.parse_args(argv)
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
