"""The field table: check, diff and docs derive from one declaration per input."""

import asyncio
from collections.abc import Iterator
from typing import Annotated

import pulumi
import pytest
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import Field, PositiveInt

from pulumi_vast.resources._fields import (
    REPLACE,
    SECRET,
    STATE,
    UPDATE,
    Change,
    FieldTable,
    Input,
    ResourceArgs,
    plain_strings,
    secret_names,
)
from pulumi_vast.resources._problems import InvalidField


class Nested(ResourceArgs):
    timeout: Annotated[Input[PositiveInt], UPDATE, Field(description="seconds")] = 60


class Thing(ResourceArgs):
    image: Annotated[Input[str], REPLACE, Field(description="what to run")]
    size: Annotated[Input[PositiveInt], REPLACE, Field(description="how big")] = 10
    label: Annotated[Input[str] | None, UPDATE, Field(description="a name")] = None
    token: Annotated[Input[str] | None, SECRET, Field(description="a secret")] = None
    keys: Annotated[
        Input[list[Input[str]]], UPDATE, Field(default_factory=list, description="keys")
    ]
    nested: Annotated[Input[Nested] | None, UPDATE, Field(description="nested")] = None
    mode: Annotated[Input[str], STATE, Field(description="how to go about it")] = "fast"
    hidden: Annotated[Input[str] | None, STATE | SECRET, Field(description="a kept secret")] = None

    def model_post_init(self, _context: object) -> None:
        if self.image == "forbidden":
            raise InvalidField("image", "pick another image")


table = FieldTable(Thing)


def test_policies_derive_from_the_declaration():
    assert table.replace_fields == {"image", "size"}
    assert table.secret_fields == {"token", "hidden"}
    assert table.state_fields == {"mode", "hidden"}
    assert table.rows["hidden"].policy.effect is Change.STATE, "a modifier keeps the change"
    assert table.rows["token"].policy.effect is Change.UPDATE, "a lone modifier updates"
    assert list(table.rows) == [
        *("image", "size", "label", "token", "keys", "nested", "mode", "hidden")
    ]


def test_check_normalizes_with_defaults():
    outcome = table.check({"image": "x", "token": "s3cret", "__provider": "blob"})
    assert outcome.failures == []
    assert outcome.inputs["size"] == 10
    assert outcome.inputs["keys"] == []
    assert outcome.inputs["token"] == "s3cret"  # marked secret by the provider base
    assert "__provider" not in outcome.inputs
    assert outcome.args is not None and outcome.args.image == "x"


def test_check_names_each_bad_field():
    outcome = table.check({"size": 0, "nested": {"timeout": -1}, "colour": "red"})
    failures = dict(outcome.failures)
    assert failures["image"] == "is required: what to run"
    assert failures["size"] == "got 0 (a number); it must be greater than 0"
    assert failures["nested.timeout"] == "got -1 (a number); it must be greater than 0"
    assert failures["colour"].startswith("unknown setting; valid settings: image, size")
    assert outcome.args is None


def test_a_validator_can_blame_one_field():
    outcome = table.check({"image": "forbidden"})
    assert outcome.failures == [("image", "pick another image")]


def test_unknown_values_stay_unknown_and_are_not_failures():
    outcome = table.check({"image": Unknown(), "size": 3})
    assert outcome.failures == []
    assert isinstance(outcome.inputs["image"], Unknown)
    assert outcome.args is None  # nothing to act on until the value is known


def test_check_validates_the_values_inside_secrets():
    secret = rpc.wrap_rpc_secret
    outcome = table.check({"image": secret("private/image"), "keys": ["a", secret("b")]})
    assert outcome.failures == []
    assert outcome.inputs["image"] == "private/image"
    assert outcome.inputs["keys"] == ["a", "b"]


def test_secret_names_are_the_properties_holding_a_secret_anywhere():
    props = {
        "image": "x",
        "token": rpc.wrap_rpc_secret("t"),
        "keys": ["a", rpc.wrap_rpc_secret("b")],
        "nested": {"timeout": rpc.wrap_rpc_secret(5)},
    }
    assert secret_names(props) == {"token", "keys", "nested"}


def test_with_secrets_marks_declared_fields_and_the_named_ones_whole():
    marked = table.with_secrets(
        {"image": "x", "token": "t", "label": "l", "keys": ["a", rpc.wrap_rpc_secret("b")]},
        arrived={"keys"},
    )
    assert marked["image"] == "x" and marked["label"] == "l"
    assert marked["token"] == rpc.wrap_rpc_secret("t")
    assert marked["keys"] == rpc.wrap_rpc_secret(["a", "b"])


def test_with_secrets_wraps_once_and_leaves_unknowns_unknown():
    marked = table.with_secrets({"token": rpc.wrap_rpc_secret("t"), "label": Unknown()})
    assert marked["token"] == rpc.wrap_rpc_secret("t")
    assert isinstance(table.with_secrets({"token": Unknown()})["token"], Unknown)


def test_plain_strings_are_every_string_a_value_holds():
    value = {"A": rpc.wrap_rpc_secret("one"), "B": ["two", 3, {"C": "four"}]}
    assert plain_strings(value) == ["one", "two", "four"]


def test_diff_sees_declared_fields_only_and_defaults_equal_missing():
    olds = {"image": "x", "__provider": "old-code"}
    news = {"image": "x", "size": 10, "keys": [], "__provider": "new-code"}
    assert table.changed_fields(olds, news) == []


def test_diff_reports_changes_and_unknowns():
    olds = {"image": "x", "label": "a", "token": rpc.wrap_rpc_secret("t")}
    news = {"image": Unknown(), "label": "b", "token": rpc.wrap_rpc_secret("t")}
    changed = table.changed_fields(olds, news)
    assert changed == ["image", "label"]
    assert [name for name in changed if name in table.replace_fields] == ["image"]


def test_a_bad_secret_value_is_not_quoted_in_the_failure():
    failures = dict(table.check({"image": "x", "token": 12345}).failures)
    assert "12345" not in failures["token"]
    assert failures["token"] == "expected text, got a number: put it in quotes"


def test_a_bad_value_that_arrived_secret_is_not_quoted_in_the_failure():
    failures = dict(table.check({"image": "x", "size": rpc.wrap_rpc_secret(-5)}).failures)
    assert failures["size"] == "got a number; it must be greater than 0"


@pytest.fixture
def loop() -> Iterator[None]:
    """pulumi.Output needs an event loop of the thread, as a program has."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@pytest.mark.usefixtures("loop")
def test_program_side_accepts_outputs_and_keeps_them():
    image = pulumi.Output.from_input("x")
    args = Thing(image=image, keys=["a"])
    inputs = args.to_inputs()
    assert inputs["image"] is image
    assert inputs["keys"] == ["a"]
    assert "label" not in inputs


def test_program_side_validates_known_values_at_once():
    with pytest.raises(ValueError, match="greater than 0"):
        Thing(image="x", size=0)


def test_markdown_reference_lists_every_input():
    doc = table.markdown()
    assert "| `image` | str | yes | replace | what to run |" in doc
    assert "| `token` | str | no (default `None`) | update in place, secret | a secret |" in doc
    assert "| `mode` | str | no (default `'fast'`) | state only (steers pulumi-vast; " in doc
    assert "| `nested` | Nested |" in doc


def test_the_engines_floats_are_whole_numbers_and_nothing_else_is_coerced():
    checked = table.check({"image": "x", "size": 20.0})
    assert checked.failures == []
    assert checked.inputs["size"] == 20
    for bad in (True, "20", 20.5):
        assert "size" in dict(table.check({"image": "x", "size": bad}).failures), bad
    assert "image" in dict(table.check({"image": 5}).failures)
    assert "keys" in dict(table.check({"image": "x", "keys": "abc"}).failures)


@pytest.mark.usefixtures("loop")
def test_constraints_apply_to_values_and_outputs_wait_for_the_provider():
    later = pulumi.Output.from_input(0)
    assert Thing(image="x", size=later).size is later
    with pytest.raises(pulumi.RunError, match=r"^Thing.size: got 0 \(a number\)"):
        Thing(image="x", size=0)


def test_a_constraint_beside_input_is_refused_when_the_table_is_built():
    class Careless(ResourceArgs):
        size: Annotated[Input[int], REPLACE, Field(gt=0, description="how big")] = 1

    with pytest.raises(TypeError, match="put constraints inside Input"):
        FieldTable(Careless)
