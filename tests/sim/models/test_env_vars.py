"""An account's env vars: names upper-cased, values checked and sealed at rest, given to the
instances created after them."""

from __future__ import annotations

import json

import pytest

from pulumi_vast.sim.errors import BadRequest
from pulumi_vast.sim.models.env_vars import MAX_ENV_VARS
from tests.sim.models.world import World

SECRET = "hf_s3cr3t-value.1"


def _refusal(error: pytest.ExceptionInfo[BadRequest]) -> tuple[int, str]:
    return error.value.status, error.value.error


def test_create_list_update_delete(world: World) -> None:
    alice = world.backend.account("alice")
    world.backend.create_env_var(alice, "hf_token", SECRET)
    world.backend.create_env_var(alice, "A_FIRST", "1")
    assert world.backend.env_values(alice) == {"A_FIRST": "1", "HF_TOKEN": SECRET}
    assert world.backend.env_values(world.backend.account("bob")) == {}
    world.backend.update_env_var(alice, "HF_TOKEN", "rotated")
    world.backend.delete_env_var(alice, "a_first")
    assert world.backend.env_values(alice) == {"HF_TOKEN": "rotated"}


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        (None, SECRET, "missing_input"),
        ("NAME", None, "missing_input"),
        ("  ", SECRET, "empty_input"),
        ("NAME", "", "empty_input"),
        ("1ST", SECRET, "invalid_characters"),
        ("WITH-DASH", SECRET, "invalid_characters"),
        ("NAME", f"{SECRET} spaced", "invalid_characters"),
        ("NAME", f"{SECRET}=", "invalid_characters"),
        ("X" * 200, SECRET, "input_too_long"),
        ("NAME", SECRET * 1000, "input_too_long"),
    ],
)
def test_bad_names_and_values_are_refused_without_quoting_the_value(
    world: World, key: str | None, value: str | None, code: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        world.backend.create_env_var(world.backend.account("alice"), key, value)
    assert _refusal(refused) == (400, code)
    assert SECRET not in refused.value.msg


def test_names_are_unique_and_must_exist_to_change(world: World) -> None:
    alice = world.backend.account("alice")
    world.backend.create_env_var(alice, "TOKEN", SECRET)
    with pytest.raises(BadRequest) as twice:
        world.backend.create_env_var(alice, "token", "other")
    assert _refusal(twice) == (400, "existing_key")
    for change in (
        lambda: world.backend.update_env_var(alice, "NOPE", "x"),
        lambda: world.backend.delete_env_var(alice, "NOPE"),
        lambda: world.backend.delete_env_var(world.backend.account("bob"), "TOKEN"),
    ):
        with pytest.raises(BadRequest) as missing:
            change()
        assert _refusal(missing) == (400, "nonexistent_key")


def test_an_account_holds_a_limited_number(world: World) -> None:
    alice = world.backend.account("alice")
    for index in range(MAX_ENV_VARS):
        world.backend.create_env_var(alice, f"V{index}", "x")
    with pytest.raises(BadRequest) as full:
        world.backend.create_env_var(alice, "ONE_MORE", "x")
    assert _refusal(full) == (400, "max_secrets")


def test_values_are_sealed_at_rest_and_back_after_a_reopen(world: World) -> None:
    alice = world.backend.account("alice")
    world.backend.create_env_var(alice, "TOKEN", SECRET)
    (stored,) = world.backend.store.load("env_vars")
    assert SECRET not in json.dumps(stored)
    world.backend.store.close()
    world.backend = world.open()
    assert world.backend.env_values(world.backend.account("alice")) == {"TOKEN": SECRET}


def test_a_new_instance_takes_the_accounts_vars_as_they_are_then(world: World) -> None:
    alice = world.backend.account("alice")
    before = world.create()
    world.backend.create_env_var(alice, "TOKEN", SECRET)
    after = world.create()
    world.backend.update_env_var(alice, "TOKEN", "later")
    assert world.backend.instances[before].account_env == {}
    assert world.backend.instances[after].account_env == {"TOKEN": SECRET}
    assert ["TOKEN", SECRET] not in world.json(after)["extra_env"], "not the instance's own"
    stored = world.backend.store.load("instances")
    assert SECRET not in json.dumps(stored)


def test_reset_forgets_them(world: World) -> None:
    world.backend.create_env_var(world.backend.account("alice"), "TOKEN", SECRET)
    world.backend.reset()
    assert world.backend.env_values(world.backend.account("alice")) == {}
