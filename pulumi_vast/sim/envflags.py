"""The create request's `env`: Docker flags as a string, or the official client's dict.

The documented form is a flag string (``-e K=V -p 8080:8080 -p 8081:8081/udp -n NET``);
the official client sends it pre-parsed as a dict (``{"K": "V", "-p 8080:8080": "1"}``).
Both become that dict, which is also what instances report back as `extra_env` pairs.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from pulumi_vast.sim.errors import BadRequest

__all__ = ["network_names", "normalize_env", "port_mappings", "user_variables"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PORT_SPEC = re.compile(r"^(?:(\d{1,5}):)?(\d{1,5})(?:/(tcp|udp))?$")
_VALUED_FLAGS = {"-e", "-p", "-h", "-v", "-n"}


def normalize_env(env: object) -> dict[str, str]:
    """The env of a create request as the official client's dict, validated."""
    if env is None:
        return {}
    if isinstance(env, str):
        return _parse_flags(env)
    if isinstance(env, Mapping):
        result: dict[str, str] = {}
        for key, value in env.items():
            if not isinstance(key, str) or not key:
                raise BadRequest(f"env: keys must be non-empty strings, got {key!r}")
            if key.startswith("-p "):
                _port_spec(key[3:].strip())
            elif not key.startswith("-") and not _ENV_NAME.match(key):
                raise BadRequest(f"env: {key!r} is not a valid environment variable name")
            result[key] = "" if value is None else str(value)
        return result
    raise BadRequest(
        'env must be a string of Docker flags ("-e K=V -p 8080:8080") or an object, '
        f"got {type(env).__name__}"
    )


def _parse_flags(text: str) -> dict[str, str]:
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise BadRequest(f"env: cannot parse {text!r}: {exc}") from exc
    result: dict[str, str] = {}
    pending: str | None = None
    for token in tokens:
        if pending is None:
            if token in _VALUED_FLAGS:
                pending = token
            continue
        if pending == "-e":
            name, sep, value = token.partition("=")
            if not sep or not _ENV_NAME.match(name):
                raise BadRequest(f"env: -e expects NAME=VALUE, got {token!r}")
            result[name] = value
        elif pending == "-p":
            _port_spec(token)
            result[f"-p {token}"] = "1"
        else:
            result[f"{pending} {token}"] = "1"
        pending = None
    return result


def _port_spec(spec: str) -> tuple[int, str]:
    match = _PORT_SPEC.match(spec)
    if match is None:
        raise BadRequest(f"env: -p expects HOST:CONTAINER[/tcp|/udp], got {spec!r}")
    ports = [int(group) for group in match.group(1, 2) if group is not None]
    if not all(0 < port < 65536 for port in ports):
        raise BadRequest(f"env: -p {spec}: a port is out of range (1 to 65535)")
    return ports[-1], match.group(3) or "tcp"


def port_mappings(env: Mapping[str, str]) -> list[str]:
    """The container ports the env asks to expose, as Docker names them ("8080/tcp")."""
    ports: list[str] = []
    for key in env:
        if key.startswith("-p "):
            port, proto = _port_spec(key[3:].strip())
            name = f"{port}/{proto}"
            if name not in ports:
                ports.append(name)
    return ports


def user_variables(env: Mapping[str, str]) -> dict[str, str]:
    """The plain environment variables (not Docker flags)."""
    return {key: value for key, value in env.items() if not key.startswith("-")}


def network_names(env: Mapping[str, str]) -> list[str]:
    """Overlay networks joined with ``-n NAME``."""
    return [key[3:].strip() for key in env if key.startswith("-n ")]
