"""Account env vars: the official bodies, gone-is-done, retries, and values kept secret."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from pulumi_vast.api import ENV_VAR_EXISTS, BadRequest, EnvVar, NotFound, ResponseLost
from tests.api.fake_vast import FakeVast, reply
from tests.api.official import sent_by

ROUTE = "/api/v0/secrets/"
LISTED = json.loads((Path(__file__).parent / "data" / "env_vars.json").read_text())
OK = {"success": True, "msg": "Environment variable added successfully"}


def test_create_update_delete_send_the_official_bodies() -> None:
    from vastai.api import auth as official

    theirs = [
        sent_by(official.create_env_var, "HF_TOKEN", "hf_abc"),
        sent_by(official.update_env_var, "HF_TOKEN", "hf_def"),
        sent_by(official.delete_env_var, "HF_TOKEN"),
    ]
    fake = FakeVast()
    for method in ("POST", "PUT", "DELETE"):
        fake.on(method, ROUTE, reply(200, OK))
    client = fake.client()
    created = client.env_vars.create("HF_TOKEN", "hf_abc")
    client.env_vars.update("HF_TOKEN", SecretStr("hf_def"))
    assert client.env_vars.delete("HF_TOKEN") is True
    assert [(r.method, r.path, r.body) for r in fake.requests] == [
        (t.method, t.path, t.body) for t in theirs
    ]
    assert created == EnvVar(name="HF_TOKEN", value=SecretStr("hf_abc"))


def test_names_are_sent_upper_case_as_vast_stores_them() -> None:
    fake = FakeVast()
    fake.on("POST", ROUTE, reply(200, OK))
    assert fake.client().env_vars.create("hf_token", "v1x").name == "HF_TOKEN"
    assert fake.requests[0].body == {"key": "HF_TOKEN", "value": "v1x"}


def test_list_parses_the_openapi_shape_and_keeps_values_secret() -> None:
    fake = FakeVast()
    fake.on("GET", ROUTE, reply(200, LISTED))
    client = fake.client()
    listed = client.env_vars.list()
    assert [var.name for var in listed] == ["HF_TOKEN", "WANDB_API_KEY"]
    assert listed[0].value.get_secret_value() == "hf_recorded_token_value_1234"
    assert "hf_recorded_token_value_1234" not in repr(listed) + str(listed)
    found = client.env_vars.get("hf_token")
    assert found is not None and found.name == "HF_TOKEN"
    assert client.env_vars.get("NOPE") is None


@pytest.mark.parametrize("body", [{"success": True}, {"success": True, "secrets": {}}])
def test_an_account_without_env_vars_lists_none(body: dict[str, Any]) -> None:
    fake = FakeVast()
    fake.on("GET", ROUTE, reply(200, body))
    assert fake.client().env_vars.list() == []


def test_delete_of_an_unknown_name_is_already_done_but_update_is_not_found() -> None:
    missing = {"success": False, "error": "nonexistent_key", "msg": "Key does not exist."}
    fake = FakeVast()
    fake.on("DELETE", ROUTE, reply(400, missing))
    fake.on("PUT", ROUTE, reply(400, missing))
    client = fake.client()
    assert client.env_vars.delete("GONE") is False
    with pytest.raises(NotFound, match="nonexistent_key"):
        client.env_vars.update("GONE", "value")


def test_a_name_the_account_has_is_a_bad_request_naming_the_code() -> None:
    fake = FakeVast()
    taken = {"success": False, "error": "existing_key", "msg": "Key already exists."}
    fake.on("POST", ROUTE, reply(400, taken))
    with pytest.raises(BadRequest) as caught:
        fake.client().env_vars.create("HF_TOKEN", "v12")
    assert caught.value.error == ENV_VAR_EXISTS


def test_create_is_not_repeated_once_it_may_have_reached_vast() -> None:
    fake = FakeVast()
    fake.on("POST", ROUTE, httpx.ReadTimeout("slow"), reply(200, OK))
    with pytest.raises(ResponseLost):
        fake.client().env_vars.create("HF_TOKEN", "v12")
    assert len(fake.requests) == 1


@pytest.mark.parametrize("method", ["PUT", "DELETE", "GET"])
def test_updates_deletes_and_lists_are_retried(method: str) -> None:
    fake = FakeVast()
    fake.on(method, ROUTE, reply(503, text="busy"), reply(200, LISTED if method == "GET" else OK))
    env_vars = fake.client().env_vars
    calls = {
        "PUT": lambda: env_vars.update("HF_TOKEN", "v12"),
        "DELETE": lambda: env_vars.delete("HF_TOKEN"),
        "GET": env_vars.list,
    }
    calls[method]()
    assert len(fake.requests) == 2


def test_a_refused_value_never_shows_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    value = "tok-en.value_42"
    echo = {"success": False, "error": "invalid_characters", "msg": f"bad value {value}",
            "value": value}  # fmt: skip
    fake = FakeVast()
    fake.on("PUT", ROUTE, reply(500, echo), reply(400, echo))
    caplog.set_level(logging.DEBUG, logger="pulumi_vast.api")
    with pytest.raises(BadRequest) as caught:
        fake.client().env_vars.update("API_TOKEN", value)
    for text in (str(caught.value), repr(caught.value.body), str(caught.value.msg), caplog.text):
        assert value not in text
    assert "bad value <redacted>" in str(caught.value)


@pytest.mark.parametrize(("name", "value"), [("1ST", "v12"), ("HAS SPACE", "v12"), ("OK", "")])
def test_bad_names_and_empty_values_are_refused_before_any_request(name: str, value: str) -> None:
    fake = FakeVast()
    with pytest.raises(ValueError) as caught:
        fake.client().env_vars.create(name, value)
    assert fake.requests == []
    assert (name in str(caught.value)) if value else "value" in str(caught.value)
