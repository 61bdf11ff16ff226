"""`Account`: an explicit provider per Vast account; its settings are checked in the
program, naming the argument (the two-account lifecycle is tests/e2e/test_accounts.py)."""

from __future__ import annotations

import inspect

import pytest

import pulumi_vast as vast
from pulumi_vast.resources._problems import InvalidInputs
from pulumi_vast.resources._settings import ProviderSettings


@pytest.fixture(autouse=True)
def no_vast_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ("VAST_URL", "VAST_API_KEY", "VAST_SSH_PRIVATE_KEY_FILE", "PULUMI_VAST_SIM_DATA"):
        monkeypatch.delenv(env, raising=False)


def test_its_arguments_are_the_provider_settings() -> None:
    parameters = inspect.signature(vast.Account).parameters
    settings = [name for name in parameters if name not in ("resource_name", "opts")]
    assert sorted(settings) == sorted(ProviderSettings.model_fields)
    assert all(parameters[name].kind is inspect.Parameter.KEYWORD_ONLY for name in settings)


def test_a_bad_url_is_named_by_its_argument() -> None:
    with pytest.raises(InvalidInputs) as refused:
        vast.Account("team-b", api_url="console.vast.ai", api_key="k")

    assert str(refused.value).startswith(
        "Account(\"team-b\").api_url: 'console.vast.ai' is neither 'local'"
    )


def test_the_real_service_without_a_key_is_refused_naming_api_key() -> None:
    with pytest.raises(InvalidInputs) as refused:
        vast.Account("team-b", api_url="https://console.vast.ai")

    message = str(refused.value)
    assert message.startswith('Account("team-b").api_key: is needed to reach https://')
    assert "require_secret" in message


def test_a_bad_key_is_refused_without_quoting_it() -> None:
    with pytest.raises(InvalidInputs) as refused:
        vast.Account("team-b", api_url="local", api_key="two words")

    assert str(refused.value).startswith('Account("team-b").api_key: has a character')
    assert "two words" not in str(refused.value)
