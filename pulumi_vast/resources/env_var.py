"""An account env var: a secret Vast sets in every instance of the account."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from pulumi_vast.api import ENV_VAR_EXISTS, BadRequest, ResponseLost
from pulumi_vast.api.env_vars import (
    ENV_VAR_VALUE,
    MAX_ENV_VAR_NAME_LENGTH,
    MAX_ENV_VAR_VALUE_LENGTH,
)
from pulumi_vast.resources._errors import ResourceError
from pulumi_vast.resources._fields import REPLACE, SECRET, FieldTable, Input, ResourceArgs, known
from pulumi_vast.resources._provider import VastProvider
from pulumi_vast.resources._resource import VastResource

__all__ = ["EnvVar", "EnvVarArgs", "EnvVarProvider"]

_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*\Z")


def _env_var_name(name: str) -> str:
    if not _NAME.match(name):
        upper = name.upper()
        fix = (
            f"write it as {upper!r}: Vast stores names in capitals"
            if _NAME.match(upper)
            else "use capitals, digits and _, not starting with a digit, e.g. 'HF_TOKEN'"
        )
        raise ValueError(f"{name!r} is not an env var name; {fix}")
    return name


def _env_var_value(value: str) -> str:
    # Never quoted: it is a secret.
    if not ENV_VAR_VALUE.match(value):
        raise ValueError(
            "has a character Vast does not keep in an env var: a value holds only letters, "
            "digits, '_', '-' and '.'; pass a value with others in an instance's or "
            "template's env instead"
        )
    return value


EnvVarName = Annotated[
    str, Field(max_length=MAX_ENV_VAR_NAME_LENGTH), AfterValidator(_env_var_name)
]
EnvVarValue = Annotated[
    str,
    Field(min_length=1, max_length=MAX_ENV_VAR_VALUE_LENGTH),
    AfterValidator(_env_var_value),
]


class EnvVarArgs(ResourceArgs):
    """Inputs of an `EnvVar`."""

    name: Annotated[
        Input[EnvVarName],
        REPLACE,
        Field(description="The variable's name, in capitals.", examples=["HF_TOKEN"]),
    ]
    value: Annotated[
        Input[EnvVarValue],
        SECRET,
        Field(
            description="Its value: a secret, never in clear in state, outputs, logs or "
            "messages. A change updates it in place.",
            examples=["hf_..."],
        ),
    ]


class EnvVarProvider(VastProvider):
    table = FieldTable(EnvVarArgs)
    kind = "env var"
    api_fields = MappingProxyType({"key": "name", "value": "value"})

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        name, value = known(args.name), known(args.value)
        env_vars = self.client.env_vars
        try:
            env_vars.create(name, value)
        except ResponseLost:
            if env_vars.get(name) is None:  # it was not made: never made twice
                raise
        except BadRequest as exc:
            if exc.error != ENV_VAR_EXISTS:
                raise
            raise ResourceError(
                f"the account already has an env var {name}: adopt it "
                f'(opts=pulumi.ResourceOptions(import_="{name}")), or pick another name',
                field="name",
            ) from None
        return name, {}

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        found = self.client.env_vars.get(id_)
        if found is None:
            return None
        return {"name": found.name, "value": found.value.get_secret_value()}

    def _update(
        self, id_: str, olds: Mapping[str, Any], args: Any, changed: frozenset[str]
    ) -> Mapping[str, Any]:
        self.client.env_vars.update(id_, known(args.value))
        return {}

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        self.client.env_vars.delete(id_)


class EnvVar(VastResource, module="vast", name="EnvVar"):
    """An account env var (Vast calls it a secret): Vast sets it in every instance of the
    account. Its value is a secret; a value change updates it, a name change replaces it.

    ## Example Usage

    ```python
    import pulumi
    import pulumi_vast as vast

    token = vast.EnvVar("hf", name="HF_TOKEN", value=pulumi.Config().require_secret("hf"))
    ```

    ## Import

    Declare it with its inputs and ``opts=pulumi.ResourceOptions(import_="HF_TOKEN")`` (its
    name), run ``pulumi up`` once, then drop the option.
    """

    provider_class = EnvVarProvider
    config_key = "envVars"
    config_example = """
pulumi-vast:envVars:   # pulumi config set --secret --path 'pulumi-vast:envVars[0].value' ...
  - name: HF_TOKEN
    value: hf_...
"""
    args_class = EnvVarArgs
