"""`Policy.max_hours`: a TTL the instance enforces on itself, with no `pulumi` running.

At create the instance gets its deadline as a tag in its environment (`EXPIRES_ENV`, epoch
seconds; like the stack's tags, every listing shows it, so `pulumi-vast reap` and a refresh
can read it) and a watchdog at the head of its start-up script. In the background, the
watchdog sleeps until the deadline, then destroys the instance through the API with the
key Vast gives each instance, ``CONTAINER_API_KEY``, valid for that instance alone: the
account's key never reaches the instance. It retries until the instance is gone (its
processes end with it). It looks at the clock every 10 seconds, so a clock that jumps (a
suspended host, NTP) is followed. The start-up script runs again at each start, and the deadline is
absolute, so stopping and starting the instance does not extend it.

The deadline counts from the create: a TTL bounds what a rental can cost, boot included.
The watchdog text depends on the API URL only, so an instance left by an interrupted run
is still adopted by the next create (and keeps its own deadline).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = [
    "EXPIRES_ENV",
    "deadline",
    "expiry_of",
    "iso",
    "parse_iso",
    "watchdog",
    "with_watchdog",
]

EXPIRES_ENV = "PULUMI_VAST_EXPIRES"
"""The instance's deadline in epoch seconds, in its environment."""
LOG_FILE = ".pulumi-vast-ttl.log"
"""Where, in the container's home, the watchdog writes what went wrong, if anything."""

_WATCHDOG = """\
# pulumi-vast max_hours: destroy this instance at $PULUMI_VAST_EXPIRES with its own key
(
  d=${PULUMI_VAST_EXPIRES:?}
  while :; do
    left=$((d - $(date +%s)))
    [ "$left" -le 0 ] && break
    sleep $((left < 10 ? left : 10))
  done
  u="@API_URL@/api/v0/instances/$CONTAINER_ID/"
  until curl -fsS -X DELETE -H "Authorization: Bearer $CONTAINER_API_KEY" "$u" ||
    U="$u" python3 -c 'import os, urllib.request as r; r.urlopen(r.Request(os.environ["U"], \
method="DELETE", headers={"Authorization": "Bearer " + os.environ["CONTAINER_API_KEY"]}))'
  do
    sleep 30
  done
) >>"$HOME/@LOG@" 2>&1 &
"""


def deadline(max_hours: float, *, now: float | None = None) -> int:
    """The epoch second an instance created now with this TTL destroys itself."""
    start = time.time() if now is None else now
    return int(start + max_hours * 3600)


def expiry_of(env: Mapping[str, str]) -> int | None:
    """An instance's deadline, from its environment (None: it has no TTL)."""
    text = env.get(EXPIRES_ENV, "")
    return int(text) if text.isdigit() else None


def iso(epoch: float) -> str:
    """``2026-12-01T07:30:00Z``: how outputs and messages show a deadline."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    """The epoch seconds of a deadline shown by `iso`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def watchdog(api_url: str) -> str:
    """The start-up lines that destroy the instance at its deadline (`EXPIRES_ENV`)."""
    return _WATCHDOG.replace("@API_URL@", api_url.rstrip("/")).replace("@LOG@", LOG_FILE)


def with_watchdog(api_url: str, onstart: str | None) -> str:
    """The start-up script: the watchdog first (in the background), then the user's own."""
    script = watchdog(api_url)
    return script if not onstart else f"{script}{onstart}"
