"""`pulumi-resource-pulumi-python`: which Python serves a project's dynamic providers.

Not installed with the package: `./dev setup` (`pulumi_vast.engine.setup`) writes it beside
the pinned `pulumi` binary. The engine starts it in the project's folder with Pulumi.yaml's
runtime options in the environment (`PULUMI_RUNTIME_VIRTUALENV`, `PULUMI_RUNTIME_TOOLCHAIN`;
pkg/resource/plugin/provider_plugin.go), as the SDK's own script of that name expects.

A dynamic provider is pickled by the program, so the program's Python must unpickle it: the
interpreter is chosen as the language host chooses it (`toolchain`). That Python then runs
pulumi-vast's provider host (`provider_host`) if its environment has a pulumi-vast that
loads with its SDK, else the SDK's stock host (`python -m pulumi.dynamic`), as the stock
script would; the project folder is first on sys.path either way, as `python -m` puts it
there, so providers defined in the project's own modules unpickle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

from pulumi_vast.engine import toolchain

__all__ = ["RUNTIME_OPTION_PREFIX", "SERVE", "main", "runtime_options"]

RUNTIME_OPTION_PREFIX = "PULUMI_RUNTIME_"
_PROG = "pulumi-resource-pulumi-python"
SERVE = (
    "import runpy, sys\n"
    "try:\n"
    "    from pulumi_vast.engine import provider_host\n"
    "except ImportError as exc:\n"
    "    provider_host = None\n"
    "    if not (exc.name or '').startswith('pulumi_vast'):\n"
    "        print(f'pulumi-vast provider host unavailable ({exc}); serving with the "
    "SDK stock host', file=sys.stderr)\n"
    "if provider_host is not None:\n"
    "    provider_host.main()\n"
    "runpy.run_module('pulumi.dynamic', run_name='__main__', alter_sys=True)\n"
)
"""`python -u -c SERVE ARGS`: pulumi-vast's provider host where the environment has one it
can load, else the SDK's stock host (saying why, when pulumi-vast is there but does not
load with that environment's SDK)."""


def runtime_options(env: Mapping[str, str]) -> dict[str, object]:
    """Pulumi.yaml's runtime options, as the engine passes them to a provider plugin."""
    return {
        name.removeprefix(RUNTIME_OPTION_PREFIX).lower(): value
        for name, value in env.items()
        if name.startswith(RUNTIME_OPTION_PREFIX)
    }


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = list(sys.argv[1:] if argv is None else argv)
    folder = os.getcwd()
    try:
        options = toolchain.PythonOptions.parse(folder, folder, runtime_options(os.environ))
        interpreter = toolchain.resolve(options)
    except toolchain.ToolchainError as exc:
        sys.stderr.write(f"{_PROG}: {exc}\n")
        sys.exit(1)
    if interpreter.is_current:
        sys.path.insert(0, folder)
        from pulumi_vast.engine import provider_host

        provider_host.main(args)
    python = str(interpreter.python)
    os.execve(python, [python, "-u", "-c", SERVE, *args], interpreter.environment(os.environ))


if __name__ == "__main__":
    main()
