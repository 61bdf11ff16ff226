"""`on_lost`'s verdict on an instance: keep (saying so), replace, or resume an outbid one."""

from __future__ import annotations

from pulumi_vast.api import Instance as LiveInstance
from pulumi_vast.resources._lost import FINE, judge

OFFLINE = LiveInstance(
    id=7, actual_status="offline", intended_status="running", status_msg="Host machine is offline"
)
OUTBID = LiveInstance(
    id=7,
    is_bid=True,
    min_bid=0.3,
    cur_state="stopped",
    intended_status="stopped",
    next_state="stopped",
    actual_status="stopped",
)
RUNNING = LiveInstance(id=7, actual_status="running", intended_status="running")


def test_keep_judges_on_the_last_refresh_and_says_it_keeps_it() -> None:
    assert judge("7", "keep", olds={"status": "running"}, live=None, bid=None) == FINE
    verdict = judge("7", "keep", olds={"status": "offline", "running": True}, live=None, bid=None)
    assert not verdict.replace and verdict.warning is not None
    assert verdict.warning.startswith("instance 7 was offline at the last refresh; on_lost: keep")


def test_replace_replaces_a_lost_instance_and_only_that() -> None:
    verdict = judge("7", "replace", olds={}, live=OFFLINE, bid=None)
    assert verdict.replace
    assert verdict.note == (
        "instance 7 is offline: Host machine is offline: on_lost: replace rents a new one"
    )
    assert judge("7", "replace", olds={}, live=RUNNING, bid=None) == FINE
    assert judge("7", "replace", olds={}, live=None, bid=None) == FINE


def test_resume_starts_an_outbid_instance_whose_bid_is_at_least_the_minimum() -> None:
    assert judge("7", "resume", olds={}, live=OUTBID, bid=0.5).resume
    low = judge("7", "resume", olds={}, live=OUTBID, bid=0.2)
    assert not low.resume and not low.replace
    assert low.warning is not None and "below the current minimum, $0.3/h" in low.warning


def test_resume_leaves_a_lost_host_as_it_is_saying_what_would_replace_it() -> None:
    verdict = judge("7", "resume", olds={}, live=OFFLINE, bid=0.5)
    assert not verdict.resume and not verdict.replace
    assert verdict.warning is not None and "policy.on_lost: replace" in verdict.warning
