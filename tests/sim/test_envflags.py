"""The create request's env: Docker flag strings and the official client's dict agree."""

from __future__ import annotations

import pytest
from vastai.utils import parse_env

from pulumi_vast.sim.envflags import (
    network_names,
    normalize_env,
    port_mappings,
    user_variables,
)
from pulumi_vast.sim.errors import BadRequest

FLAGS = "-e TZ=UTC -e TOKEN='a=b c' -p 8080:8080 -p 8081:8081/udp -n my-overlay -h box"


def test_flag_string_parses_like_the_official_client() -> None:
    expected = parse_env("-e TZ=UTC -e TOKEN=a=b -p 8080:8080 -p 8081:8081/udp -n my-overlay")
    parsed = normalize_env("-e TZ=UTC -e TOKEN=a=b -p 8080:8080 -p 8081:8081/udp -n my-overlay")
    assert parsed == expected


def test_quoted_values_keep_their_spaces() -> None:
    env = normalize_env(FLAGS)
    assert env["TOKEN"] == "a=b c"
    assert env["-h box"] == "1"


def test_dict_form_is_accepted_as_sent() -> None:
    env = {"K": "v", "-p 8080:8080": "1"}
    assert normalize_env(env) == env


def test_ports_variables_and_networks() -> None:
    env = normalize_env(FLAGS)
    assert port_mappings(env) == ["8080/tcp", "8081/udp"]
    assert user_variables(env) == {"TZ": "UTC", "TOKEN": "a=b c"}
    assert network_names(env) == ["my-overlay"]


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ("-e NOVALUE", "NAME=VALUE"),
        ("-p eighty", "-p expects"),
        ("-p 99999:99999", "out of range"),
        ("-p 99999:8080", "out of range"),
        ({"1BAD": "x"}, "not a valid environment variable name"),
        (42, "string of Docker flags"),
        ("-e 'unterminated", "cannot parse"),
    ],
)
def test_bad_env_names_the_problem(env: object, complaint: str) -> None:
    with pytest.raises(BadRequest, match=complaint):
        normalize_env(env)
