"""Known secrets taken out of text and decoded bodies, in the forms they travel in."""

from __future__ import annotations

import json

from pulumi_vast.api import Redactor

KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\n-----END OPENSSH PRIVATE KEY-----\n"
)


def test_a_secret_is_redacted_as_it_is_and_as_json_writes_it() -> None:
    redact = Redactor([KEY])
    assert redact(f"key: {KEY}") == "key: <redacted>"
    assert redact(json.dumps({"key": KEY})) == '{"key": "<redacted>"}'


def test_the_longest_secret_wins_where_one_contains_another() -> None:
    assert Redactor(["abc", "abcdef"])("x abcdef y") == "x <redacted> y"


def test_short_values_and_none_are_left_alone() -> None:
    redact = Redactor(["1", "ok", None])
    assert not redact
    assert redact("ok, 1 flag") == "ok, 1 flag"


def test_adding_keeps_what_was_known_and_leaves_the_original_as_it_was() -> None:
    base = Redactor(["api-key-123"])
    more = base.adding(["hf_token_456"])
    assert more("api-key-123 hf_token_456") == "<redacted> <redacted>"
    assert base("hf_token_456") == "hf_token_456"


def test_every_string_of_a_body_is_redacted() -> None:
    body = {"msg": "bad tok_789", "env": [["A", "tok_789"]], "n": 3}
    assert Redactor(["tok_789"]).tree(body) == {
        "msg": "bad <redacted>",
        "env": [["A", "<redacted>"]],
        "n": 3,
    }
