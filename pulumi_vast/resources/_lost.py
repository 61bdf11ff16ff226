"""Lost instances: the host went offline (or its container died) after the instance was
ready, or an interruptible one was outbid. What `pulumi up` does about one is its policy's
`on_lost`: `keep` (the default) leaves it, saying so; `replace` rents a new one and
destroys the lost one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi_vast.api import FAILED_STATUSES

if TYPE_CHECKING:
    from pulumi_vast.api import Instance as LiveInstance

__all__ = ["lost_in_state", "lost_reason"]


def lost_reason(live: LiveInstance) -> str | None:
    """Why ``live`` is lost, in words ("its host is offline: ..."); None if it is not."""
    if live.looks_outbid:
        return "was outbid and stopped (interruptible)"
    if live.is_failed:
        why = f": {live.status_msg}" if live.status_msg else ""
        return f"is {live.actual_status}{why}"
    return None


def lost_in_state(outs: Mapping[str, Any]) -> str | None:
    """Why the instance these outputs describe (as the last refresh or up saw it) is lost;
    None if it did not look lost then."""
    status = outs.get("status")
    if outs.get("running") is not False and status in FAILED_STATUSES:
        return f"was {status} at the last refresh"
    return None
