"""The network tools a rented container has, for a simulated instance: `ip` and `hostname`
showing its `eth0`.

On Vast, an instance on an overlay network has the overlay as `eth0`, and the usual way to
find the rendezvous address for NCCL is the IPv4 of `eth0` (``ip -4 addr show eth0``,
``hostname -I``). Here `eth0` is the instance's overlay address when it is on one
(`models.overlays`), else the address Docker's default bridge gives a container
(172.17.0.2/16). The tools print what Linux prints for those (`ip addr` in its full,
``-o`` and ``-br`` forms, optionally ``-4`` and a device; `ip route`), and are rewritten
whenever the instance's hosting follows a change, so joining an overlay later shows too.
Anything else they do not know fails with a message saying so, rather than showing the
simulator's own machine.
"""

from __future__ import annotations

import ipaddress
import shlex
import shutil
from pathlib import Path

from pulumi_vast.sim.gpu_tools import TOOLS_DIR

__all__ = ["DOCKER_BRIDGE", "install_net_tools"]

DOCKER_BRIDGE = ipaddress.IPv4Interface("172.17.0.2/16")
"""`eth0` of a container on no overlay: the first address of Docker's default bridge."""
_LOOPBACK = ipaddress.IPv4Interface("127.0.0.1/8")
_MODES = ("full", "oneline", "brief")


def _mac(address: ipaddress.IPv4Address) -> str:
    return "02:42:" + ":".join(f"{byte:02x}" for byte in address.packed)


def _blocks(eth0: ipaddress.IPv4Interface) -> dict[tuple[str, str, str], str]:
    """(device, mode, family) -> what `ip addr` prints for it."""
    brd = eth0.network.broadcast_address
    inet = {
        "lo": f"inet {_LOOPBACK} scope host lo",
        "eth0": f"inet {eth0} brd {brd} scope global eth0",
    }
    head = {
        "lo": "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group "
        "default qlen 1000",
        "eth0": "2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state "
        "UP group default  link-netnsid 0",
    }
    link = {
        "lo": "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
        "eth0": f"    link/ether {_mac(eth0.ip)} brd ff:ff:ff:ff:ff:ff link-netnsid 0",
    }
    index = {"lo": "1", "eth0": "2"}
    brief = {
        "lo": f"{'lo':<16} UNKNOWN        {_LOOPBACK}",
        "eth0": f"{'eth0@if7':<16} UP             {eth0}",
    }
    lifetime = "       valid_lft forever preferred_lft forever"
    blocks: dict[tuple[str, str, str], str] = {}
    for dev in ("lo", "eth0"):
        blocks[dev, "full", "any"] = "\n".join([head[dev], link[dev], f"    {inet[dev]}", lifetime])
        blocks[dev, "full", "4"] = "\n".join([head[dev], f"    {inet[dev]}", lifetime])
        oneline = f"{index[dev]}: {dev:<6}    {inet[dev]}\\{lifetime}"
        blocks[dev, "oneline", "any"] = blocks[dev, "oneline", "4"] = oneline
        blocks[dev, "brief", "any"] = blocks[dev, "brief", "4"] = brief[dev]
    return blocks


_IP = """#!/bin/sh
# ip of a simulated Vast instance: lo, and eth0 {eth0}.
family=any; mode=full; object=; devs="lo eth0"
while [ $# -gt 0 ]; do
  case "$1" in
    -4) family=4 ;;
    -6) family=6 ;;
    -o|-oneline) mode=oneline ;;
    -br|-brief) mode=brief ;;
    -f|-family) shift; case "$1" in inet) family=4 ;; inet6) family=6 ;; esac ;;
    a|ad|add|addr|addre|addres|address) object=addr ;;
    r|ro|rou|rout|route) object=route ;;
    s|sh|sho|show|l|li|lis|list|ls|dev) ;;
    lo|eth0) devs=$1 ;;
    *) echo "ip (pulumi-vast simulator): unsupported argument '$1'" >&2; exit 255 ;;
  esac
  shift
done
emit() {{
  case "$1:$mode:$family" in
{cases}
  esac
}}
case "$object" in
  addr) [ "$family" = 6 ] && exit 0; for dev in $devs; do emit "$dev"; done ;;
  route) printf '%s\\n' {routes} ;;
  *) echo "ip (pulumi-vast simulator): only 'ip addr' and 'ip route' are simulated" >&2
     exit 255 ;;
esac
"""

_HOSTNAME = """#!/bin/sh
# hostname of a simulated Vast instance: -I and -i show eth0 ({address}).
case "$1" in
  -I|--all-ip-addresses) echo "{address} " ;;
  -i|--ip-address) echo "{address}" ;;
  *) {fallback} ;;
esac
"""


def install_net_tools(root: Path, eth0: ipaddress.IPv4Interface | None) -> None:
    """Write `ip` and `hostname` into the instance folder's tools (see `gpu_tools`), for
    `eth0` (None: Docker's default bridge)."""
    eth0 = eth0 or DOCKER_BRIDGE
    cases = "\n".join(
        f"    {dev}:{mode}:{family}) cat <<'BLOCK'\n{text}\nBLOCK\n      ;;"
        for (dev, mode, family), text in _blocks(eth0).items()
    )
    gateway = next(eth0.network.hosts())
    routes = " ".join(
        shlex.quote(line)
        for line in (
            f"default via {gateway} dev eth0",
            f"{eth0.network} dev eth0 proto kernel scope link src {eth0.ip}",
        )
    )
    real = shutil.which("hostname")
    fallback = f'exec {shlex.quote(real)} "$@"' if real else "uname -n"
    tools = root / TOOLS_DIR
    tools.mkdir(parents=True, exist_ok=True)
    for name, script in (
        ("ip", _IP.format(eth0=eth0, cases=cases, routes=routes)),
        ("hostname", _HOSTNAME.format(address=eth0.ip, fallback=fallback)),
    ):
        path = tools / name
        path.write_text(script)
        path.chmod(0o700)
