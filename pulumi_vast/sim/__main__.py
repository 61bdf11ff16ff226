"""`python -m pulumi_vast.sim`: the simulator's command line (as `pulumi-vast sim`)."""

from __future__ import annotations

import sys

from pulumi_vast.sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
