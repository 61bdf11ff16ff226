"""More than one Vast account in one program: an explicit provider per account.

A dynamic resource runs under Pulumi's `pulumi-python` provider. An explicit provider of
that package, made with its own `vast:` settings, is a provider process of its own, which
the engine configures with those settings alone; each resource given it as its `provider`
has all its calls served there, so they go to that account. That is `Account`: the
`provider=` resource option every Pulumi package has, and nothing else to learn.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pulumi

from pulumi_vast.resources._policy import Policy
from pulumi_vast.resources._problems import Failure, InvalidInputs
from pulumi_vast.resources._settings import (
    LOCAL,
    SECRET_SETTINGS,
    SETTING_KEYS,
    InvalidSettings,
    ProviderSettings,
)

__all__ = ["DYNAMIC_PACKAGE", "Account"]

DYNAMIC_PACKAGE = "pulumi-python"
"""The package of Pulumi's Python dynamic resources, whose providers an `Account` is."""


class Account(pulumi.ProviderResource):
    """A Vast account of its own: the resources given it as their provider are made, read
    and deleted there, with its key.

    ## Example Usage

    ```python
    import pulumi
    import pulumi_vast as vast

    config = pulumi.Config()
    team_b = vast.Account("team-b", api_key=config.require_secret("teamBKey"))
    gpu = vast.Instance(
        "trainer",
        query="gpu_ram>=24 num_gpus=1",
        image="pytorch/pytorch",
        opts=pulumi.ResourceOptions(provider=team_b),
    )
    ```

    Resources without it use the stack's `vast:` settings. Its own settings are those
    same ones under their Python names; one left out is not taken from the stack's config
    (an explicit provider stands alone, as in other Pulumi packages), only from the
    environment variable the provider reads for it (`VAST_URL` for `api_url`...); its
    `policy` stands in for `vast:policy`. The key
    is a secret wherever Pulumi keeps it. Each account's resources carry a stack tag of
    that account (`vast-stack-tag-<name>`), so `pulumi destroy` sweeps each account.
    """

    def __init__(
        self,
        resource_name: str,
        *,
        api_key: pulumi.Input[str] | None = None,
        api_url: pulumi.Input[str] | None = None,
        ssh_private_key_file: pulumi.Input[str] | None = None,
        ssh_private_key: pulumi.Input[str] | None = None,
        sim_data_dir: pulumi.Input[str] | None = None,
        policy: Policy | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        given = {
            "api_key": api_key,
            "api_url": api_url,
            "ssh_private_key_file": ssh_private_key_file,
            "ssh_private_key": ssh_private_key,
            "sim_data_dir": sim_data_dir,
        }
        given = {name: _text(value) for name, value in given.items() if value is not None}
        _check(f'Account("{resource_name}")', given)
        props: dict[str, Any] = {
            SETTING_KEYS[name]: pulumi.Output.secret(value) if name in SECRET_SETTINGS else value
            for name, value in given.items()
        }
        if policy is not None:
            # A provider's settings are text: the policy travels as JSON (its secrets stay
            # secret, its Outputs are awaited).
            props[SETTING_KEYS["policy"]] = pulumi.Output.from_input(policy.to_inputs()).apply(
                json.dumps
            )
        super().__init__(DYNAMIC_PACKAGE, resource_name, props, opts)


def _text(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, Path) else value


def _check(owner: str, given: dict[str, Any]) -> None:
    """Refuse, naming the argument, settings the provider would refuse; values that are
    Outputs are checked by the provider once known."""
    known = {SETTING_KEYS[name]: v for name, v in given.items() if not _is_output(v)}
    names = {key: name for name, key in SETTING_KEYS.items()}
    failures: list[Failure] = []
    try:
        settings = ProviderSettings.from_config(known)
    except InvalidSettings as exc:
        failures += [(names.get(path, path), reason) for path, reason in exc.failures]
    else:
        if "api_key" not in given and settings.effective_api_key is None:
            failures.append(
                (
                    "api_key",
                    f"is needed to reach {settings.api_url}: pass the account's key as a "
                    'secret, e.g. api_key=pulumi.Config().require_secret("teamBKey") (or '
                    f'api_url="{LOCAL}" for the embedded simulator)',
                )
            )
    if failures:
        raise InvalidInputs(owner, failures)


def _is_output(value: Any) -> bool:
    return isinstance(value, pulumi.Output)
