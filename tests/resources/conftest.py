"""Providers configured against the session's simulator, one fresh account per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.dynamic.config import Config

from pulumi_vast.stack import generate_key_pair

ProviderT = TypeVar("ProviderT", bound=ResourceProvider)


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[Path, str]:
    """(private key file, public key line) of a fresh ed25519 pair."""
    generate_key_pair(tmp_path / "id_ed25519.pub")
    return tmp_path / "id_ed25519", (tmp_path / "id_ed25519.pub").read_text().strip()


@pytest.fixture
def configure(sim_url: str, vast_account: str, key_pair: tuple[Path, str]) -> Callable[..., Any]:
    """`configure(ProviderClass, **extra_config) -> provider` talking to the test's account."""

    def make(provider_class: type[ProviderT], **extra: str) -> ProviderT:
        provider = provider_class()
        config = {
            "vast:apiUrl": sim_url,
            "vast:apiKey": vast_account,
            "vast:sshPrivateKeyFile": str(key_pair[0]),
            **{f"vast:{k}": v for k, v in extra.items()},
        }
        provider.configure(ConfigureRequest(Config(config, "test")))
        return provider

    return make
