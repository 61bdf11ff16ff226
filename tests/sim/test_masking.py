"""How admin answers show keys and env values."""

from __future__ import annotations

import pytest

from pulumi_vast.sim.masking import HIDDEN, mask_env, mask_key
from pulumi_vast.sim.records import ACCOUNT_KEY_PREFIX, INSTANCE_KEY_PREFIX, new_key


def test_a_long_key_shows_its_prefix_and_last_four() -> None:
    key = new_key(ACCOUNT_KEY_PREFIX)
    assert mask_key(key) == f"vastsim-…{key[-4:]}"
    scoped = new_key(INSTANCE_KEY_PREFIX)
    assert mask_key(scoped) == f"vastsim-instance-…{scoped[-4:]}"
    assert mask_key("pulumi-vast-local") == "…ocal"


@pytest.mark.parametrize("key", ["k", "the-key", "vastsim-short", "abcdefghijklmno"])
def test_a_short_key_shows_nothing_of_itself(key: str) -> None:
    masked = mask_key(key)
    assert masked.endswith(HIDDEN)
    assert key.removeprefix("vastsim-")[-1:] not in masked.removeprefix("vastsim-")


def test_env_values_are_hidden_and_docker_flags_shown() -> None:
    env = {"HF_TOKEN": "hf_abc", "-p 8080:8080": "1", "EMPTY": ""}
    assert mask_env(env) == {"HF_TOKEN": HIDDEN, "-p 8080:8080": "1", "EMPTY": HIDDEN}
