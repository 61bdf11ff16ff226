"""`pulumi import`: the first read marks what it reports, and the check `pulumi import`
makes of it is refused with the declaration to adopt the object from the program (the CLI
run is in tests/e2e/test_import.py)."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import pytest
from pydantic import Field

from pulumi_vast._operation import CURRENT_URN
from pulumi_vast.api import parse_query
from pulumi_vast.api.filters import matches
from pulumi_vast.resources import InstanceProvider
from pulumi_vast.resources._errors import ResourceError
from pulumi_vast.resources._fields import SECRET, UPDATE, FieldTable, Input, ResourceArgs
from pulumi_vast.resources._importing import IMPORT_INPUT, declaration
from pulumi_vast.resources._provider import ImportFromProgram, VastProvider

URN = "urn:pulumi:dev::proj::pulumi-python:dynamic/vast:Token::hf-token"


class TokenArgs(ResourceArgs):
    name: Annotated[Input[str], UPDATE, Field(description="what it is called")]
    value: Annotated[Input[str], SECRET, Field(description="the token")]
    scope: Annotated[Input[str], UPDATE, Field(description="where it applies")] = "account"
    sizes: Annotated[Input[list[float]] | None, UPDATE, Field(description="numbers")] = None


class TokenProvider(VastProvider):
    table = FieldTable(TokenArgs)
    kind = "token"
    class_name = "Token"
    output_names = frozenset({"token_id"})

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if id_ == "404":
            return None
        live = {"name": "hf", "value": "hf_not_to_print", "scope": "account", "sizes": [16.0, 2.5]}
        return {**live, "token_id": int(id_)}


@pytest.fixture
def in_call() -> Iterator[None]:
    """Inside a provider call of our plugin host, which knows the resource's URN."""
    token = CURRENT_URN.set(URN)
    yield
    CURRENT_URN.reset(token)


def test_pulumi_imports_check_is_refused_with_the_declaration(in_call: None) -> None:
    provider = TokenProvider()
    read = provider.read("7", {"__provider": "blob"})  # the id alone, as `pulumi import` reads

    with pytest.raises(ImportFromProgram) as refused:
        provider.check(read.inputs or {}, dict(read.inputs or {}))  # what it checks: the read's

    message = str(refused.value)
    assert "Nothing was imported" in message
    assert (
        "vast.Token(\n"
        '    "hf-token",\n'
        '    name="hf",\n'
        '    value=pulumi.Config().require_secret("..."),  # a secret\n'
        "    sizes=[16, 2.5],\n"
        '    opts=pulumi.ResourceOptions(import_="7"),\n'
        ")"
    ) in message
    assert "hf_not_to_print" not in message
    assert "hf_not_to_print" not in repr(read.inputs[IMPORT_INPUT])  # it is kept in the state


def test_the_import_option_checks_the_programs_inputs_as_usual(in_call: None) -> None:
    provider = TokenProvider()
    read = provider.read("7", {"__provider": "blob"})

    checked = provider.check(read.inputs or {}, {"name": "hf", "value": "hf_not_to_print"})

    assert checked.failures == []
    assert IMPORT_INPUT not in checked.inputs


def test_only_a_first_read_is_marked() -> None:
    refreshed = TokenProvider().read("7", {"name": "hf", "value": "v", "token_id": 7})

    assert IMPORT_INPUT not in (refreshed.inputs or {})


def test_the_declaration_is_python_with_the_values_read() -> None:
    mark = {"id": "12", "inputs": {"b": True, "n": 16.0, "env": {"A": 'x"y'}, "s": None}}

    code = declaration("Thing", "x", mark, order=["n", "b", "env"], secret=frozenset({"s"}))

    call = ast.parse(code).body[0].value  # type: ignore[attr-defined]
    given = {kw.arg: kw.value for kw in call.keywords}
    assert list(given) == ["n", "b", "env", "s", "opts"]
    assert {k: ast.literal_eval(given[k]) for k in ("n", "b", "env")} == {
        "n": 16,
        "b": True,
        "env": {"A": 'x"y'},
    }


def test_an_instance_is_declared_with_a_query_it_satisfies() -> None:
    offer = {"gpu_name": "RTX 4090", "num_gpus": 2, "gpu_ram": 24564, "dph_total": 0.7}

    hints = InstanceProvider().import_hints({"offer": offer})

    assert hints == {"query": "gpu_name=RTX_4090 num_gpus=2"}
    assert matches(parse_query(hints["query"]).filters, offer)


def test_a_first_read_of_nothing_is_an_error_naming_the_id() -> None:
    provider = TokenProvider()

    with pytest.raises(ResourceError, match="there is no token 404 in the account"):
        provider.read("404", {"__provider": "blob"})  # import_, pulumi import or get

    assert provider.read("404", {"name": "hf", "value": "v", "token_id": 404}).id == ""
