"""What deleting an instance does to it: its policy's `on_destroy`.

`destroy` (the default) gives it back. `stop` stops it, which ends GPU billing and keeps its
disk (and what is on it), which still bills; `keep` leaves it running. Either way the
resource leaves the stack's state, and the instance is released: its label says so, and no
sweep of the stack (a replacement's create, a refresh, `pulumi destroy`'s stack tag, the
reaper) takes it for something an interrupted run left behind (`Owner.owns`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulumi_vast.api import MAX_LABEL_LENGTH
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._owner import RELEASED_MARK
from pulumi_vast.resources._policy import Policy

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["release"]


def release(client: VastClient, instance_id: int, policy: Policy, label: str) -> bool:
    """Carry out ``policy.on_destroy`` for a deleted instance; False when it is to be
    destroyed (the caller's job), True when it was stopped or kept instead."""
    action = policy.on_destroy or "destroy"
    if action == "destroy":
        return False
    live = client.instances.get(instance_id)
    if live is None:
        return True  # already gone: nothing to keep
    mark = f" {RELEASED_MARK}"
    client.instances.set_label(instance_id, label[: MAX_LABEL_LENGTH - len(mark)] + mark)
    if action == "stop":
        client.instances.set_state(instance_id, "stopped")
        storage = live.storage_total_cost or 0.0
        progress.warn(
            f"instance {instance_id} stopped, not destroyed (on_destroy: stop): its GPU no "
            f"longer bills, its disk still costs ${storage:.4f}/h (${storage * 24:.2f}/day) "
            f"until you destroy it (vastai destroy instance {instance_id}); it has left the "
            "stack's state"
        )
    else:
        progress.warn(
            f"instance {instance_id} kept running (on_destroy: keep): it still bills "
            f"${live.dph_total or 0:.4f}/h until you destroy it (vastai destroy instance "
            f"{instance_id}); it has left the stack's state"
        )
    return True
