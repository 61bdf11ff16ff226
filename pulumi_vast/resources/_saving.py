"""An instance's `save` policy: files copied off before it is destroyed (or replaced).

A delete of an instance with a `save` policy first copies the paths off it (SFTP, with the
provider's SSH key) into the local folder and/or S3. When anything could not be saved the
delete fails, so the instance keeps running and stays in the state, unless `force_destroy`
is set: then it goes anyway, and a warning names what was not saved.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from pulumi_vast import remote
from pulumi_vast._operation import current_urn
from pulumi_vast.api import Instance as LiveInstance
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._errors import ResourceError
from pulumi_vast.resources._fields import known
from pulumi_vast.resources._owner import Owner
from pulumi_vast.resources._policy import Policy, S3Target, SavePolicy
from pulumi_vast.resources._problems import Failure
from pulumi_vast.resources._settings import ProviderSettings
from pulumi_vast.saving import Miss, S3Place, SaveOutcome, copy_off

__all__ = ["FORCE_DESTROY_ENV", "SaveFailed", "save_before_destroy", "save_problems"]

#: Seconds to find a route that logs in (the instance is running: it should answer at once).
LOGIN_TIMEOUT = 60.0
SET_KEY = "`pulumi config set vast:sshPrivateKeyFile ~/.ssh/id_ed25519`"
FORCE_DESTROY_ENV = "PULUMI_VAST_FORCE_DESTROY"
"""Set (1, true, yes) for one `pulumi destroy`: force_destroy for every resource. A destroy
configures the provider as the last `pulumi up` did, so a `vast:policy` changed since then
does not reach it; the environment does, without an `up` that would re-create what the
destroy already took down."""


class SaveFailed(ResourceError):
    """The save before a destroy failed: nothing was destroyed."""


def _where(own: Policy | None) -> str:
    """How messages name the save policy in force: the resource's own, or the stack's."""
    mine = own is not None and own.save is not None
    return "policy.save" if mine else "vast:policy.save"


def save_problems(
    own: Policy | None, policy: Policy, settings: ProviderSettings, runtype: Any
) -> list[Failure]:
    """Why a `save` policy could not work when the destroy comes (checked at preview)."""
    save = known(policy.save)
    if save is None:
        return []
    where = _where(own)
    failures: list[Failure] = []
    if known(save.local_dir) is None and known(save.s3) is None:
        failures.append(
            (
                where,
                "says what to save but not where: set local_dir (a folder) and/or s3 "
                "(bucket, prefix...)",
            )
        )
    if settings.ssh_key is None:
        failures.append(
            (
                where,
                "copies files over SSH, which needs the private key of one of the account's "
                f"keys: {SET_KEY} (or the key text as a secret: `pulumi config set --secret "
                "vast:sshPrivateKey < KEY`)",
            )
        )
    elif (unusable := settings.ssh_key_problem()) is not None:
        failures.append(unusable)
    if runtype == "args":
        failures.append(
            (where, "runtype 'args' starts no SSH server to copy files over; use 'ssh'")
        )
    return failures


def save_before_destroy(
    live: LiveInstance | None,
    props: Mapping[str, Any],
    *,
    own: Policy | None,
    policy: Policy,
    ssh_key: Path | SecretStr | None,
) -> None:
    """Copy the `save` paths off the instance ``live`` before it is destroyed.

    Raises SaveFailed when anything was not saved, unless `force_destroy` is set (then a
    warning says what is lost). An instance already gone has nothing left to save.
    """
    save = known(policy.save)
    if save is None or live is None:
        return
    force = bool(known(policy.force_destroy)) or _forced_by_environment()
    name = _resource_name(props, live.id)
    outcome = _copy(live, save, name=name, ssh_key=ssh_key)
    saved = _saved(outcome)
    if outcome.complete:
        progress.note(f"instance {live.id}: {saved}, before destroying it")
        return
    missed = "; ".join(str(miss) for miss in outcome.misses)
    if force:
        progress.warn(
            f"instance {live.id}: force_destroy is set, so it is destroyed although its save "
            f"failed; NOT saved: {missed}. {saved.capitalize()}"
        )
        return
    where = _where(own)
    raise SaveFailed(
        f"instance {live.id} was NOT destroyed, because saving its files failed: {missed}. "
        f"{saved.capitalize()}. The instance is still there (and billing) and still in "
        f"the state. Fix {where} (`pulumi up` records it) and destroy again; or destroy it "
        f"without saving what failed: `{FORCE_DESTROY_ENV}=1 pulumi destroy` (or set "
        f"{where.removesuffix('save')}force_destroy: true and `pulumi up`)",
        field=where,
    )


def _forced_by_environment() -> bool:
    return os.environ.get(FORCE_DESTROY_ENV, "").strip().lower() in ("1", "true", "yes")


def _copy(
    live: LiveInstance, save: SavePolicy, *, name: str, ssh_key: Path | SecretStr | None
) -> SaveOutcome:
    paths = [known(path) for path in known(save.paths)]
    local = known(save.local_dir)
    s3 = known(save.s3)
    if ssh_key is None:
        return SaveOutcome(misses=[Miss("SSH", f"no private key to log in with: {SET_KEY}")])
    if not live.is_running:
        return SaveOutcome(
            misses=[
                Miss(
                    f"instance {live.id}",
                    f"it is {live.status or 'not running'}, so nothing can be copied off it "
                    "(start it: running: true)",
                )
            ]
        )
    targets = [
        remote.SshTarget(host=e.host, port=e.port, private_key=ssh_key, label=e.kind)
        for e in live.ssh_endpoints()
    ]
    if not targets:
        return SaveOutcome(misses=[Miss(f"instance {live.id}", "it offers no SSH endpoint")])
    try:
        route = remote.wait_for_ssh(targets, timeout=LOGIN_TIMEOUT).target
    except remote.RemoteError as exc:
        return SaveOutcome(misses=[Miss(f"instance {live.id}", f"cannot log in: {exc}")])
    progress.status(f"instance {live.id}: saving {', '.join(paths)}")
    return copy_off(
        route,
        paths,
        name=name,
        local_dir=Path(local) if local is not None else None,
        s3=_place(s3) if s3 is not None else None,
    )


def _place(target: S3Target) -> S3Place:
    def secret(value: Any) -> SecretStr | None:
        text = known(value)
        return SecretStr(text) if text is not None else None

    return S3Place(
        bucket=known(target.bucket),
        prefix=known(target.prefix),
        endpoint_url=known(target.endpoint_url),
        region=known(target.region),
        access_key_id=secret(target.access_key_id),
        secret_access_key=secret(target.secret_access_key),
    )


def _saved(outcome: SaveOutcome) -> str:
    if not outcome.places or not outcome.files:
        return "nothing was saved"
    files = f"{outcome.files} file" + ("" if outcome.files == 1 else "s")
    return f"saved {files} to {' and '.join(outcome.places)}"


def _resource_name(props: Mapping[str, Any], instance_id: int) -> str:
    """The folder a resource saves under: its name in the stack."""
    owner = Owner.from_props(props)
    if owner is not None:
        return owner.resource
    return current_urn().rpartition("::")[2] or f"instance-{instance_id}"
