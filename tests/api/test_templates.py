"""Templates: the body against the official client's, search, update, delete, secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from pulumi_vast.api import (
    VF,
    BadRequest,
    F,
    Query,
    ResponseLost,
    Template,
    TemplateRequest,
    UnexpectedResponse,
)
from tests.api.fake_vast import FakeVast, reply
from tests.api.official import sent_by

DATA = Path(__file__).parent / "data"
ROUTE = "/api/v0/template/"
UPDATE = "/api/v1/template/"
ME = "/api/v0/users/current"
HASH = "5915f1dc1ce881defb572015eb9d8178"
REQUEST = TemplateRequest(name="trainer", image="vastai/base-image", tag="latest")


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


# --------------------------------------------------------------------------- the body


def test_the_create_body_is_the_official_clients() -> None:
    from vastai.api import offers as official

    request = TemplateRequest(
        name="trainer",
        image="vastai/pytorch",
        tag="2.4-cuda12",
        env={"HF_HOME": "/workspace/hf"},
        ports=("8080",),
        onstart="echo hi",
        runtype="ssh",
        direct=True,
        search="gpu_ram>=24 cpu_ram>=32",
        disk_gb=40.0,
        readme="# trainer",
        desc="trains",
        href="https://example.test/img",
        repo="me/trainer",
    )
    fields = official.template_fields_from_flags(
        ssh=True, direct=True, search_params="gpu_ram>=24 cpu_ram>=32"
    )
    sent = sent_by(
        official.create_template,
        name="trainer",
        image="vastai/pytorch",
        image_tag="2.4-cuda12",
        env="-e HF_HOME=/workspace/hf -p 8080:8080",
        onstart_cmd="echo hi",
        disk_space=40.0,
        readme="# trainer",
        desc="trains",
        href="https://example.test/img",
        repo="me/trainer",
        **fields,
    )
    assert (sent.method, sent.path) == ("POST", ROUTE)
    assert request.to_payload() == sent.body


def test_a_bare_template_body_is_the_official_sdks() -> None:
    from vastai.api import offers as official

    fields = official.template_fields_from_flags(jupyter=True, jupyter_lab=True)
    sent = sent_by(
        official.create_template, name="nb", image="jupyter/base", jupyter_dir="/work", **fields
    )
    request = TemplateRequest(
        name="nb", image="jupyter/base", runtype="jupyter", jupyter_lab=True, jupyter_dir="/work"
    )
    assert request.to_payload() == sent.body


def test_search_params_keep_the_official_defaults_unless_cleared_or_declined() -> None:
    query = Query.where(F.gpu_ram >= 24, F.verified.any())
    assert TemplateRequest(name="t", image="i", search=query).extra_filters() == {
        "external": {"eq": False},
        "rentable": {"eq": True},
        "gpu_ram": {"gte": 24000.0},
    }
    bare = TemplateRequest(name="t", image="i", search="num_gpus=2", search_defaults=False)
    assert bare.extra_filters() == {"num_gpus": {"eq": 2}}


def test_a_registry_login_and_args_are_sent_as_openapi_names_them() -> None:
    request = TemplateRequest(
        name="private",
        image="ghcr.io/me/img",
        args="--serve --port 80",
        docker_login_repo="ghcr.io",
        docker_login_user="me",
        docker_login_pass=SecretStr("ghp_secret_token"),
    )
    body = request.to_payload()
    assert body["docker_login_repo"] == "ghcr.io"
    assert (body["docker_login_user"], body["docker_login_pass"]) == ("me", "ghp_secret_token")
    assert body["args_str"] == "--serve --port 80" and body["runtype"] == "args"
    assert "ghp_secret_token" not in repr(request)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"image": "has space"}, "image"),
        ({"env": {"BAD KEY": "v"}}, "env"),
        ({"env": {"QUOTED": "it's"}}, "env"),
        ({"ports": ("0",)}, "ports"),
        ({"runtype": "vnc"}, "runtype"),
        ({"disk_gb": 0}, "disk_gb"),
        ({"search": "gpu_rma>=24"}, "search"),
        ({"search": Query.where(VF.disk_space >= 5)}, "search"),
        ({"args": "x", "runtype": "ssh"}, "args"),
        ({"docker_login_pass": "p"}, "docker_login_user"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_template_requests_name_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TemplateRequest(**{"name": "t", "image": "i", **fields})
    assert field in str(caught.value)


@pytest.mark.parametrize(
    "fields",
    [
        {"env": {"TOKEN": 'a"quoted_secret"value'}},
        {"env": {"TOKEN": "quoted_secret", "BAD NAME": "x"}},
        {"docker_login_pass": "quoted_secret", "docker_login_user": ""},
    ],
)
def test_a_refused_request_never_quotes_its_secrets(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        TemplateRequest(name="t", image="i", **fields)
    assert "quoted_secret" not in str(caught.value)


# --------------------------------------------------------------------------- calls


def test_create_sends_the_body_and_parses_the_openapi_answer() -> None:
    fake = FakeVast()
    fake.on("POST", ROUTE, reply(200, load("template_create.json")))
    template = fake.client().templates.create(REQUEST)
    assert (template.id, template.hash_id, template.name) == (123456, HASH, "Example Template")
    (sent,) = fake.requests
    assert sent.body == REQUEST.to_payload()


def test_a_create_whose_answer_is_lost_is_not_repeated() -> None:
    fake = FakeVast()
    fake.on("POST", ROUTE, httpx.ReadTimeout("slow"), reply(200, load("template_create.json")))
    with pytest.raises(ResponseLost):
        fake.client().templates.create(REQUEST)
    assert len(fake.requests) == 1


def test_a_refused_create_never_repeats_its_secrets() -> None:
    request = REQUEST.model_copy(
        update={"env": {"HF_TOKEN": "hf_template_secret_1"},
                "docker_login_user": "me", "docker_login_pass": SecretStr("registry_pw_99")}
    )  # fmt: skip
    echo = {"success": False, "error": "invalid_args",
            "msg": "bad env -e HF_TOKEN=hf_template_secret_1 for registry_pw_99"}  # fmt: skip
    fake = FakeVast()
    fake.on("POST", ROUTE, reply(400, echo))
    with pytest.raises(BadRequest) as caught:
        fake.client().templates.create(request)
    for text in (str(caught.value), repr(caught.value.body), str(caught.value.msg)):
        assert "hf_template_secret_1" not in text and "registry_pw_99" not in text


def test_search_sends_the_official_query_and_parses_every_field() -> None:
    from vastai.api import offers as official

    fake = FakeVast()
    fake.on("GET", ROUTE, reply(200, load("templates_search.json")))
    mine, theirs = fake.client().templates.search({"name": {"eq": "Example Template"}})
    (sent,) = fake.requests
    assert sent.query == {
        "select_cols": ["*"],
        "select_filters": {"name": {"eq": "Example Template"}},
    }
    theirs_sent = sent_by(official.search_templates, {"name": {"eq": "Example Template"}})
    assert (theirs_sent.method, theirs_sent.path, theirs_sent.body) == ("GET", ROUTE, sent.query)
    assert (mine.creator_id, mine.runtype, mine.disk_gb, mine.private) == (456, "ssh", 16.0, True)
    assert mine.env_vars == {"HF_HOME": "/workspace/hf", "GREETING": "hello world"}
    assert mine.ports == ("8000:8000", "53:53/udp")
    assert mine.extra_filters == {"verified": {"eq": True}, "gpu_ram": {"gte": 24000.0}}
    assert mine.docker_login_pass is not None
    assert "ghp_registry_token_do_not_print" not in repr(mine)
    assert "hello world" not in repr(mine) and "starting up" not in repr(mine)
    assert (theirs.env_vars, theirs.ports, theirs.extra_filters) == ({}, (), {})


def test_list_keeps_the_accounts_own_asking_who_that_is_once() -> None:
    fake = FakeVast()
    fake.on("GET", ME, reply(200, {"id": 456}))
    fake.on("GET", ROUTE, reply(200, load("templates_search.json")))
    client = fake.client()
    client.templates.list()
    client.templates.list()
    assert len(fake.calls("GET", ME)) == 1
    assert [r.query["select_filters"] for r in fake.calls("GET", ROUTE)] == [
        {"creator_id": {"eq": 456}}
    ] * 2


def test_get_by_hash_prefers_the_accounts_own_of_two_alike() -> None:
    page = load("templates_search.json")
    fake = FakeVast()
    fake.on("GET", ME, reply(200, {"id": 456}))
    fake.on("GET", ROUTE, reply(200, {**page, "templates": page["templates"][::-1]}))
    template = fake.client().templates.get(HASH)
    assert template is not None and template.id == 123456
    assert fake.calls("GET", ROUTE)[0].query["select_filters"] == {"hash_id": {"eq": HASH}}


def test_get_of_an_unknown_hash_is_none_without_asking_who_one_is() -> None:
    fake = FakeVast()
    fake.on("GET", ROUTE, reply(200, {"success": True, "templates_found": 0, "templates": []}))
    assert fake.client().templates.get("nope") is None
    assert fake.calls("GET", ME) == []


def test_update_sends_the_whole_template_to_v1_and_returns_the_new_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from vastai.api import offers as official

    fake = FakeVast()
    fake.on("PUT", UPDATE, reply(502, text="bad gateway"), reply(200, load("template_update.json")))
    updated = fake.client().templates.update(123456, HASH, REQUEST)
    assert (updated.id, updated.hash_id) == (123456, "c81e7ab0e928a508510d1979346de10d")
    first, second = fake.requests  # an update is safe to repeat
    assert first.body == second.body

    monkeypatch.setattr(official, "resolve_template_id", lambda client, hash_id: 123456)
    theirs = sent_by(
        official.update_template,
        hash_id=HASH,
        name="trainer",
        image="vastai/base-image",
        image_tag="latest",
        **official.template_fields_from_flags(),
    )
    assert (theirs.method, theirs.path, theirs.body) == ("PUT", UPDATE, first.body)


def test_delete_sends_the_numeric_id_and_treats_gone_as_done() -> None:
    fake = FakeVast()
    fake.on(
        "DELETE", ROUTE, reply(200, {"success": True}), reply(404, {"msg": "Template not found"})
    )
    client = fake.client()
    assert client.templates.delete(123456) is True
    assert client.templates.delete(123456) is False
    assert [r.body for r in fake.requests] == [{"template_id": 123456}] * 2


@pytest.mark.parametrize("body", [{"success": True}, {"success": True, "template": {"id": 1}}, []])
def test_an_answer_without_a_template_is_unexpected(body: Any) -> None:
    fake = FakeVast()
    fake.on("POST", ROUTE, reply(200, body))
    with pytest.raises(UnexpectedResponse):
        fake.client().templates.create(REQUEST)


def test_a_template_reads_like_a_row() -> None:
    template = Template.model_validate(load("templates_search.json")["templates"][0])
    assert template["recent_create_date"] == 1747345046.0  # kept as an extra
    assert template.get("volume_info", "absent") is None
