"""Teardown and money policies: inputs that steer the provider and never reach Vast.

A policy is declared for the whole stack (``vast:policy`` in stack config) and per
resource (``policy=vast.Policy(...)``). Every field is optional; a resource's own value
wins over the stack's, field by field (`Policy.over`), so a stack can set a budget and a
TTL once and one instance can keep its disk on destroy.

Every field is `STATE`: a change to a policy touches nothing live, it applies from the
next operation that uses it (a TTL from the next create, a save from the next destroy).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from pulumi_vast.resources._fields import SECRET, STATE, Input, ResourceArgs

__all__ = ["Policy", "S3Target", "SavePolicy"]

OnDestroy = Literal["destroy", "stop", "keep"]
OnLost = Literal["keep", "replace", "resume"]


def _remote_path(text: str) -> str:
    if not text.strip() or any(c in text for c in "\n\r\0"):
        raise ValueError(
            f"{text!r} is not a path on the instance: give one line such as '/workspace/out'"
        )
    return text


def _bucket(text: str) -> str:
    if not 3 <= len(text) <= 63 or not all(c.isalnum() or c in "-." for c in text):
        raise ValueError(
            f"{text!r} is not an S3 bucket name: 3 to 63 letters, digits, '-' or '.', "
            "e.g. 'team-results'"
        )
    return text


RemotePath = Annotated[str, AfterValidator(_remote_path)]
Bucket = Annotated[str, AfterValidator(_bucket)]
PositiveHours = Annotated[float, Field(gt=0, le=24 * 365)]
PositiveUsd = Annotated[float, Field(gt=0)]


class S3Target(ResourceArgs):
    """Where saved files go in S3 (or any S3-compatible store, via `endpoint_url`)."""

    bucket: Annotated[Input[Bucket], STATE, Field(description="The bucket.")]
    prefix: Annotated[
        Input[str],
        STATE,
        Field(description="Key prefix; each resource saves under `prefix/<resource name>/`."),
    ] = ""
    endpoint_url: Annotated[
        Input[str] | None,
        STATE,
        Field(description="An S3-compatible endpoint instead of AWS's, e.g. MinIO's URL."),
    ] = None
    region: Annotated[Input[str] | None, STATE, Field(description="The bucket's region.")] = None
    access_key_id: Annotated[
        Input[str] | None,
        STATE | SECRET,
        Field(description="Access key id (else the usual AWS environment and files)."),
    ] = None
    secret_access_key: Annotated[
        Input[str] | None,
        STATE | SECRET,
        Field(description="Secret access key: pass it as a Pulumi secret."),
    ] = None


class SavePolicy(ResourceArgs):
    """Files copied off an instance before it is destroyed (or replaced)."""

    paths: Annotated[
        Input[Annotated[list[Input[RemotePath]], Field(min_length=1)]],
        STATE,
        Field(description="Paths on the instance (files or folders) to save."),
    ]
    local_dir: Annotated[
        Input[str] | None,
        STATE,
        Field(description="A local folder; each resource saves under `<local_dir>/<name>/`."),
    ] = None
    s3: Annotated[Input[S3Target] | None, STATE, Field(description="An S3 target.")] = None


class Policy(ResourceArgs):
    """What pulumi-vast does about money and data; unset fields inherit the stack's."""

    max_hours: Annotated[
        Input[PositiveHours] | None,
        STATE,
        Field(
            description="TTL: the instance destroys itself this many hours after it starts, "
            "with no `pulumi` running.",
            examples=[4],
        ),
    ] = None
    max_budget: Annotated[
        Input[PositiveUsd] | None,
        STATE,
        Field(
            description="USD: preview and up refuse a plan whose estimated total exceeds it.",
            examples=[20],
        ),
    ] = None
    save: Annotated[
        Input[SavePolicy] | None,
        STATE,
        Field(description="Files to copy off before destroy; a failed save blocks destroy."),
    ] = None
    force_destroy: Annotated[
        Input[bool] | None,
        STATE,
        Field(
            description="Destroy even when the save fails (a warning names what was not "
            "saved); for one `pulumi destroy`, `PULUMI_VAST_FORCE_DESTROY=1` does the same."
        ),
    ] = None
    on_destroy: Annotated[
        Input[OnDestroy] | None,
        STATE,
        Field(
            description="`destroy` (default), `stop` (keeps the disk, bills storage only) or "
            "`keep` (leaves it running)."
        ),
    ] = None
    on_lost: Annotated[
        Input[OnLost] | None,
        STATE,
        Field(
            description="What `pulumi up` does with an instance whose host went offline or "
            "that was outbid: `keep` (default), `replace`, or `resume` (interruptible)."
        ),
    ] = None

    def over(self, stack: Policy | None) -> Policy:
        """This policy, each unset field taken from the stack's."""
        if stack is None:
            return self
        own: dict[str, Any] = {
            name: getattr(self, name)
            for name in type(self).model_fields
            if getattr(self, name) is not None
        }
        return stack.model_copy(update=own)
