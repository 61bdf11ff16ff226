"""Open one fabric connection to a target, and say in plain words why it failed.

Host keys of Vast instances (and of the simulator) are not known in advance, and Vast
reuses proxy ports across instances, so a remembered key would raise false alarms: unknown
keys are accepted, and neither the user's ``known_hosts`` nor their ``~/.ssh/config`` is
read or written. Only the target's own key is offered (no agent, no ``~/.ssh/id_*``), so
what works here works the same on any machine.
"""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fabric import Config, Connection
from paramiko.ssh_exception import NoValidConnectionsError
from pydantic import SecretStr

from pulumi_vast.remote.errors import ConnectFailed, InvalidPrivateKey, duration
from pulumi_vast.remote.target import SshTarget

__all__ = [
    "TRANSPORT_LOGGER",
    "connected",
    "describe_failure",
    "load_private_key",
    "read_private_key",
]

#: paramiko logs every failed handshake at ERROR with a traceback; while an instance boots
#: that is expected noise, so its transports log here, detached from the root logger.
TRANSPORT_LOGGER = "pulumi_vast.remote.transport"
#: How paramiko words a handshake that never got an answer (the second when the transport
#: thread gave up on the banner before authentication began).
_NO_SSH_SERVER_SIGNS = ("SSH protocol banner", "No existing session")
_transport_log = logging.getLogger(TRANSPORT_LOGGER)
_transport_log.addHandler(logging.NullHandler())
_transport_log.propagate = False


def load_private_key(target: SshTarget) -> paramiko.PKey:
    """The target's private key, from its file or its text; InvalidPrivateKey if unusable."""
    key = target.private_key
    if key is None:
        raise InvalidPrivateKey(
            target.endpoint, "no private key was given; pass a key file or the key's text"
        )
    return read_private_key(key)


def read_private_key(key: Path | SecretStr) -> paramiko.PKey:
    """A private key from its file or its text; InvalidPrivateKey says why it is unusable."""
    source = str(key) if isinstance(key, Path) else "given as text"
    try:
        if isinstance(key, Path):
            return paramiko.PKey.from_path(key)
        return _key_from_text(key.get_secret_value())
    except FileNotFoundError:
        raise InvalidPrivateKey(source, "the file does not exist") from None
    except PermissionError:
        raise InvalidPrivateKey(source, "the file is not readable") from None
    except IsADirectoryError:
        raise InvalidPrivateKey(source, "it is a folder, not a key file") from None
    except TypeError:  # cryptography: encrypted key without a password
        raise InvalidPrivateKey(
            source, "it is protected by a passphrase; give an unencrypted key"
        ) from None
    except (ValueError, paramiko.SSHException) as exc:
        raise InvalidPrivateKey(
            source, f"it is not an OpenSSH or PEM private key ({exc})"
        ) from None


def _key_from_text(text: str) -> paramiko.PKey:
    data = text.encode()
    parsed: object
    try:
        parsed = serialization.load_ssh_private_key(data, password=None)
    except ValueError:
        parsed = serialization.load_pem_private_key(data, password=None)
    key_class: type[paramiko.PKey]
    if isinstance(parsed, rsa.RSAPrivateKey):
        key_class = paramiko.RSAKey
    elif isinstance(parsed, ed25519.Ed25519PrivateKey):
        key_class = paramiko.Ed25519Key
    elif isinstance(parsed, ec.EllipticCurvePrivateKey):
        key_class = paramiko.ECDSAKey
    else:
        raise ValueError(f"unsupported key type {type(parsed).__name__}")
    return key_class.from_private_key(io.StringIO(text))


@contextmanager
def connected(
    target: SshTarget, key: paramiko.PKey | None = None, *, timeout: float | None = None
) -> Iterator[Connection]:
    """An open, authenticated connection to ``target``, closed on exit.

    ``timeout`` (default: the target's ``connect_timeout``) bounds each of the TCP connect,
    the SSH banner and authentication. Raises ConnectFailed in plain words.
    """
    seconds = timeout if timeout is not None else target.connect_timeout
    conn = Connection(
        host=target.host,
        user=target.user,
        port=target.port,
        config=Config(ssh_config=paramiko.SSHConfig(), lazy=True),
        connect_kwargs={
            "pkey": key if key is not None else load_private_key(target),
            "look_for_keys": False,
            "allow_agent": False,
            "timeout": seconds,
            "banner_timeout": seconds,
            "auth_timeout": seconds,
        },
    )
    conn.client.set_log_channel(TRANSPORT_LOGGER)
    try:
        try:
            conn.open()
        except Exception as exc:
            raise ConnectFailed(target.endpoint, describe_failure(exc, seconds)) from exc
        yield conn
    finally:
        conn.close()


def describe_failure(exc: BaseException, timeout: float) -> str:
    """Why a connection attempt failed, in words a person can act on."""
    if isinstance(exc, paramiko.AuthenticationException):
        return (
            "the server refused the key (is this key attached to the instance, "
            "or registered on the account?)"
        )
    if isinstance(exc, NoValidConnectionsError | ConnectionRefusedError):
        return "connection refused (nothing is listening on that port yet)"
    if isinstance(exc, socket.gaierror):
        return f"the host name cannot be resolved ({exc.strerror})"
    if isinstance(exc, TimeoutError):
        return f"no answer within {duration(timeout)}"
    if isinstance(exc, EOFError | ConnectionResetError):
        return "the connection was closed during the SSH handshake (still starting?)"
    if isinstance(exc, paramiko.SSHException) and any(
        sign in str(exc) for sign in _NO_SSH_SERVER_SIGNS
    ):
        return "the port accepted the connection but no SSH server answered (still starting?)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
