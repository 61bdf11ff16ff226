"""Docker options strings: written so that the official client's reader reads them back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_vast.api import DockerOptions, parse_docker_options, render_docker_options


def official_reading(text: str) -> dict[str, str]:
    from vastai.utils import parse_env

    read: dict[str, str] = parse_env(text)
    return read


def test_variables_and_ports_are_written_as_docker_flags() -> None:
    text = render_docker_options(
        {"HF_HOME": "/data", "GREETING": "hello world"}, ["8080", "53/udp"]
    )
    assert text == '-e HF_HOME=/data -e GREETING="hello world" -p 8080:8080 -p 53:53/udp'
    assert official_reading(text) == {
        "HF_HOME": "/data",
        "GREETING": "hello world",
        "-p 8080:8080": "1",
        "-p 53:53/udp": "1",
    }
    assert parse_docker_options(text) == DockerOptions(
        {"HF_HOME": "/data", "GREETING": "hello world"}, ("8080:8080", "53:53/udp")
    )
    assert render_docker_options({}) is None and parse_docker_options(None) == DockerOptions()


def test_reading_skips_what_it_does_not_set() -> None:
    text = "-v /a:/b -e A=1=2 -n net -p http -e NOVALUE -e B='x y' -h host -p 22:22"
    assert parse_docker_options(text) == DockerOptions({"A": "1=2", "B": "x y"}, ("22:22",))


@pytest.mark.parametrize(
    ("env", "ports", "problem"),
    [
        ({"1BAD": "v"}, (), "'1BAD' is not a variable name"),
        ({"Q": "s3cr3t's"}, (), "the value of Q has a quote"),
        ({"Q": 'say "s3cr3t"'}, (), "the value of Q has a quote"),
        ({"N": "s3cr3t\nlines"}, (), "line break"),
        ({}, ("http",), "is not a port"),
    ],
)
def test_what_cannot_be_written_is_refused_naming_it(
    env: dict[str, str], ports: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        render_docker_options(env, ports)
    assert "s3cr3t" not in str(caught.value)


_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
_VALUES = st.text(
    alphabet=st.characters(blacklist_characters="'\"\n\r", blacklist_categories=("Cs",)),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(_NAMES, _VALUES, max_size=5),
    st.lists(st.integers(1, 65535).map(str), max_size=3),
)
def test_what_is_written_reads_back_here_and_in_the_official_reader(
    env: dict[str, str], ports: list[str]
) -> None:
    text = render_docker_options(env, ports)
    read = parse_docker_options(text)
    assert read.env == env
    assert read.ports == tuple(f"{p}:{p}" for p in ports)
    official = official_reading(text or "")
    assert {k: v for k, v in official.items() if not k.startswith("-p ")} == env
