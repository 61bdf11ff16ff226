"""Provider configuration: read from stack config in `configure`, never pickled into state.

The settings are the `vast:` keys of the stack config; each also has an environment
variable the official CLI reads, used when the key is unset. Every `vast:` key is checked
(a typo such as `vast:apiURL` would otherwise fall back to the real service unnoticed), and
so is each value, without ever quoting a secret one.
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
)

from pulumi_vast._sim_home import default_sim_data_dir
from pulumi_vast.api import API_KEY_ENV, API_URL_ENV, DEFAULT_API_URL
from pulumi_vast.resources._policy import Policy
from pulumi_vast.resources._problems import Failure, at, closest, validation_failures
from pulumi_vast.resources._ssh_keys import PublicKey

__all__ = [
    "LOCAL",
    "LOCAL_API_KEY",
    "NAMESPACE",
    "SECRET_SETTINGS",
    "SETTING_KEYS",
    "InvalidSettings",
    "ProviderSettings",
]

NAMESPACE = "vast"
LOCAL = "local"
"""`vast:apiUrl: local` means the embedded simulator, started on demand."""
LOCAL_API_KEY = "pulumi-vast-local"
"""The simulator accepts any key, each its own account; this one serves keyless local stacks."""

SET_API_KEY = "pulumi config set --secret vast:apiKey KEY"


class _ConfigSource(Protocol):
    def get(self, key: str) -> Any: ...


class InvalidSettings(ValueError):
    """`vast:` settings that cannot work; the message names each and its fix."""

    def __init__(self, failures: list[Failure]) -> None:
        self.failures = failures
        super().__init__("; ".join(f"{path}: {reason}" for path, reason in failures))


def _api_url(text: str) -> str:
    parts = urlsplit(text)
    if text != LOCAL and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise ValueError(
            f"{text!r} is neither 'local' (the embedded simulator) nor an http(s) URL such "
            f"as {DEFAULT_API_URL}"
        )
    return text


def _api_key(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    if text.startswith(("[", "{")) and _is_json_collection(text):
        raise ValueError(f"holds a list or a mapping, not the key text; set it: {SET_API_KEY}")
    for position, char in enumerate(text):
        if not "!" <= char <= "~":
            raise ValueError(
                f"has a character that cannot be sent to Vast at position {position} (a space, "
                "a control character or a non-ASCII letter); copy the key again from the Vast "
                f"console and set it: {SET_API_KEY}"
            )
    return text


def _json_mapping(value: Any) -> Any:
    """A structured setting given as JSON text (as an explicit provider's config arrives)
    as the mapping it holds; anything else as it is, for the model to judge."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _is_json_collection(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list | dict)
    except ValueError:
        return False


class ProviderSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    api_url: Annotated[str, AfterValidator(_api_url)] = Field(
        DEFAULT_API_URL, alias="apiUrl", description="Vast's API, or `local` for the simulator"
    )
    api_key: Annotated[SecretStr, BeforeValidator(_api_key)] | None = Field(
        None, alias="apiKey", description="the API key"
    )
    ssh_private_key_file: Path | None = Field(
        None, alias="sshPrivateKeyFile", description="the private key file SSH logs in with"
    )
    ssh_private_key: SecretStr | None = Field(
        None, alias="sshPrivateKey", description="the private key text SSH logs in with"
    )
    sim_data_dir: Path = Field(
        default_factory=default_sim_data_dir,
        alias="simDataDir",
        description="where the simulator keeps its world (default: $PULUMI_VAST_SIM_DATA, "
        "else ~/.local/state/pulumi-vast/sim; never the project folder)",
    )
    policy: Annotated[Policy | None, BeforeValidator(_json_mapping)] = Field(
        None,
        description="the stack's money and data policy (a `Policy`); a resource's own "
        "`policy` wins, field by field",
    )

    @property
    def is_local(self) -> bool:
        return self.api_url == LOCAL

    @property
    def effective_api_key(self) -> str | None:
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return LOCAL_API_KEY if self.is_local else None

    @property
    def ssh_key(self) -> Path | SecretStr | None:
        """The private key readiness checks log in with: the file, else the key text."""
        if self.ssh_private_key_file is not None:
            return self.ssh_private_key_file.expanduser()
        return self.ssh_private_key

    def ssh_key_problem(self) -> Failure | None:
        """Why `ssh_key` cannot log in (the setting, and the fix); None if it can."""
        key = self.ssh_key
        if isinstance(key, Path):
            return _key_file_problem(key)
        if isinstance(key, SecretStr):
            reason = _key_text_problem(key.get_secret_value(), "the private key text")
            return (f"{NAMESPACE}:sshPrivateKey", reason) if reason else None
        return None

    @classmethod
    def from_config(cls, config: _ConfigSource | None) -> ProviderSettings:
        """`vast:*` stack config first, then the environment the official CLI also reads.

        Raises `InvalidSettings` naming every unknown key and bad value.
        """
        given = {k: v for k, v in _namespace_values(config).items() if v not in (None, "")}
        names: dict[str, str] = {}
        for key, env in _ENVIRONMENT.items():
            if key not in given and os.environ.get(env):
                given[key] = os.environ[env]
                names[f"{NAMESPACE}:{key}"] = f"{env} (for {NAMESPACE}:{key})"
        failures = [(f"{NAMESPACE}:{key}", _unknown(key)) for key in given if key not in _KEYS]
        try:
            settings = cls.model_validate({k: v for k, v in given.items() if k in _KEYS})
        except ValidationError as exc:
            hidden = [SETTING_KEYS[name].removeprefix(f"{NAMESPACE}:") for name in SECRET_SETTINGS]
            found = validation_failures(exc, cls, hide_inputs=hidden)
            failures += [(at(f"{NAMESPACE}:", path), reason) for path, reason in found]
        if failures:
            raise InvalidSettings([(names.get(p, p), reason) for p, reason in failures])
        return settings

    def require_api_key(self) -> None:
        """Raise `InvalidSettings` if these settings would talk to Vast without a key (the
        provider's calls all need one; only the simulator has a key of its own)."""
        if self.effective_api_key is None:
            reason = (
                f"is not set (nor {API_KEY_ENV}), and vast:apiUrl points at {self.api_url}: "
                f"set the key with `{SET_API_KEY}`, or use vast:apiUrl: local for the "
                "embedded simulator"
            )
            raise InvalidSettings([(f"{NAMESPACE}:apiKey", reason)])


def _types_in(annotation: Any) -> Iterator[Any]:
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _types_in(arg)


_KEYS = [info.alias or name for name, info in ProviderSettings.model_fields.items()]
SETTING_KEYS = {
    name: f"{NAMESPACE}:{info.alias or name}"
    for name, info in ProviderSettings.model_fields.items()
}
"""Each setting's config key, by its Python name (`api_key` -> `vast:apiKey`)."""
SECRET_SETTINGS = frozenset(
    name
    for name, info in ProviderSettings.model_fields.items()
    if SecretStr in set(_types_in(info.annotation))
)
"""The settings that are secrets (`api_key`, `ssh_private_key`)."""
_ENVIRONMENT = {
    "apiUrl": API_URL_ENV,
    "apiKey": API_KEY_ENV,
    "sshPrivateKeyFile": "VAST_SSH_PRIVATE_KEY_FILE",
    "simDataDir": "PULUMI_VAST_SIM_DATA",
}
"""The environment variable read for a `vast:` key that is unset."""


def _namespace_values(config: _ConfigSource | None) -> dict[str, Any]:
    """The `vast:` keys of ``config`` (all of them, when it can list them)."""
    if config is None:
        return {}
    # A mapping lists its keys; pulumi.dynamic.Config does not, but keeps them in `_props`.
    everything = config if isinstance(config, Mapping) else getattr(config, "_props", None)
    if isinstance(everything, Mapping):
        prefix = f"{NAMESPACE}:"
        return {k.removeprefix(prefix): v for k, v in everything.items() if k.startswith(prefix)}
    return {key: config.get(f"{NAMESPACE}:{key}") for key in _KEYS}


def _unknown(key: str) -> str:
    full = [f"{NAMESPACE}:{name}" for name in _KEYS]
    suggestion = closest(f"{NAMESPACE}:{key}", full).replace("'", "")
    return f"is not a setting of the vast provider{suggestion or ';'} valid: {', '.join(full)}"


def _key_file_problem(path: Path) -> Failure | None:
    where = f"{NAMESPACE}:sshPrivateKeyFile"
    point = "point it at the private key of one of the account's SSH keys"
    if not path.exists():
        return where, f"{path} does not exist; {point} (e.g. ~/.ssh/id_ed25519)"
    if path.is_dir():
        return where, f"{path} is a folder; {point}, a file in it"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return where, f"{path} cannot be read ({exc.__class__.__name__}); {point}"
    reason = _key_text_problem(text, "the private key file: the same path without .pub")
    return (where, f"{path} {reason}") if reason else None


def _key_text_problem(text: str, instead: str) -> str | None:
    try:
        PublicKey.parse(text)
    except ValueError:
        pass
    else:
        return f"holds a public key; give {instead}"
    from pulumi_vast import remote  # paramiko loads only when a key is checked

    try:
        remote.read_private_key(SecretStr(text))
    except remote.InvalidPrivateKey as exc:
        return f"is not a usable private key: {exc.reason.split(' (')[0]}"
    return None
