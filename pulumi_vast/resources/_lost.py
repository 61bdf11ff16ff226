"""Lost instances: the host went offline (or its container died) after the instance was
ready, or an interruptible one was outbid. What `pulumi up` does about one is its policy's
`on_lost`: `keep` (the default) leaves it, saying so once a refresh has seen it lost;
`replace` rents a new one in its place; `resume` starts an outbid one again when its bid
is at least the current minimum.

Only `replace` and `resume` look at the live instance: with `keep`, an unchanged instance
is diffed without a call, judged on what the last refresh saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi_vast.api import FAILED_STATUSES

if TYPE_CHECKING:
    from pulumi_vast.api import Instance as LiveInstance

__all__ = ["FINE", "Verdict", "judge", "lost_in_state", "lost_reason"]


@dataclass(frozen=True)
class Verdict:
    """What `pulumi up` does about an instance, and what it says."""

    replace: bool = False
    resume: bool = False
    note: str | None = None
    """Said once in the preview, for what will be done."""
    warning: str | None = None
    """Said for what will not be done, and how to have it done."""


FINE = Verdict()


def lost_reason(live: LiveInstance) -> str | None:
    """Why ``live`` is lost, in words ("is offline: ..."); None if it is not."""
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


def judge(
    id_: str,
    action: str,
    *,
    olds: Mapping[str, Any],
    live: LiveInstance | None,
    bid: float | None,
) -> Verdict:
    """The verdict on instance ``id_`` under ``on_lost: action``, from its state (``olds``)
    or, for `replace` and `resume`, from the ``live`` instance."""
    why = lost_in_state(olds) if action == "keep" else (live and lost_reason(live))
    if not why:
        return FINE
    if action == "replace":
        return Verdict(replace=True, note=f"instance {id_} {why}: on_lost: replace rents a new one")
    if action == "resume" and live is not None and live.looks_outbid:
        floor = live.min_bid or 0.0
        if bid is not None and bid >= floor:
            return Verdict(
                resume=True,
                note=f"instance {id_} was outbid: on_lost: resume starts it again (bid "
                f"${bid:g}/h, minimum now ${floor:g}/h)",
            )
        return Verdict(
            warning=f"instance {id_} was outbid, and its bid (${bid or 0:g}/h) is below the "
            f"current minimum, ${floor:g}/h: on_lost: resume cannot start it. Raise "
            "bid_price to at least that (which replaces it), or set on_lost: replace"
        )
    return Verdict(
        warning=f"instance {id_} {why}; on_lost: {action} leaves it as it is (policy.on_lost: "
        "replace rents a new one in its place)"
    )
