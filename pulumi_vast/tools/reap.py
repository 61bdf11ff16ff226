"""`pulumi-vast reap --stack S`: destroy what a stack should no longer be paying for.

    pulumi-vast reap --stack dev --dry-run      # list only
    pulumi-vast reap --stack prod --cwd infra   # for a cron job or a scheduled pipeline

It destroys, in the stack's account:

- its instances past their TTL (`policy.max_hours`) that are still there (the instance's
  own watchdog failed, or was removed);
- its instances over budget: one whose charges reached its own `policy.max_budget`, or
  all of them once the stack's charges reached `vast:policy.max_budget`;
- instances that carry the stack's tag but that its state does not hold: a create whose
  answer was lost when `pulumi` was stopped by force. One younger than --orphan-age
  minutes (default 60) is left alone, and listed: it may be a create still in flight.

It says what it did, and exits 1 if something could not be destroyed (2 if the stack could
not be read). The state still holds the instances it destroyed: the next `pulumi refresh`
(or `up`) drops them. Run it in the stack's project folder (or --cwd), with what its
backend needs (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE...): the state and the `vast:`
settings come from the `pulumi` CLI (`pulumi stack export`, `pulumi config`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulumi_vast.api import Instance as LiveInstance
from pulumi_vast.api import VastClient, VastError
from pulumi_vast.resources._connection import connection_for
from pulumi_vast.resources._owner import stack_of
from pulumi_vast.resources._ttl import expiry_of, iso
from pulumi_vast.tools._stack import StackError, StackView, find_pulumi, read_stack
from pulumi_vast.tools.cost import DEFAULT_DAYS, add_stack_arguments

__all__ = ["Reaping", "plan_reaping", "register"]

DEFAULT_ORPHAN_AGE = 60.0


@dataclass(frozen=True)
class Reaping:
    instance_id: int
    resource: str
    """The resource holding it, or "" for one the state does not hold."""
    reason: str


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "reap",
        help="destroy a stack's instances past their TTL, over budget, or missing from its state",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help="list what would go; destroy none")
    parser.add_argument(
        "--orphan-age",
        type=float,
        default=DEFAULT_ORPHAN_AGE,
        metavar="MINUTES",
        help="leave instances missing from the state alone until this old (default "
        f"{DEFAULT_ORPHAN_AGE:g}): younger ones may be creates in flight",
    )
    parser.add_argument(
        "--days",
        type=float,
        default=DEFAULT_DAYS,
        help=f"how far back charges count toward a budget (default {DEFAULT_DAYS})",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        stack = read_stack(args.stack, cwd=args.cwd, pulumi=find_pulumi(args.pulumi))
        client = connection_for(stack.settings).client
        reapings, spared = plan_reaping(
            stack, client, orphan_age=args.orphan_age * 60, days=args.days
        )
    except (StackError, VastError) as exc:
        print(f"pulumi-vast reap: {exc}", file=sys.stderr)
        return 2
    for note in spared:
        print(f"left alone: {note}")
    if not reapings:
        print(f"stack {args.stack}: nothing to reap")
        return 0
    failed = 0
    for reaping in reapings:
        what = f"instance {reaping.instance_id}" + (
            f" ({reaping.resource})" if reaping.resource else ""
        )
        if args.dry_run:
            print(f"would destroy {what}: {reaping.reason}")
            continue
        try:
            client.instances.destroy(reaping.instance_id)
        except VastError as exc:
            failed += 1
            print(f"could not destroy {what} ({reaping.reason}): {exc}", file=sys.stderr)
        else:
            print(f"destroyed {what}: {reaping.reason}")
    if not args.dry_run and len(reapings) > failed:
        print(f"`pulumi refresh --stack {args.stack}` drops the destroyed ones from the state")
    return 1 if failed else 0


def plan_reaping(
    stack: StackView, client: VastClient, *, orphan_age: float, days: float
) -> tuple[list[Reaping], list[str]]:
    """What to destroy and why, and what was spared (young orphans)."""
    live = {instance.id: instance for instance in client.instances.list()}
    now = client.server_time()
    held = {r.instance_id: r for r in stack.instances}
    stack_policy = stack.settings.policy
    spent = _spent(stack, client, now, days)
    stack_total = sum(spent.get(i, 0.0) for i in held if i is not None)
    stack_budget = stack_policy.max_budget if stack_policy is not None else None
    reapings: list[Reaping] = []
    for instance_id, resource in held.items():
        instance = live.get(instance_id or 0)
        if instance is None or instance_id is None:
            continue  # gone already: a refresh drops it
        reasons = list(_past_ttl(instance, now))
        budget = resource.policy(None).max_budget
        if isinstance(budget, float | int) and spent.get(instance_id, 0.0) >= budget:
            reasons.append(
                f"over budget: it cost {spent[instance_id]:.3f} USD of its max_budget {budget:g}"
            )
        if isinstance(stack_budget, float | int) and stack_total >= stack_budget:
            reasons.append(
                f"over budget: the stack cost {stack_total:.3f} USD of its max_budget "
                f"{stack_budget:g} (vast:policy)"
            )
        if reasons:
            reapings.append(Reaping(instance_id, resource.name, "; ".join(reasons)))
    spared: list[str] = []
    tags = stack.stack_ids
    for instance in live.values():
        if instance.id in held or stack_of(instance) not in tags:
            continue
        age = now - (instance.start_date or now)
        lost = "it carries the stack's tag, but the stack's state does not hold it"
        if age >= orphan_age or any(_past_ttl(instance, now)):
            reapings.append(Reaping(instance.id, "", lost))
        else:
            spared.append(
                f"instance {instance.id}: {lost}, but it is {age / 60:.0f} min old (a create "
                "in flight?); it is reaped once older than --orphan-age"
            )
    return reapings, spared


def _past_ttl(instance: LiveInstance, now: float) -> Iterable[str]:
    expiry = expiry_of(instance.extra_env)
    if expiry is not None and expiry <= now:
        yield f"past its TTL (it should have ended at {iso(expiry)})"


def _spent(stack: StackView, client: VastClient, now: float, days: float) -> dict[int, float]:
    """Charges per instance id, asked for only when a budget applies."""
    stack_policy = stack.settings.policy
    budgets = [r.policy(None).max_budget for r in stack.instances]
    if stack_policy is not None:
        budgets.append(stack_policy.max_budget)
    if all(budget is None for budget in budgets):
        return {}
    return {
        charge.contract[1]: charge.amount
        for charge in client.charges.list(now - days * 86400, now + 60, types=("instance",))
        if charge.contract is not None and charge.contract[0] == "instance"
    }
