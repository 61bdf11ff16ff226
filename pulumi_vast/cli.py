"""`pulumi-vast`: the command-line tools around the Pulumi resources.

Sub-commands register themselves from their own layer (the simulator's live in
`pulumi_vast.sim.cli`), so this module only assembles the parser.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from pulumi_vast.sim import cli as sim_cli

    parser = argparse.ArgumentParser(
        prog="pulumi-vast", description="Tools for pulumi-vast: the local simulator and more."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sim_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
