"""Docker options as one string (``-e KEY=value -p 8080:8080``), the form a template's
``env`` takes: written from a dict of variables and a list of ports, and read back.

Reading follows the official client's ``parse_env`` (`vastai/utils.py`), the nearest thing
to a documented grammar: the string is split on spaces outside quotes; ``-e KEY=VALUE``
sets a variable (the value loses surrounding quotes), ``-p HOST:CONTAINER[/proto]``
exposes a port; other flags (``-v``, ``-n``, ``-h``) are kept in the string but not read
here. Writing quotes a value with spaces in double quotes; a value with a quote
character or a line break cannot be written so that it reads back, and is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pulumi_vast.api.instances import ENV_NAME, port_mapping

__all__ = ["DockerOptions", "parse_docker_options", "render_docker_options", "writable"]

_UNWRITABLE = frozenset("'\"\n\r")
_PORT_CHARACTERS = frozenset("0123456789:tcp/udp")


@dataclass(frozen=True)
class DockerOptions:
    """What a Docker options string sets: variables and exposed ports."""

    env: dict[str, str] = field(default_factory=dict, repr=False)
    ports: tuple[str, ...] = ()


def render_docker_options(env: Mapping[str, str], ports: Iterable[str] = ()) -> str | None:
    """``{"A": "1"}, ["8080"]`` -> ``"-e A=1 -p 8080:8080"``; None when there is nothing.

    ValueError (naming the variable, never its value) for a name that is not one or a
    value that cannot be written; ports are checked as `port_mapping` checks them.
    """
    parts: list[str] = []
    for name, value in env.items():
        if not ENV_NAME.match(name):
            raise ValueError(f"{name!r} is not a variable name (letters, digits, _)")
        if not writable(value):
            raise ValueError(
                f"the value of {name} has a quote or a line break, which Docker options "
                "cannot carry; pass it as an account env var or in the onstart script"
            )
        written = f'"{value}"' if " " in value else value
        parts.append(f"-e {name}={written}")
    parts += [f"-p {port_mapping(port)}" for port in ports]
    return " ".join(parts) or None


def writable(value: str) -> bool:
    """Whether a variable's value can be written into Docker options and read back."""
    return not _UNWRITABLE & set(value)


def parse_docker_options(text: str | None) -> DockerOptions:
    """The variables and ports a Docker options string sets, as the official client reads
    them; anything else in it is ignored."""
    env: dict[str, str] = {}
    ports: list[str] = []
    flag: str | None = None
    for word in _split(text or ""):
        if flag is None:
            flag = word if word in ("-e", "-p", "-h", "-v", "-n") else None
            continue
        if flag == "-e" and "=" in word:
            name, value = word.split("=", 1)
            env[name] = value.strip("'\"")
        elif flag == "-p" and set(word) <= _PORT_CHARACTERS:
            ports.append(word)
        flag = None
    return DockerOptions(env, tuple(ports))


def _split(text: str) -> list[str]:
    """Split on spaces outside single or double quotes (quotes kept), as ``smart_split``."""
    words: list[str] = []
    current: list[str] = []
    quoted = {"'": False, '"': False}
    for char in text:
        if char == " " and not any(quoted.values()):
            words.append("".join(current))
            current = []
            continue
        if char in quoted:
            quoted[char] = not quoted[char]
        current.append(char)
    words.append("".join(current))
    return words
