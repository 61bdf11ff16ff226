"""Provider configuration: read from stack config in `configure`, never pickled into state."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr

from pulumi_vast.api import API_KEY_ENV, API_URL_ENV, DEFAULT_API_URL

__all__ = ["LOCAL", "LOCAL_API_KEY", "SIM_DATA_DIR", "ProviderSettings"]

LOCAL = "local"
"""`vast:apiUrl: local` means the embedded simulator, started on demand."""
LOCAL_API_KEY = "pulumi-vast-local"
"""The simulator accepts any key, each its own account; this one serves keyless local stacks."""
SIM_DATA_DIR = Path(".state/sim")
"""Where a local stack's simulator keeps its world, relative to the project."""


class _ConfigSource(Protocol):
    def get(self, key: str) -> Any: ...


class ProviderSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    api_url: str = DEFAULT_API_URL
    api_key: SecretStr | None = None
    ssh_private_key_file: Path | None = None
    ssh_private_key: SecretStr | None = None
    sim_data_dir: Path = SIM_DATA_DIR

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

    @classmethod
    def from_config(cls, config: _ConfigSource | None) -> ProviderSettings:
        """`vast:*` stack config first, then the environment the official CLI also reads."""

        def setting(key: str, env: str | None = None) -> Any:
            value = config.get(f"vast:{key}") if config is not None else None
            if value in (None, "") and env:
                value = os.environ.get(env)
            return value if value not in (None, "") else None

        fields: dict[str, Any] = {
            "api_url": setting("apiUrl", API_URL_ENV),
            "api_key": setting("apiKey", API_KEY_ENV),
            "ssh_private_key_file": setting("sshPrivateKeyFile", "VAST_SSH_PRIVATE_KEY_FILE"),
            "ssh_private_key": setting("sshPrivateKey"),
            "sim_data_dir": setting("simDataDir", "PULUMI_VAST_SIM_DATA"),
        }
        return cls.model_validate({k: v for k, v in fields.items() if v is not None})
