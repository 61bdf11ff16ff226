"""Account SSH keys and the current user."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from pulumi_vast.api import BadRequest, ResponseLost, SshKey
from tests.api.fake_vast import API_KEY, FakeVast, reply

KEYS = "/api/v0/ssh/"
PUBLIC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG me@host"
CREATED = json.loads((Path(__file__).parent / "data" / "ssh_key_create.json").read_text())


def test_create_parses_the_openapi_example_and_sends_the_key() -> None:
    fake = FakeVast()
    fake.on("POST", KEYS, reply(200, CREATED))
    key = fake.client().ssh_keys.create(PUBLIC)
    assert (key.id, key.user_id) == (123, 456)
    assert key.public_key.startswith("ssh-rsa ")
    assert fake.requests[0].body == {"ssh_key": PUBLIC}


def test_create_is_not_repeated_after_a_lost_answer() -> None:
    fake = FakeVast()
    fake.on("POST", KEYS, httpx.ReadTimeout("slow"), reply(200, CREATED))
    with pytest.raises(ResponseLost):
        fake.client().ssh_keys.create(PUBLIC)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        [{"id": 1, "key": PUBLIC, "deleted_at": None}, {"id": 2, "key": "x", "deleted_at": "2024"}],
        {"ssh_keys": [{"id": 1, "public_key": PUBLIC}]},
    ],
)
def test_list_accepts_both_shapes_and_hides_deleted_keys(body: object) -> None:
    fake = FakeVast()
    fake.on("GET", KEYS, reply(200, body))
    client = fake.client()
    assert client.ssh_keys.list() == [SshKey(id=1, public_key=PUBLIC)]
    assert client.ssh_keys.get(1) == SshKey(id=1, public_key=PUBLIC)
    assert client.ssh_keys.get(2) is None


def test_delete_treats_a_missing_key_as_already_gone() -> None:
    fake = FakeVast()
    missing = {"success": False, "error": "no_ssh_key", "msg": "No ssh key provided"}
    fake.on("DELETE", "/api/v0/ssh/5/", reply(200, {"success": True}), reply(400, missing))
    fake.on("DELETE", "/api/v0/ssh/6/", reply(400, {"error": "invalid_request", "msg": "bad"}))
    client = fake.client()
    assert client.ssh_keys.delete(5) is True
    assert client.ssh_keys.delete(5) is False
    with pytest.raises(BadRequest):
        client.ssh_keys.delete(6)


def test_current_user_never_keeps_an_echoed_api_key() -> None:
    fake = FakeVast()
    fake.on(
        "GET", "/api/v0/users/current", reply(200, {"id": 3, "balance": 12.5, "api_key": API_KEY})
    )
    user = fake.client().users.current()
    assert (user.id, user.balance) == (3, 12.5)
    assert API_KEY not in repr(user) and API_KEY not in json.dumps(user.as_row())
