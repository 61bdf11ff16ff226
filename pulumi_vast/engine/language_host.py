"""`pulumi-language-python`: the executable the engine starts to run a Python program.

It serves `language_runtime.LanguageHost`. The engine starts one host just for `About`
at the beginning of every `pulumi up` and `pulumi preview`, and waits for it, so the
port goes out and the metadata calls are answered before the Pulumi SDK has finished
loading (`_early`); the rest is served once it has.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from pulumi_vast.engine._early import EarlyAnswer, EarlyDoor, encode_strings
from pulumi_vast.engine._grpc_host import exit_now, parse_host_args, serve

__all__ = ["SERVICE", "early_answers", "main"]

_PROG = "pulumi-language-python"
SERVICE = "pulumirpc.LanguageRuntime"
# Run holds one worker for the program's whole life; the rest answer the metadata calls.
HOST_THREADS = 8


def early_answers() -> dict[str, EarlyAnswer]:
    """The calls answered before the SDK has loaded, as `LanguageHost` would answer them."""
    import importlib.metadata  # here: 30 ms the port need not wait for

    python = ".".join(map(str, sys.version_info[:3]))
    return {
        # LanguageHandshakeResponse is empty; the host records the engine's address.
        "Handshake": EarlyAnswer(lambda _request: b"", replay=True),
        # PluginInfo{version = 1}
        "GetPluginInfo": EarlyAnswer(
            lambda _request: encode_strings({1: importlib.metadata.version("pulumi")})
        ),
        # AboutResponse{executable = 1, version = 2}
        "About": EarlyAnswer(lambda _request: encode_strings({1: sys.executable, 2: python})),
        # The SDK's host needs no plugins or packages of its own.
        "GetRequiredPlugins": EarlyAnswer(lambda _request: b""),
        "GetRequiredPackages": EarlyAnswer(lambda _request: b""),
        # Sent before the engine closes a host; nothing runs before the SDK has loaded.
        "Cancel": EarlyAnswer(lambda _request: b""),
    }


def _real_handler(engine_address: str | None) -> Any:
    from pulumi_vast.engine.language_runtime import LanguageHost, generic_handler

    return generic_handler(LanguageHost(engine_address))


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_host_args(sys.argv[1:] if argv is None else argv, _PROG)
    # Program output is relayed line by line by the engine; don't let it sit in a buffer.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    door = EarlyDoor(SERVICE, lambda: _real_handler(args.engine_address), early_answers())
    status = serve(
        door.register,
        name=_PROG,
        max_workers=HOST_THREADS,
        engine_address=args.engine_address,
        # The engine decides how a run ends; it closes us once `Run` has returned.
        announce_drain=False,
    )
    exit_now(status)


if __name__ == "__main__":
    main()
