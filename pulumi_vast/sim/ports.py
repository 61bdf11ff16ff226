"""Picking loopback ports for simulated instances."""

from __future__ import annotations

import socket
from collections.abc import Container

__all__ = ["free_port"]


def free_port(host: str = "127.0.0.1", *, avoid: Container[int] = ()) -> int:
    """A port nothing listens on right now (and not in `avoid`)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port: int = probe.getsockname()[1]
        if port not in avoid:
            return port
