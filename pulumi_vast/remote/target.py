"""Where and how to log in to an instance over SSH, and the command a person would paste."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_SSH_USER",
    "HOST_KEY_OPTIONS",
    "KEY_FILE_OPTIONS",
    "SshTarget",
    "ssh_command",
]

#: Vast instances are entered as root.
DEFAULT_SSH_USER = "root"
#: Seconds to wait for a TCP connection, the SSH banner, and authentication, each.
DEFAULT_CONNECT_TIMEOUT = 10.0
_KEY_TEXT_MARKER = "-----BEGIN "


class SshTarget(BaseModel):
    """One SSH endpoint of an instance (Vast gives two: the proxy and the direct port)."""

    model_config = ConfigDict(frozen=True)

    host: str = Field(min_length=1, description="Host name or IP address.")
    port: int = Field(default=22, ge=1, le=65535, description="TCP port of the SSH server.")
    user: str = Field(default=DEFAULT_SSH_USER, min_length=1)
    private_key: Path | SecretStr | None = Field(
        default=None,
        description="A private key file, or the key's text (kept secret: never in reprs or "
        "logs). None: no key known, enough for `ssh_command`; connecting needs one.",
    )
    connect_timeout: float = Field(default=DEFAULT_CONNECT_TIMEOUT, gt=0)
    label: str = Field(default="", description='How messages name this route, e.g. "proxy".')

    @field_validator("private_key", mode="before")
    @classmethod
    def _path_or_text(cls, value: object) -> object:
        if isinstance(value, str):
            return SecretStr(value) if _KEY_TEXT_MARKER in value else Path(value).expanduser()
        return value

    @property
    def endpoint(self) -> str:
        """``user@host:port``, with the label in front when there is one."""
        address = f"{self.user}@{self.host}:{self.port}"
        return f"{self.label} {address}" if self.label else address

    @property
    def key_path(self) -> Path | None:
        """The private key file, when the key was given as a path."""
        return self.private_key if isinstance(self.private_key, Path) else None


HOST_KEY_OPTIONS = (
    # Vast hands a (host, port) of its SSH gateway to instance after instance, each with a
    # host key of its own, and its API publishes none to check against: a key remembered
    # in known_hosts would make the next instance on that port fail ("host key changed"),
    # and a script has no one to answer the first-use prompt ("Host key verification
    # failed"). The simulator does the same on 127.0.0.1.
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    # ...which would otherwise print "Permanently added ..." to stderr on every login.
    "-o",
    "LogLevel=ERROR",
)
"""The OpenSSH options `ssh_command` always adds, and why each is there."""
KEY_FILE_OPTIONS = (
    # Offer only the given key: an agent holding several keys would otherwise offer them
    # first and reach the server's limit of attempts ("Too many authentication failures").
    "-o",
    "IdentitiesOnly=yes",
)
"""Added with ``-i KEY``."""


def ssh_command(target: SshTarget, key_path: Path | None = None) -> str:
    """The OpenSSH command line that logs in to ``target``, pasted anywhere or run in a script.

    ``-i KEY`` is added when a key file is known: ``key_path``, else the target's own key
    when it was given as a path; it is made absolute (from this process's working
    directory), so the command works from any folder. `HOST_KEY_OPTIONS` say why the host
    key is not checked.
    """
    argv = ["ssh", "-p", str(target.port)]
    key = key_path or target.key_path
    if key is not None:
        argv += ["-i", os.path.abspath(key.expanduser()), *KEY_FILE_OPTIONS]
    argv += [*HOST_KEY_OPTIONS, f"{target.user}@{target.host}"]
    return shlex.join(argv)
