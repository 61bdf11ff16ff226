"""`pulumi-language-python`: the executable the engine starts to run a Python program.

It serves `language_runtime.LanguageHost`. The engine starts one host just for `About`
at the beginning of every `pulumi up` and `pulumi preview`, and waits for it, so the
port goes out and the metadata calls are answered before the Pulumi SDK has finished
loading (`_early`); the rest is served once it has. `About` is answered early only when
the program's Python (Pulumi.yaml's options) is this host's own; another is asked.

Not installed with the package: `./dev setup` (`pulumi_vast.engine.setup`) writes it
beside the pinned `pulumi` binary, so a user's own Pulumi never picks it up from PATH.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Sequence
from typing import Any

from pulumi_vast.engine._early import EarlyAnswer, EarlyDoor, decode_fields, encode_strings
from pulumi_vast.engine._grpc_host import exit_now, parse_host_args, serve
from pulumi_vast.engine.errors import EngineError

__all__ = ["SERVICE", "SdkTooOld", "early_answers", "main", "program_options"]

_PROG = "pulumi-language-python"
SERVICE = "pulumirpc.LanguageRuntime"
# Run holds one worker for the program's whole life; the rest answer the metadata calls.
HOST_THREADS = 8
PRIVATE_SERVICER = "pulumi.automation._server"


class SdkTooOld(EngineError):
    """The installed pulumi SDK lacks the private servicer this host builds on."""


def early_answers() -> dict[str, EarlyAnswer]:
    """The calls answered before the SDK has loaded, as `LanguageHost` would answer them."""
    import importlib.metadata  # here: 30 ms the port need not wait for

    return {
        # LanguageHandshakeResponse is empty; the host records the engine's address.
        "Handshake": EarlyAnswer(lambda _request: b"", replay=True),
        # PluginInfo{version = 1}
        "GetPluginInfo": EarlyAnswer(
            lambda _request: encode_strings({1: importlib.metadata.version("pulumi")})
        ),
        "About": EarlyAnswer(_about_if_ours),
        # The SDK's host needs no plugins or packages of its own.
        "GetRequiredPlugins": EarlyAnswer(lambda _request: b""),
        "GetRequiredPackages": EarlyAnswer(lambda _request: b""),
        # Sent before the engine closes a host; nothing runs before the SDK has loaded.
        "Cancel": EarlyAnswer(lambda _request: b""),
    }


def _about_if_ours(request: bytes) -> bytes | None:
    """AboutResponse{executable = 1, version = 2} when the program's Python is this one."""
    from pulumi_vast.engine import toolchain

    try:
        root, program_dir, options = program_options(request)
        parsed = toolchain.PythonOptions.parse(root, program_dir, options)
        if parsed.chosen_toolchain != "pip":  # asking poetry or uv takes a while anyway
            return None
        interpreter = toolchain.resolve(parsed)
    except (ValueError, toolchain.ToolchainError):
        return None  # the real servicer answers, with the error where there is one
    if not interpreter.is_current:
        return None
    return encode_strings({1: sys.executable, 2: ".".join(map(str, sys.version_info[:3]))})


def program_options(about_request: bytes) -> tuple[str, str, dict[str, object]]:
    """(root folder, program folder, runtime options) of a serialized AboutRequest."""
    root = program_dir = ""
    options: dict[str, object] = {}
    for number, info in decode_fields(about_request):
        if number != 1 or not isinstance(info, bytes):  # AboutRequest.info
            continue
        for field, value in decode_fields(info):  # ProgramInfo
            if not isinstance(value, bytes):
                continue
            if field == 1:
                root = value.decode()
            elif field == 2:
                program_dir = value.decode()
            elif field == 4:
                options.update(_struct(value))
    return root, program_dir, options


def _struct(data: bytes) -> dict[str, object]:
    """A google.protobuf.Struct of scalars (Pulumi.yaml's runtime options)."""
    found: dict[str, object] = {}
    for number, entry in decode_fields(data):
        if number != 1 or not isinstance(entry, bytes):
            continue
        key, value = "", None
        for field, part in decode_fields(entry):
            if field == 1 and isinstance(part, bytes):
                key = part.decode()
            elif field == 2 and isinstance(part, bytes):
                value = _value(part)
        found[key] = value
    return found


def _value(data: bytes) -> object:
    """A google.protobuf.Value: string, number or bool (anything else as an unusable marker)."""
    for kind, part in decode_fields(data):
        if kind == 3 and isinstance(part, bytes):
            return part.decode()
        if kind == 4:
            return bool(part)
        if kind == 2 and isinstance(part, bytes):
            return struct.unpack("<d", part)[0]
    return object()


def _real_handler(engine_address: str | None) -> Any:
    try:
        from pulumi_vast.engine.language_runtime import LanguageHost, generic_handler
    except ImportError as exc:
        if not (exc.name or "").startswith(PRIVATE_SERVICER):
            raise
        message = sdk_too_old_message(exc)
        sys.stderr.write(f"{_PROG}: {message}\n")
        raise SdkTooOld(message) from exc
    return generic_handler(LanguageHost(engine_address))


def sdk_too_old_message(exc: ImportError) -> str:
    import importlib.metadata

    return (
        f"the installed pulumi SDK {importlib.metadata.version('pulumi')} has no "
        f"{PRIVATE_SERVICER} ({exc}), which pulumi-vast's language host builds on: install "
        "the version constraints.txt pins (`./dev setup`)"
    )


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
